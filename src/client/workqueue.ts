// The keyed work queue of controllers and the service proxy, after client-go's workqueue: a key waits at most once in
// the queue however often it is added, and is never handed to two workers at once — a key added
// while it is being processed runs again after its worker calls done(). Failed keys come back
// with per-key exponential back-off; delayed keys wait in a heap behind one timer (a controller
// with a delay per node would otherwise hold thousands of timers).
import { type Clock, realClock } from "./clock.ts";
import { Heap } from "./heap.ts";
import { isAlreadyExists, isConflict } from "../apis/errors.ts";

/** Decides how long a failing key waits before its next attempt. */
export interface RateLimiter<K> {
  /** The delay before the key's next attempt; each call counts one more failure. */
  when(key: K): number;
  /** Clears the key's failure history (it succeeded, or was given up on). */
  forget(key: K): void;
  retries(key: K): number;
}

/** client-go's ItemExponentialFailureRateLimiter: base·2^failures, capped. */
export class ExponentialBackoff<K> implements RateLimiter<K> {
  private failures = new Map<K, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long before it matters; the cap keeps it finite.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface WorkQueueOptions<K> {
  rateLimiter?: RateLimiter<K>;
  clock?: Clock;
}

/**
 * An onError for runWorkers that stays quiet about conflicts: the key is retried against a fresh
 * read anyway, and a conflict is the normal outcome of racing another writer. AlreadyExists is
 * the same race seen from a create: the informer has not yet seen the object (or its deletion
 * being replaced), and the requeued sync finds it in the cache.
 */
export const warnUnlessConflict = (who: string) => (key: unknown, err: unknown): void => {
  if (!isConflict(err) && !isAlreadyExists(err)) console.warn(`${who}: ${String(key)}:`, (err as Error).message ?? err);
};

export interface RunWorkersOptions<K> {
  /** Called with each failed sync before the key is requeued (default: console.warn). */
  onError?: (key: K, err: unknown) => void;
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  /** Keys that need processing: queued, or re-added while being processed. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  /** Delayed keys and when each is due. */
  private readonly waiting = new Map<K, number>();
  /** The same, earliest first; entries a sooner addAfter replaced are skipped when they surface. */
  private delays = new Heap<{ key: K; at: number }>((a, b) => a.at < b.at);
  private timer: unknown;
  private timerAt = Infinity;
  private readonly getters: ((key: K | undefined) => void)[] = [];
  private readonly rateLimiter: RateLimiter<K>;
  private readonly clock: Clock;
  private shutdown = false;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.rateLimiter = opts.rateLimiter ?? new ExponentialBackoff<K>();
    this.clock = opts.clock ?? realClock;
  }

  add(key: K): void {
    if (this.shutdown || this.dirty.has(key)) return;
    this.dirty.add(key);
    // A key in a worker's hands goes back in the queue when that worker calls done().
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) this.hand(key, getter);
    else this.queue.push(key);
  }

  /** Adds the key once `ms` have passed; of several pending delays for one key the earliest wins. */
  addAfter(key: K, ms: number): void {
    if (this.shutdown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.waiting.get(key);
    if (pending !== undefined && pending <= at) return;
    this.waiting.set(key, at);
    this.delays.push({ key, at });
    this.arm();
  }

  /** Adds the key after its rate limiter's back-off, which grows with each call until forget(). */
  addRateLimited(key: K): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.retries(key);
  }

  /**
   * The next key to process, waiting for one if the queue is empty; undefined once the queue
   * is shut down and drained. The caller must call done(key) when finished with it.
   */
  get(): Promise<K | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    if (this.shutdown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    if (!this.dirty.has(key)) return;
    const getter = this.getters.shift();
    if (getter) this.hand(key, getter);
    else this.queue.push(key);
  }

  /** Stops accepting keys; keys already queued are still handed out, then get() yields undefined. */
  shutDown(): void {
    if (this.shutdown) return;
    this.shutdown = true;
    this.disarm();
    this.waiting.clear();
    this.delays = new Heap<{ key: K; at: number }>((a, b) => a.at < b.at);
    for (const getter of this.getters.splice(0)) getter(undefined);
  }

  get shuttingDown(): boolean {
    return this.shutdown;
  }

  /** Keys waiting to be handed out (not those being processed or delayed). */
  len(): number {
    return this.queue.length;
  }

  /**
   * Runs `n` workers that each take a key, call `sync(key)`, forget the key's back-off on
   * success and requeue it rate-limited on failure. Resolves once the queue is shut down and
   * every worker has finished its last key.
   */
  async runWorkers(n: number, sync: (key: K) => Promise<void>, opts: RunWorkersOptions<K> = {}): Promise<void> {
    const onError = opts.onError ?? ((key: K, err: unknown) => console.warn(`sync ${String(key)} failed, requeued:`, err));
    const worker = async () => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        try {
          await sync(key);
          this.forget(key);
        } catch (err) {
          onError(key, err);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: n }, worker));
  }

  /** Points the timer at the earliest delayed key, if it isn't already. */
  private arm(): void {
    let next = this.delays.peek();
    while (next && this.waiting.get(next.key) !== next.at) {
      this.delays.pop();
      next = this.delays.peek();
    }
    if (!next) return this.disarm();
    if (next.at >= this.timerAt) return;
    this.disarm();
    this.timerAt = next.at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, next.at - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Adds every key whose delay has passed, then waits for the next one. */
  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (let d = this.delays.peek(); d && d.at <= now; d = this.delays.peek()) {
      this.delays.pop();
      if (this.waiting.get(d.key) !== d.at) continue;
      this.waiting.delete(d.key);
      this.add(d.key);
    }
    this.arm();
  }

  private take(key: K): K {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private hand(key: K, getter: (key: K) => void): void {
    getter(this.take(key));
  }
}
