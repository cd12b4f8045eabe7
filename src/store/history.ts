// An object's versions from the log rows of its key (both backends): the object each row wrote,
// and whether it was the create, an update or the delete. A tombstone whose value is empty
// repeats the version before it.
import type { KubeObject } from "../apis/meta.ts";
import { parseStored } from "./json.ts";
import type { HistoryEntry } from "./types.ts";

export interface HistoryRow {
  id: number;
  created: boolean;
  deleted: boolean;
  value: string;
}

export function historyOf(rows: readonly HistoryRow[]): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  let last: KubeObject | undefined;
  for (const row of rows) {
    const object = row.value ? parseStored(row.value) : last;
    if (!object) continue;
    out.push({ revision: row.id, type: row.deleted ? "DELETED" : row.created ? "ADDED" : "MODIFIED", object });
    last = object;
  }
  return out;
}
