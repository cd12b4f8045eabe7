// Polling for e2e tests: the cluster converges asynchronously, so tests wait for a condition
// (with a deadline and the last error in the failure message) instead of sleeping.

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Extra text for the failure message (e.g. the tail of a process's log). */
  detail?: () => string;
}

/** Calls `fn` until it returns a truthy value, which it resolves with; throws after the deadline. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, opts: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await Bun.sleep(opts.intervalMs ?? 150);
  }
  const detail = opts.detail?.();
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}${detail ? `\n${detail}` : ""}`);
}
