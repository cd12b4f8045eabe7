// The log writer's thread (log-writer.ts): its own connection to the store's SQLite file, on
// which it appends each group of rows it is sent in one transaction — the inserts and the fsync —
// while the API's thread goes on serving requests. Groups are appended in the order they come,
// and each is answered once it is on disk or has failed. After a failure, the groups already
// sent behind it (their writes were checked against the failed one) are refused unwritten until
// one of the next epoch comes: the store rejects them all at once.
import { SqliteLog, type LogRow } from "./sqlite-log.ts";

declare const self: Worker;

export type WriterRequest =
  | { type: "open"; path: string; synchronous?: "full" | "normal" }
  | { type: "append"; id: number; epoch: number; rows: LogRow[] }
  | { type: "close" };

export type WriterReply = { type: "appended"; id: number; error?: string; code?: string } | { type: "closed" };

let log: SqliteLog | undefined;
let openError: string | undefined;
let failedEpoch = -1;

self.onmessage = (event: MessageEvent<WriterRequest>) => {
  const m = event.data;
  if (m.type === "open") {
    try {
      log = new SqliteLog(m.path, { synchronous: m.synchronous });
    } catch (err) {
      openError = (err as Error).message;
    }
    return;
  }
  if (m.type === "close") {
    log?.close();
    log = undefined;
    postMessage({ type: "closed" } satisfies WriterReply);
    return;
  }
  if (m.epoch === failedEpoch) return postMessage({ type: "appended", id: m.id, error: "an earlier write it depends on failed" } satisfies WriterReply);
  try {
    if (!log) throw new Error(openError ?? "the log is closed");
    log.appendStored(m.rows);
    postMessage({ type: "appended", id: m.id } satisfies WriterReply);
  } catch (err) {
    failedEpoch = m.epoch;
    postMessage({ type: "appended", id: m.id, error: (err as Error).message, code: (err as { code?: string }).code } satisfies WriterReply);
  }
};
