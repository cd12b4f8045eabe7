// Bounds the API calls the scheduler has in flight (bindings, status patches): the decision loop
// starts them without awaiting each, and waits only when the bound is reached.

export class InFlightLimiter {
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`in-flight limit must be a positive integer, got ${max}`);
  }

  get size(): number {
    return this.inFlight;
  }

  get full(): boolean {
    return this.inFlight >= this.max;
  }

  /** Starts `call` at once (even past the bound: callers check `full`/`slot()` first). */
  run(call: () => Promise<unknown>): void {
    this.inFlight++;
    call()
      .catch(() => {})
      .finally(() => {
        this.inFlight--;
        if (this.inFlight < this.max) this.slotWaiters.shift()?.();
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** Resolves once fewer than `max` calls are in flight. */
  slot(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  /** Resolves once no call is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
