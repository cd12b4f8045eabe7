// Returning memory after a burst of writes. JavaScriptCore collects when its heap has grown by
// a factor since the last collection, and the pages a collection frees mostly stay resident:
// after a burst (creating and binding thousands of pods: every write makes a stored copy,
// request and response bodies, events) a server with JSC's default heap growth kept nearly its
// peak for as long as it ran, although a full collection found a few hundred MB less live
// (bench/README.md, Memory). A full synchronous collection (Bun.gc(true)) also hands the freed
// pages back to the system.
//
// So `kubun server` looks every couple of seconds: once the process is idle again (it used less
// than a quarter of a core since the last look) and its resident set has grown well past what it
// was after the last full collection, it runs one. Never more than once per `minIntervalMs`. A
// server with steady work (a paced client, the Lease renewals of thousands of nodes: ~0.45 core
// here for 5,000) never collects this way, because the collection stops the world (0.2–0.4 s at
// 50,000 pods) and its clients would see that in their latency; JSC's own collections go on as
// before. Only memory is affected: no request sees anything different.

export interface IdleCollectorOptions {
  /** How often to look, ms (default 2000). */
  intervalMs?: number;
  /** Least time between two collections this makes, ms (default 10,000). */
  minIntervalMs?: number;
  /** Growth of the resident set since the last full collection that is worth one, bytes (default 32 MiB, or an eighth of the set if more). */
  minGrowthBytes?: number;
  /** Share of one core the process may have used since the last look and still count as idle (default 0.25). */
  quietCpuShare?: number;
  /** Probes, injected by tests: resident set (bytes), CPU used (µs, all threads), clock (ms), the collection. */
  rss?: () => number;
  cpuMicros?: () => number;
  now?: () => number;
  collect?: () => void;
}

export interface IdleCollectorStats {
  /** Full collections made after bursts. */
  collections: number;
  /** Wall time they took, ms in all. */
  collectMs: number;
  /** Resident set after the last one (or at start, or the lowest seen since), bytes. */
  baselineRss: number;
}

export class IdleCollector {
  private readonly o: Required<Omit<IdleCollectorOptions, "minGrowthBytes">> & { minGrowthBytes: number };
  private lastCpu: number;
  private lastLook: number;
  private lastCollect = -Infinity;
  private timer: Timer | undefined;
  readonly stats: IdleCollectorStats;

  constructor(opts: IdleCollectorOptions = {}) {
    this.o = {
      intervalMs: opts.intervalMs ?? 2000,
      minIntervalMs: opts.minIntervalMs ?? 10_000,
      minGrowthBytes: opts.minGrowthBytes ?? 32 * 2 ** 20,
      quietCpuShare: opts.quietCpuShare ?? 0.25,
      rss: opts.rss ?? (() => process.memoryUsage.rss()),
      cpuMicros: opts.cpuMicros ?? (() => {
        const u = process.cpuUsage();
        return u.user + u.system;
      }),
      now: opts.now ?? (() => performance.now()),
      collect: opts.collect ?? (() => Bun.gc(true)),
    };
    this.lastCpu = this.o.cpuMicros();
    this.lastLook = this.o.now();
    this.stats = { collections: 0, collectMs: 0, baselineRss: this.o.rss() };
  }

  /** Looks every intervalMs until stop(); the timer keeps no process alive. */
  start(): this {
    this.timer ??= setInterval(() => this.look(), this.o.intervalMs);
    this.timer.unref?.();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look: collects when quiet, grown, and not too soon after the last one. Returns whether it did. */
  look(): boolean {
    const now = this.o.now();
    const cpu = this.o.cpuMicros();
    const share = (cpu - this.lastCpu) / 1000 / Math.max(1, now - this.lastLook);
    this.lastCpu = cpu;
    this.lastLook = now;
    // Quiet means idle, not merely less busy than the burst: a collection stops the world for
    // 0.2–0.4 s at 50,000 pods, which a server serving a steady half of its peak load (a paced
    // client, thousands of nodes' Lease renewals) would feel in its latency.
    if (share >= this.o.quietCpuShare || now - this.lastCollect < this.o.minIntervalMs) return false;
    const rss = this.o.rss();
    // Freed by JSC on its own meanwhile: growth counts from the lowest set seen since.
    const base = (this.stats.baselineRss = Math.min(this.stats.baselineRss, rss));
    if (rss < base + Math.max(this.o.minGrowthBytes, base / 8)) return false;
    const t = this.o.now();
    this.o.collect();
    const after = this.o.now();
    this.stats.collections++;
    this.stats.collectMs += after - t;
    this.stats.baselineRss = this.o.rss();
    this.lastCollect = after;
    // The collection's own CPU is not the clients' load: the next look measures from here.
    this.lastCpu = this.o.cpuMicros();
    this.lastLook = after;
    return true;
  }
}
