// The idle collector's decisions, on a clock, CPU counter and resident set the test moves.
import { describe, expect, test } from "bun:test";
import { IdleCollector } from "./idle-collector.ts";

const MiB = 2 ** 20;

/** A collector whose probes the test sets; a collection brings the resident set to `afterCollect`. */
function rig(start = { rss: 200 * MiB }) {
  const s = { now: 0, cpu: 0, rss: start.rss, afterCollect: start.rss, collected: 0 };
  const c = new IdleCollector({
    now: () => s.now,
    cpuMicros: () => s.cpu,
    rss: () => s.rss,
    collect: () => {
      s.collected++;
      s.rss = s.afterCollect;
      s.now += 50; // a collection takes time
    },
  });
  /** Two seconds pass at `cores` of CPU. */
  const pass = (cores: number) => {
    s.now += 2000;
    s.cpu += cores * 2000 * 1000;
  };
  return { s, c, pass };
}

describe("IdleCollector", () => {
  test("collects once the burst that grew the resident set is over, and not while it runs", () => {
    const { s, c, pass } = rig();
    s.rss = 500 * MiB; // a burst: grown by 300 MiB
    pass(0.95);
    expect(c.look()).toBe(false); // busy
    pass(0.3);
    expect(c.look()).toBe(false); // still more than a quarter of a core
    s.afterCollect = 320 * MiB;
    pass(0.1);
    expect(c.look()).toBe(true);
    expect(s.collected).toBe(1);
    expect(c.stats).toEqual({ collections: 1, collectMs: 50, baselineRss: 320 * MiB });
  });

  test("a quiet server that has not grown past the threshold is left alone", () => {
    const { s, c, pass } = rig();
    s.rss = 200 * MiB + 30 * MiB; // under 32 MiB and under an eighth of 200 MiB
    pass(0);
    expect(c.look()).toBe(false);
    s.rss = 200 * MiB + 26 * MiB; // an eighth of 200 MiB is 25 MiB, but 32 MiB is the least
    pass(0);
    expect(c.look()).toBe(false);
    s.rss = 233 * MiB;
    pass(0);
    expect(c.look()).toBe(true);
  });

  test("no more than one collection per minimum interval, growth counted from the last one", () => {
    const { s, c, pass } = rig();
    s.rss = 400 * MiB;
    s.afterCollect = 300 * MiB;
    pass(0);
    expect(c.look()).toBe(true);
    s.rss = 450 * MiB; // grown again at once
    pass(0);
    expect(c.look()).toBe(false); // 2 s after: too soon
    for (let i = 0; i < 3; i++) {
      pass(0);
      expect(c.look()).toBe(false);
    }
    pass(0); // 10 s after the first
    expect(c.look()).toBe(true);
    expect(s.collected).toBe(2);
  });

  test("the collection's own CPU does not count as load at the next look", () => {
    const s = { now: 0, cpu: 0, rss: 200 * MiB };
    const c = new IdleCollector({
      now: () => s.now,
      cpuMicros: () => s.cpu,
      rss: () => s.rss,
      collect: () => {
        s.cpu += 3_000_000; // 3 s of CPU on its marker threads
        s.now += 300;
        s.rss = 300 * MiB;
      },
    });
    const pass = (cores: number) => ((s.now += 2000), (s.cpu += cores * 2_000_000));
    s.rss = 400 * MiB;
    pass(0);
    expect(c.look()).toBe(true);
    s.rss = 400 * MiB;
    for (let i = 0; i < 5; i++) pass(0);
    expect(c.look()).toBe(true);
  });

  test("a resident set that fell on its own lowers the baseline growth is counted from", () => {
    const { s, c, pass } = rig({ rss: 300 * MiB });
    s.rss = 150 * MiB;
    pass(0);
    expect(c.look()).toBe(false);
    expect(c.stats.baselineRss).toBe(150 * MiB);
    s.rss = 190 * MiB; // 40 MiB over the lowest: worth a collection
    pass(0);
    expect(c.look()).toBe(true);
  });

  test("start() looks on a timer that keeps no process alive, stop() ends it", async () => {
    let looks = 0;
    const c = new IdleCollector({ intervalMs: 5, rss: () => 0, collect: () => {} });
    const look = c.look.bind(c);
    c.look = () => (looks++, look());
    c.start();
    await Bun.sleep(40);
    c.stop();
    const seen = looks;
    expect(seen).toBeGreaterThan(0);
    await Bun.sleep(30);
    expect(looks).toBe(seen);
  });
});

test("IdleCollector: a server with steady work below its burst's is not idle, and is not paused", () => {
  const MiB2 = 2 ** 20;
  const s = { now: 0, cpu: 0, rss: 200 * MiB2, collected: 0 };
  const c = new IdleCollector({ now: () => s.now, cpuMicros: () => s.cpu, rss: () => s.rss, collect: () => void s.collected++ });
  const pass = (cores: number) => ((s.now += 2000), (s.cpu += cores * 2_000_000));
  s.rss = 400 * MiB2;
  pass(1.6); // a burst
  expect(c.look()).toBe(false);
  for (let i = 0; i < 10; i++) {
    pass(0.45); // then steady work at a third of it
    expect(c.look()).toBe(false);
  }
  pass(0.1); // idle
  expect(c.look()).toBe(true);
  expect(s.collected).toBe(1);
});
