// The writes a PostgreSQL store queues, and how each is decided inside the write transaction:
// its precondition (create-if-absent, the expected revision) against the key's newest row in
// the database, never against a server's memory, and the log row it appends.
import type { KubeObject } from "../apis/meta.ts";
import { KeyExistsError, KeyNotFoundError, RevisionConflictError } from "./errors.ts";
import { objectJson, parseStored } from "./json.ts";
import type { LatestRow } from "./pg-log.ts";
import type { LogRow } from "./sqlite-log.ts";
import { withRevision } from "./json.ts";
import type { SubtreeTable } from "./subtrees.ts";
import type { Entry } from "./types.ts";

export interface QueuedWrite {
  kind: "create" | "update" | "delete";
  key: string;
  object?: KubeObject;
  expected?: number;
  resolve: (e: Entry) => void;
  reject: (err: unknown) => void;
}

/** A committed write of this server, waiting for the tail to apply it. */
export interface OwnWrite {
  object: KubeObject;
  resolve: (e: Entry) => void;
}

/** A write's precondition against the key's newest row, and the row it appends; `cached` is this server's copy of the key. */
export function decideWrite(w: QueuedWrite, latest: LatestRow | undefined, revision: number, parts: SubtreeTable, cached: Entry | undefined): { row: LogRow; object: KubeObject } | Error {
  const current = latest && !latest.deleted ? latest : undefined;
  const row = (object: KubeObject, created: boolean, deleted: boolean, createRevision: number): { row: LogRow; object: KubeObject } => ({
    row: { id: revision, name: w.key, created, deleted, createRevision, prevRevision: latest?.id ?? 0, value: objectJson(object) },
    object,
  });
  if (w.kind === "create") {
    if (current) return new KeyExistsError(w.key);
    return row(withRevision(w.object!, revision, parts), true, false, revision);
  }
  if (!current) return new KeyNotFoundError(w.key);
  if (w.expected !== undefined && current.id !== w.expected) return new RevisionConflictError(w.key, w.expected, current.id);
  if (w.kind === "update") return row(withRevision(w.object!, revision, parts, cached?.revision === current.id ? cached.object : undefined), false, false, current.createRevision);
  const last = cached?.revision === current.id ? cached.object : parseStored(current.value);
  return row(withRevision(last, revision, parts), false, true, current.createRevision);
}
