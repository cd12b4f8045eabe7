// Crash-loop back-off per container: the delay doubles from `initialMs` up to `maxMs` with each
// restart, and resets once a container has run for `resetAfterMs` without dying.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  resetAfterMs?: number;
}

export class Backoff {
  private readonly entries = new Map<string, { delayMs: number }>();
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 300_000;
    this.resetAfterMs = opts.resetAfterMs ?? 2 * this.maxMs;
  }

  /** How long after its exit the next restart of `key` waits: 0 the first time, as kubelet does. */
  delay(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Records a restart: the following one waits `initialMs`, then twice as long each time (capped). */
  next(key: string): void {
    const cur = this.entries.get(key)?.delayMs;
    this.entries.set(key, { delayMs: cur === undefined ? this.initialMs : Math.min(cur * 2, this.maxMs) });
  }

  /** A container that ran long enough starts over at the initial delay. */
  observeRun(key: string, ranMs: number): void {
    if (ranMs >= this.resetAfterMs) this.entries.delete(key);
  }

  forget(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
