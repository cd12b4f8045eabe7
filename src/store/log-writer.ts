// Group commit off the event loop: the store's appends (SQLite's inserts and the fsync of
// synchronous=FULL) run on a thread of their own (log-writer-worker.ts) with its own connection,
// so the API's thread parses, admits and answers the next requests while a group is being
// written. Nothing changes for durability: a write is applied, published and acknowledged only
// when its group's transaction has committed (the worker's answer), and groups commit in the
// order they were sent, which is revision order.
//
// Epochs keep a failure from letting through writes that depended on it: groups sent after one
// that failed were checked against its writes, so they are refused too (the worker does not
// write them), and the store rejects everything not yet committed; the next group starts a new
// epoch.
import type { LogRow } from "./sqlite-log.ts";
import type { WriterReply, WriterRequest } from "./log-writer-worker.ts";

export class LogWriter {
  private readonly worker: Worker;
  private nextId = 0;
  private epoch = 0;
  /** Groups sent and not answered, in the order sent. */
  private readonly inflight = new Map<number, { epoch: number; resolve: () => void; reject: (err: Error) => void }>();
  private closing: (() => void) | undefined;

  constructor(path: string, synchronous?: "full" | "normal") {
    this.worker = new Worker(new URL("./log-writer-worker.ts", import.meta.url).href);
    this.worker.onmessage = (event: MessageEvent<WriterReply>) => this.answer(event.data);
    this.post({ type: "open", path, synchronous });
    // An idle writer does not keep the process alive; one with groups in flight does.
    this.worker.unref();
  }

  /** Groups sent and not yet answered. */
  get pending(): number {
    return this.inflight.size;
  }

  /** Appends `rows` (values in their stored form) in one transaction; resolves once committed. */
  append(rows: LogRow[]): Promise<void> {
    const id = this.nextId++;
    const epoch = this.epoch;
    return new Promise<void>((resolve, reject) => {
      if (this.inflight.size === 0) this.worker.ref();
      this.inflight.set(id, { epoch, resolve, reject });
      this.post({ type: "append", id, epoch, rows });
    });
  }

  /** Waits for the groups in flight, then closes the writer's connection and ends its thread. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()].map((g) => new Promise<void>((resolve) => {
      const { resolve: done, reject } = g;
      g.resolve = () => (done(), resolve());
      g.reject = (err) => (reject(err), resolve());
    })));
    this.worker.ref();
    await new Promise<void>((resolve) => {
      this.closing = resolve;
      this.post({ type: "close" });
    });
    this.worker.terminate();
  }

  private post(m: WriterRequest): void {
    this.worker.postMessage(m);
  }

  private answer(reply: WriterReply): void {
    if (reply.type === "closed") return this.closing?.();
    const group = this.inflight.get(reply.id);
    if (group) {
      this.inflight.delete(reply.id);
      if (reply.error === undefined) group.resolve();
      else {
        const err = Object.assign(new Error(reply.error), reply.code ? { code: reply.code } : {});
        group.reject(err);
        // Every group sent behind it in its epoch is refused by the worker: reject them now.
        for (const [id, g] of this.inflight) {
          if (g.epoch !== group.epoch) continue;
          this.inflight.delete(id);
          g.reject(err);
        }
        if (this.epoch === group.epoch) this.epoch++;
      }
    }
    if (this.inflight.size === 0) this.worker.unref();
  }
}
