import { describe, expect, test } from "bun:test";
import type { Clock } from "./clock.ts";
import { alreadyExists, conflict } from "../apis/errors.ts";
import { ExponentialBackoff, WorkQueue, warnUnlessConflict } from "./workqueue.ts";

/** A clock that only moves when the test says so. */
class FakeClock implements Clock {
  private t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time forward, firing due timers in order of their deadline. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.size;
  }
}

const drain = async (q: WorkQueue<string>): Promise<string[]> => {
  const out: string[] = [];
  while (q.len() > 0) {
    const key = (await q.get())!;
    out.push(key);
    q.done(key);
  }
  return out;
};

describe("WorkQueue", () => {
  test("hands keys out in order, each queued key once", async () => {
    const q = new WorkQueue<string>();
    for (const k of ["a", "b", "a", "c", "b"]) q.add(k);
    expect(q.len()).toBe(3);
    expect(await drain(q)).toEqual(["a", "b", "c"]);
  });

  test("a key being processed is not handed to a second worker, and runs again after done", async () => {
    const q = new WorkQueue<string>();
    q.add("a");
    const first = await q.get();
    expect(first).toBe("a");
    q.add("a");
    q.add("b");
    // "a" is dirty but in a worker's hands: only "b" is available.
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe("b");
    q.done("b");
    expect(q.len()).toBe(0);
    q.done("a");
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe("a");
  });

  test("a waiting get() receives the next added key", async () => {
    const q = new WorkQueue<string>();
    const pending = q.get();
    q.add("x");
    expect(await pending).toBe("x");
  });

  test("shutDown hands out what is queued, then undefined; later adds are ignored", async () => {
    const q = new WorkQueue<string>();
    q.add("a");
    q.shutDown();
    q.add("b");
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBeUndefined();
    expect(q.shuttingDown).toBe(true);
    const idle = new WorkQueue<string>();
    const idleGet = idle.get();
    idle.shutDown();
    expect(await idleGet).toBeUndefined();
  });

  test("addAfter waits for the clock; the earliest of several delays wins", () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter("a", 100);
    q.addAfter("a", 50);
    q.addAfter("a", 500);
    q.addAfter("b", 0);
    expect(q.len()).toBe(1);
    clock.advance(49);
    expect(q.len()).toBe(1);
    clock.advance(1);
    expect(q.len()).toBe(2);
    expect(clock.pending).toBe(0);
  });

  test("delayed keys wait behind one timer and come due in order of their deadline", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    for (let i = 0; i < 100; i++) q.addAfter(`k${i}`, 1000 - i);
    q.addAfter("k0", 10); // sooner: replaces its later delay
    expect(clock.pending).toBe(1);
    clock.advance(10);
    expect(await drain(q)).toEqual(["k0"]);
    clock.advance(900);
    expect(await drain(q)).toEqual(Array.from({ length: 100 }, (_, i) => `k${i}`).slice(90).reverse());
    clock.advance(90);
    expect(q.len()).toBe(89);
    expect(clock.pending).toBe(0);
  });

  test("shutDown cancels delayed keys", () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter("a", 10);
    q.shutDown();
    expect(clock.pending).toBe(0);
  });

  test("addRateLimited backs off per key, doubling until forget", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock, rateLimiter: new ExponentialBackoff(5, 1000) });
    const readyAfter = async (key: string): Promise<number> => {
      const start = clock.now();
      q.addRateLimited(key);
      let waited = 0;
      while (q.len() === 0) {
        clock.advance(1);
        waited = clock.now() - start;
      }
      await drain(q);
      return waited;
    };
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) delays.push(await readyAfter("a"));
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(q.numRequeues("a")).toBe(4);
    // Another key has its own history.
    expect(await readyAfter("b")).toBe(5);
    q.forget("a");
    expect(q.numRequeues("a")).toBe(0);
    expect(await readyAfter("a")).toBe(5);
  });
});

describe("ExponentialBackoff", () => {
  test.each([
    [5, 1_000_000, 1, 5],
    [5, 1_000_000, 3, 20],
    [5, 1_000_000, 20, 1_000_000],
    [5, 1_000_000, 2000, 1_000_000],
    [100, 250, 3, 250],
  ])("base %d cap %d: failure #%d waits %d ms", (base, cap, failures, want) => {
    const b = new ExponentialBackoff<string>(base, cap);
    let last = 0;
    for (let i = 0; i < failures; i++) last = b.when("k");
    expect(last).toBe(want);
    expect(b.retries("k")).toBe(failures);
  });
});

describe("runWorkers", () => {
  test("processes every key, requeues failures with back-off and forgets successes", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    const attempts = new Map<string, number>();
    const errors: string[] = [];
    const synced: string[] = [];
    const done = q.runWorkers(
      2,
      async (key) => {
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        if (key === "flaky" && n < 3) throw new Error(`attempt ${n}`);
        synced.push(key);
      },
      { onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`) },
    );
    q.add("ok");
    q.add("flaky");
    // Let the workers run; the failed key waits on the fake clock.
    for (let i = 0; i < 10 && synced.length < 2; i++) {
      await Bun.sleep(0);
      clock.advance(1000);
    }
    expect(synced.sort()).toEqual(["flaky", "ok"]);
    expect(errors).toEqual(["flaky: attempt 1", "flaky: attempt 2"]);
    expect(q.numRequeues("flaky")).toBe(0);
    q.shutDown();
    await done;
  });

  test("never runs one key on two workers at once", async () => {
    const q = new WorkQueue<string>();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const done = q.runWorkers(4, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      await gate;
      running--;
    });
    q.add("k");
    await Bun.sleep(0);
    q.add("k");
    q.add("k");
    await Bun.sleep(0);
    expect(maxRunning).toBe(1);
    release();
    // The re-adds collapse into one more run after the first finishes.
    while (runs < 2) await Bun.sleep(0);
    q.shutDown();
    await done;
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });
});

describe("warnUnlessConflict", () => {
  const pods = { group: "", resource: "pods" };
  test("stays quiet about the races a requeue settles, warns about anything else", () => {
    const warned: unknown[][] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warned.push(args);
    try {
      const onError = warnUnlessConflict("endpoints");
      onError("ns/a", conflict(pods, "a", "the object has been modified"));
      onError("ns/a", alreadyExists(pods, "a"));
      onError("ns/b", new Error("boom"));
    } finally {
      console.warn = warn;
    }
    expect(warned).toEqual([["endpoints: ns/b:", "boom"]]);
  });
});
