// What the store's tests share: a fresh SQLite file per test (removed after it), small objects,
// a watch listener that collects, and a hook on how a SQLite store appends its rows.
import { afterEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../apis/meta.ts";
import type { SqliteStore } from "./store.ts";
import type { StoreEvent } from "./types.ts";

const dirs: string[] = [];
export function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "kubun-store-"));
  dirs.push(dir);
  return join(dir, "state.db");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export const obj = (name: string, data: Record<string, string> = {}): KubeObject => ({ metadata: { name }, data });
export const collect = () => {
  const events: StoreEvent[] = [];
  return { events, listener: (evs: readonly StoreEvent[]) => events.push(...evs) };
};
export const tick = () => new Promise((r) => setTimeout(r, 5));
/** Waits until `done()` holds (a replay from PostgreSQL's log takes round trips); gives up after 5 s. */
export async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await tick();
}

type Append = (rows: unknown[]) => void;
/** Replaces how a store appends a group of rows to its log by `wrap(original)`; returns the undo. */
export function wrapAppend(s: SqliteStore, wrap: (original: Append) => Append): () => void {
  const log = (s as unknown as { log: { append: Append } }).log;
  const original = log.append;
  log.append = wrap(original.bind(log));
  return () => (log.append = original);
}
