import { describe, expect, test } from "bun:test";
import type { Clock } from "../client/index.ts";
import { SchedulingQueue } from "./queue.ts";

class FakeClock implements Clock {
  t = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private ids = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  advance(ms: number): void {
    this.t += ms;
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.t) continue;
      this.timers.delete(id);
      timer.fn();
    }
  }
}

const make = () => {
  const clock = new FakeClock();
  return { clock, q: new SchedulingQueue({ clock, initialBackoffMs: 1000, maxBackoffMs: 10_000, maxUnschedulableMs: 60_000 }) };
};

const drain = (q: SchedulingQueue) => {
  const out: string[] = [];
  for (let p = q.tryPop(); p; p = q.tryPop()) out.push(p.key);
  return out;
};

describe("SchedulingQueue", () => {
  test("pops by priority, then creation time, then arrival", () => {
    const { q } = make();
    q.add("ns/old-low", 0, 100);
    q.add("ns/new-high", 10, 500);
    q.add("ns/new-low", 0, 300);
    q.add("ns/old-high", 10, 200);
    q.add("ns/same-time", 0, 100);
    expect(drain(q)).toEqual(["ns/old-high", "ns/new-high", "ns/old-low", "ns/same-time", "ns/new-low"]);
  });

  test("a key is held once; delete removes it wherever it waits", () => {
    const { q } = make();
    q.add("ns/a", 0, 1);
    q.add("ns/a", 5, 1);
    q.add("ns/b", 0, 2);
    q.delete("ns/a");
    expect(q.activeLength).toBe(1);
    expect(drain(q)).toEqual(["ns/b"]);
  });

  test("update takes the new priority", () => {
    const { q } = make();
    q.add("ns/a", 0, 1);
    q.add("ns/b", 0, 2);
    q.update("ns/b", 100);
    expect(drain(q)).toEqual(["ns/b", "ns/a"]);
    expect(q.activeLength).toBe(0);
  });

  test.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [9, 10_000],
  ])("back-off after %i attempts is %i ms", (attempts, ms) => {
    expect(make().q.backoffFor(attempts)).toBe(ms);
  });

  test("an unschedulable pod stays parked until a cluster change, then waits out its back-off", () => {
    const { q, clock } = make();
    q.add("ns/a", 0, 1);
    const a = q.tryPop()!;
    q.requeueUnschedulable(a);
    expect(q.where("ns/a")).toBe("unschedulable");
    clock.advance(5000);
    expect(q.tryPop()).toBeUndefined();

    // Back-off (1 s) is long over: straight to the active queue.
    q.moveAllToActiveOrBackoff();
    expect(q.where("ns/a")).toBe("active");
    const again = q.tryPop()!;
    expect(again.attempts).toBe(2);

    // Fails again; a change within its 2 s back-off sends it to the back-off queue first.
    q.requeueUnschedulable(again);
    clock.advance(500);
    q.moveAllToActiveOrBackoff();
    expect(q.where("ns/a")).toBe("backoff");
    clock.advance(1499);
    expect(q.where("ns/a")).toBe("backoff");
    clock.advance(1);
    expect(drain(q)).toEqual(["ns/a"]);
  });

  test("a cluster change during the attempt sends the failed pod to back-off, not the parking lot", () => {
    const { q, clock } = make();
    q.add("ns/a", 0, 1);
    const a = q.tryPop()!;
    q.moveAllToActiveOrBackoff();
    q.requeueUnschedulable(a);
    expect(q.where("ns/a")).toBe("backoff");
    clock.advance(1000);
    expect(drain(q)).toEqual(["ns/a"]);
  });

  test("a spec update releases a parked pod", () => {
    const { q, clock } = make();
    q.add("ns/a", 0, 1);
    q.requeueUnschedulable(q.tryPop()!);
    clock.advance(1000);
    q.update("ns/a", 0);
    expect(drain(q)).toEqual(["ns/a"]);
  });

  test("parked pods are retried after maxUnschedulableMs even without a change", () => {
    const { q, clock } = make();
    q.add("ns/a", 0, 1);
    q.requeueUnschedulable(q.tryPop()!);
    clock.advance(30_000);
    expect(q.where("ns/a")).toBe("unschedulable");
    clock.advance(30_000);
    expect(q.where("ns/a")).toBe("active");
  });

  test("a failed binding comes back after its back-off even though done() forgot it", () => {
    const { q, clock } = make();
    q.add("ns/a", 0, 1);
    const a = q.tryPop()!;
    q.done("ns/a");
    expect(q.where("ns/a")).toBeUndefined();
    q.requeueBackoff(a);
    expect(q.tryPop()).toBeUndefined();
    clock.advance(1000);
    expect(drain(q)).toEqual(["ns/a"]);
  });

  test("pop waits for a pod, and yields undefined once closed", async () => {
    const { q } = make();
    const waiting = q.pop();
    q.add("ns/a", 0, 1);
    expect((await waiting)?.key).toBe("ns/a");
    const pending = q.pop();
    q.close();
    expect(await pending).toBeUndefined();
  });
});
