// Collects garbage by the process's resident memory, not only by the JS heap's own growth.
//
// JSC sizes its heap from the live JS objects (it lets the heap double before collecting while
// the heap is under 80% of the machine's RAM), but much of what a busy API server's garbage holds
// lives outside that heap: request and response bodies, encoded watch events, the JSON texts of
// objects, buffers of Bun's HTTP server and mimalloc's freed pages. They go back only when the JS
// objects owning them are collected, so between two collections a burst of writes (a scheduler
// binding 50,000 pods) left the resident set hundreds of MB above what is live (bench:memory:
// RSS 454 MB settled, 376 MB after a full GC, at 10,000 pods). Measured, not guessed: a smaller
// heap growth factor (BUN_JSC_smallHeapGrowthFactor) did not lower it, since the heap itself was
// not what grew.
//
// So, once a second, the governor reads the resident set, and when it has grown by `stepBytes`
// since the last collection it asks for one: Bun.gc(false) starts JSC's concurrent collector
// (the event loop keeps running) and returns mimalloc's free pages to the system. A quiet server
// costs one /proc read a second; a busy one a collection per `stepBytes` of growth.

export interface MemoryGovernorOptions {
  /** Growth of the resident set since the last collection that asks for the next (default 48 MiB). */
  stepBytes?: number;
  /** How often the resident set is read (default 1000 ms). */
  intervalMs?: number;
  /** The resident set now (default process.memoryUsage.rss); tests pass their own. */
  rss?: () => number;
  /** Starts a collection (default Bun.gc(false)); tests pass their own. */
  collect?: () => void;
}

export interface MemoryGovernor {
  /** Collections asked for so far. */
  readonly collections: number;
  stop(): void;
}

/**
 * The governor's decision, one reading at a time: whether to collect now. The floor is the lowest
 * resident set seen since the last collection, i.e. what that collection left (it runs
 * concurrently, so the reading right after asking is not yet what it frees).
 */
export function collectionPolicy(first: number, step: number): (rss: number) => boolean {
  let floor = first;
  return (rss) => {
    if (rss < floor) floor = rss;
    else if (rss - floor >= step) {
      floor = rss;
      return true;
    }
    return false;
  };
}

export function startMemoryGovernor(opts: MemoryGovernorOptions = {}): MemoryGovernor {
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const collect = opts.collect ?? (() => Bun.gc(false));
  const due = collectionPolicy(rss(), opts.stepBytes ?? 48 * 2 ** 20);
  let collections = 0;
  const timer = setInterval(() => {
    if (!due(rss())) return;
    collect();
    collections++;
  }, opts.intervalMs ?? 1000);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    stop: () => clearInterval(timer),
  };
}
