import { describe, expect, test } from "bun:test";
import { Leases } from "./leases.ts";
import { resourceOf } from "./live-state.ts";

/** What the clock answered when it was a map of keys by their last write (the model). */
class MapClock {
  private readonly written = new Map<string, number>();
  constructor(private readonly ttls: Record<string, number>) {}
  wrote(key: string, at: number, deleted: boolean): void {
    this.written.delete(key);
    if (!deleted) this.written.set(key, at);
  }
  due(now: number): string[] {
    const shortest = Math.min(...Object.values(this.ttls));
    const due: string[] = [];
    for (const [key, at] of this.written) {
      if (now - at < shortest) break;
      if (now - at >= this.ttls[resourceOf(key)]!) due.push(key);
    }
    return due;
  }
}

describe("Leases", () => {
  test("due keys are those past their resource's TTL since their last write, oldest first, through rewrites, deletes and rebuilds", () => {
    // Against the map it replaced: random writes, rewrites, deletes and creates anew of 300 keys
    // of two resources with different TTLs, the clock moving on; the queue is rebuilt many times.
    const ttls = { "/core/events/": 1000, "/events.k8s.io/events/": 3000 };
    const current = new Map<string, number>(); // the store's current revisions
    const leases = new Leases(ttls, resourceOf, (key) => current.get(key));
    const model = new MapClock(ttls);
    let seed = 5;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    let revision = 0;
    let now = 1_000_000;
    for (let step = 0; step < 40_000; step++) {
      now += rand(3);
      const key = `${rand(2) ? "/core/events/" : "/events.k8s.io/events/"}ns/e${rand(300)}`;
      const deleted = current.has(key) && rand(4) === 0;
      revision++;
      // As the stores call it: the clock first, then the current state.
      leases.wrote(key, now, deleted, revision);
      model.wrote(key, now, deleted);
      if (deleted) current.delete(key);
      else current.set(key, revision);
      if (step % 7 === 0) expect(leases.due(now)).toEqual(model.due(now));
    }
    expect(model.due(now + 5000).length).toBe(current.size);
    expect(leases.due(now + 5000)).toEqual(model.due(now + 5000));
  });

  test("a key written again and again is held once past a rebuild", () => {
    const current = new Map<string, number>();
    const leases = new Leases({ "/core/events/": 1000 }, resourceOf, (key) => current.get(key));
    for (let revision = 1; revision <= 10_000; revision++) {
      leases.wrote("/core/events/ns/e", revision, false, revision);
      current.set("/core/events/ns/e", revision);
    }
    expect((leases as unknown as { keys: unknown[] }).keys.length).toBeLessThan(1100);
    expect(leases.due(10_999)).toEqual([]);
    expect(leases.due(11_000)).toEqual(["/core/events/ns/e"]);
  });
});
