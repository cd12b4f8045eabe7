// bench:api's two measures of the store and the server beside its timed creates: the raw
// bun:sqlite insert ceiling (the same rows the store writes, no API in front), and the server's
// own stage timers (KUBUN_STAGE_TIMERS, src/store/stage-timers.ts) read and spread per create.
import { Database } from "bun:sqlite";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The ceiling: the same row shape inserted straight into bun:sqlite, WAL + synchronous=FULL, 500 rows per transaction. */
export function rawCeiling(rows: number, dir: string): number {
  const db = new Database(join(dir, "raw.db"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
  db.exec("CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created INTEGER, deleted INTEGER, create_revision INTEGER, prev_revision INTEGER, value TEXT)");
  db.exec("CREATE UNIQUE INDEX kv_name_prev ON kv (name, prev_revision); CREATE INDEX kv_name_id ON kv (name, id);");
  const insert = db.prepare("INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, 1, 0, ?, 0, ?)");
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const value = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}`, namespace: "bench", uid: crypto.randomUUID(), resourceVersion: String(i + 1) } });
      insert.run(i + 1, `/core/configmaps/bench/cm-${i}`, i + 1, value);
    }
  });
  const t0 = performance.now();
  for (let i = 0; i < rows; i += 500) batch(i, Math.min(rows, i + 500));
  const rate = rows / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

/** What the server's stage timers counted since the last call (each call starts them afresh): SIGUSR2, then the file it writes. */
export async function stageTotals(proc: Bun.Subprocess, file: string): Promise<{ stages: Record<string, { ms: number; count: number }>; cpuMs: number }> {
  rmSync(file, { force: true });
  proc.kill("SIGUSR2");
  for (let i = 0; i < 500; i++) {
    try {
      return JSON.parse(readFileSync(file, "utf8"));
    } catch {
      await Bun.sleep(10);
    }
  }
  throw new Error("the server wrote no stage timings");
}

/** The order stages run in for a create, for printing. */
const STAGE_ORDER = ["authn", "authz", "decode", "managedFields", "unknownFields", "defaults", "validation", "admission", "encode", "commit", "apply", "fanout", "response"];

/** µs per create of each stage (batched stages' totals spread over the creates), and what no stage covers. */
export function stageBreakdown(t: { stages: Record<string, { ms: number; count: number }>; cpuMs: number }, creates: number): Record<string, number> {
  const out: Record<string, number> = {};
  let timed = 0;
  const names = [...STAGE_ORDER, ...Object.keys(t.stages).filter((s) => !STAGE_ORDER.includes(s))];
  for (const name of names) {
    const s = t.stages[name];
    if (!s) continue;
    out[name] = Number(((s.ms * 1000) / creates).toFixed(1));
    timed += s.ms;
  }
  out.untimed = Number((((t.cpuMs - timed) * 1000) / creates).toFixed(1));
  out.cpu_total = Number(((t.cpuMs * 1000) / creates).toFixed(1));
  // Creates per group commit (one fsync each): what the commit's cost is spread over.
  if (t.stages.commit) out.creates_per_commit = Number((creates / t.stages.commit.count).toFixed(1));
  return out;
}
