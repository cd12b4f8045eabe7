// One watcher's response body: encoded events queued for its client and handed to the
// connection only as fast as the connection takes them, so what a slow client has not read is
// counted here — and bounded by a WatchBudget, as kube-apiserver bounds each watcher's buffer.
// A watcher past its budget is dropped: its queue is let go and its watch ends, which clients
// treat as routine (they resume from the last resourceVersion they saw, or re-list).
import type { WatchBudget } from "../limits.ts";

/** At most this much moves to the connection per read: a few events, not the whole backlog. */
const HANDOFF_BYTES = 64 * 1024;

export class WatchStream {
  readonly body: ReadableStream<Uint8Array>;
  private pending: Uint8Array[] = [];
  private queuedBytes = 0;
  private ended = false;
  private wake: (() => void) | undefined;
  private behindTimer: ReturnType<typeof setTimeout> | undefined;

  /** `onDrop` learns why a watcher was dropped; `onCancel` that its client went away. */
  constructor(
    private readonly budget: WatchBudget,
    private readonly onDrop: (why: string) => void,
    onCancel: () => void,
  ) {
    this.body = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => {
          if (this.handOff(controller)) return;
          return new Promise<void>((resolve) => (this.wake = resolve)).then(() => void this.handOff(controller));
        },
        cancel: () => {
          this.release();
          onCancel();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Whether the watch has ended (or been dropped): nothing more is queued. */
  get done(): boolean {
    return this.ended;
  }

  /** Events the client has not taken yet, in bytes. */
  get queued(): number {
    return this.queuedBytes;
  }

  push(event: Uint8Array): void {
    if (this.ended) return;
    this.pending.push(event);
    this.queuedBytes += event.byteLength;
    this.wakeReader();
    const { maxQueuedBytes, behindBytes, maxBehindMs } = this.budget;
    if (this.queuedBytes > maxQueuedBytes) return this.drop(`the client is not reading (${this.queuedBytes} bytes of events queued)`);
    if (this.queuedBytes <= behindBytes) {
      if (this.behindTimer !== undefined) {
        clearTimeout(this.behindTimer);
        this.behindTimer = undefined;
      }
      return;
    }
    // Behind: unless it catches up in time it is dropped, even if no further event comes.
    this.behindTimer ??= setTimeout(() => {
      this.behindTimer = undefined;
      if (this.queuedBytes > behindBytes) this.drop(`the client has stayed ${this.queuedBytes} bytes behind for over ${maxBehindMs / 1000} s`);
    }, maxBehindMs);
  }

  /** Ends the watch once the client has what is queued. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.behindTimer);
    this.wakeReader();
  }

  /** Ends the watch now: what the client has not taken is let go. */
  drop(why: string): void {
    if (this.ended) return;
    this.release();
    this.end();
    this.onDrop(why);
  }

  private release(): void {
    this.pending = [];
    this.queuedBytes = 0;
    this.ended = true;
    clearTimeout(this.behindTimer);
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Moves queued events to the connection, or closes it when ended; false when there was nothing to do. */
  private handOff(controller: ReadableStreamDefaultController<Uint8Array>): boolean {
    if (this.pending.length) {
      let moved = 0;
      let i = 0;
      for (; i < this.pending.length && (i === 0 || moved < HANDOFF_BYTES); i++) moved += this.pending[i]!.byteLength;
      // One chunk per handoff: the connection writes (and TLS seals) once for the events that
      // piled up since the client last read, not once per event.
      if (i === 1) controller.enqueue(this.pending[0]!);
      else {
        const frame = new Uint8Array(moved);
        for (let j = 0, at = 0; j < i; j++) {
          frame.set(this.pending[j]!, at);
          at += this.pending[j]!.byteLength;
        }
        controller.enqueue(frame);
      }
      this.pending.splice(0, i);
      this.queuedBytes -= moved;
      return true;
    }
    if (!this.ended) return false;
    try {
      controller.close();
    } catch {}
    return true;
  }
}
