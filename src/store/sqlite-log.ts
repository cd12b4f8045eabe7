// The durable half of the store: appends, replays and compacts the revision log in SQLite
// through Drizzle. Everything here is synchronous (bun:sqlite is); batching happens above.
import { constants, Database } from "bun:sqlite";
import { accessSync, constants as fs, existsSync } from "node:fs";
import { dirname } from "node:path";
import { and, asc, eq, gt, gte, inArray, lt, lte, max, sql } from "drizzle-orm";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { IDENTITY, type ValueTransformer } from "./encryption.ts";
import { parseStored } from "./json.ts";
import { createStatements, kv, meta, type KvRow } from "./schema.ts";
import type { StoreEvent } from "./types.ts";

export interface LogRow {
  id: number;
  name: string;
  created: boolean;
  deleted: boolean;
  createRevision: number;
  prevRevision: number;
  value: string;
}

export interface LogOptions {
  /** "full" fsyncs the WAL at every commit (survives power loss); "normal" survives process crashes only. */
  synchronous?: "full" | "normal";
  /** Encrypts values on their way to disk and decrypts them on the way back (Secrets at rest). */
  transformer?: ValueTransformer;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, fs.W_OK);
    return true;
  } catch {
    return false; // EROFS (root ignores mode bits, not a read-only mount) or EACCES
  }
}

/**
 * Opens the log on a read-only file system, where SQLite can create neither its lock files
 * nor the WAL index. A WAL left by a crash holds committed writes, so it must be read
 * (mode=ro, which needs its -shm beside it); without one the file is complete and `immutable`
 * tells SQLite not to lock a file nobody can change.
 */
function openReadOnly(path: string): Database {
  const file = path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  const uri = `file:${file}?${existsSync(`${path}-wal`) ? "mode=ro" : "immutable=1"}`;
  try {
    return new Database(uri, constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI);
  } catch (err) {
    throw new Error(`${path} is on a read-only file system and cannot be opened read-only: ${(err as Error).message}`);
  }
}

export class SqliteLog {
  private readonly sqlite: Database;
  private readonly db: BunSQLiteDatabase;
  /** The group's rows in one transaction (appendRows); made once, not per group. */
  private readonly appendRows: (rows: readonly LogRow[]) => void;
  private readonly valueById;
  private readonly transformer: ValueTransformer;
  /** The data dir's file system is read-only: reads are served, every append fails. */
  readonly readOnly: boolean;

  constructor(path: string, opts: LogOptions = {}) {
    this.transformer = opts.transformer ?? IDENTITY;
    this.readOnly = path !== ":memory:" && !writable(dirname(path));
    this.sqlite = this.readOnly ? openReadOnly(path) : new Database(path, { create: true });
    if (!this.readOnly) this.sqlite.exec("PRAGMA journal_mode = WAL");
    this.sqlite.exec(`PRAGMA synchronous = ${opts.synchronous === "normal" ? "NORMAL" : "FULL"}`);
    this.sqlite.exec("PRAGMA busy_timeout = 5000");
    this.db = drizzle(this.sqlite);
    if (!this.readOnly) for (const stmt of createStatements) this.db.run(stmt);
    // The insert's SQL is Drizzle's; it runs as bun:sqlite's own statement with positional
    // values: Drizzle's prepared query maps a named-placeholder object per row (a spread copy and
    // a lookup per column), about a microsecond of a create's ~5 µs of SQLite work.
    const insertSql = this.db
      .insert(kv)
      .values({ id: 0, name: "", created: 0, deleted: 0, createRevision: 0, prevRevision: 0, value: "" })
      .toSQL().sql;
    const insert = this.sqlite.prepare(insertSql);
    const transformer = this.transformer;
    this.appendRows = this.sqlite.transaction((rows: readonly LogRow[]) => {
      for (const r of rows) insert.run(r.id, r.name, r.created ? 1 : 0, r.deleted ? 1 : 0, r.createRevision, r.prevRevision, transformer.toStorage(r.name, r.value));
    });
    this.valueById = this.db.select({ name: kv.name, value: kv.value }).from(kv).where(eq(kv.id, sql.placeholder("id"))).prepare();
  }

  /** Appends rows in one transaction: one fsync for the whole group. Throws if any row violates the CAS index. */
  append(rows: readonly LogRow[]): void {
    this.appendRows(rows);
  }

  /**
   * Why a write could not start now, or undefined when it could: takes SQLite's write lock and
   * lets go of it at once (nothing is written), waiting at most `waitMs` for another holder.
   */
  writeFailure(waitMs = 250): string | undefined {
    if (this.readOnly) return "the datastore is read-only";
    try {
      this.sqlite.exec(`PRAGMA busy_timeout = ${waitMs}`);
      this.sqlite.exec("BEGIN IMMEDIATE");
      this.sqlite.exec("ROLLBACK");
      return undefined;
    } catch (err) {
      return (err as Error).message;
    } finally {
      this.sqlite.exec("PRAGMA busy_timeout = 5000");
    }
  }

  /** Why the database cannot be read, or undefined when a read of the log answers within `waitMs`. */
  readFailure(waitMs = 250): string | undefined {
    try {
      this.sqlite.exec(`PRAGMA busy_timeout = ${waitMs}`);
      this.sqlite.query("SELECT max(id) FROM kv").get();
      return undefined;
    } catch (err) {
      return (err as Error).message;
    } finally {
      this.sqlite.exec("PRAGMA busy_timeout = 5000");
    }
  }

  maxRevision(): number {
    const [row] = this.db.select({ rev: max(kv.id) }).from(kv).all();
    return Math.max(row?.rev ?? 0, this.compactedRevision());
  }

  compactedRevision(): number {
    const [row] = this.db.select().from(meta).where(eq(meta.key, "compact_rev")).all();
    return row?.value ?? 0;
  }

  /** The latest row of every key, deleted ones included (their tombstones carry the CAS revision). */
  latestRows(): LogRow[] {
    const latest = this.db.select({ id: max(kv.id) }).from(kv).groupBy(kv.name);
    return this.db.select().from(kv).where(inArray(kv.id, latest)).orderBy(asc(kv.id)).all().map(this.toLogRow);
  }

  /** Rows of keys under `prefix` after a revision, oldest first, at most `limit`. */
  rowsAfter(prefix: string, revision: number, limit: number): LogRow[] {
    return this.db
      .select()
      .from(kv)
      .where(and(gt(kv.id, revision), gte(kv.name, prefix), lt(kv.name, `${prefix}\uffff`)))
      .orderBy(asc(kv.id))
      .limit(limit)
      .all()
      .map(this.toLogRow);
  }

  /** Every row of one key still in the log (compaction drops superseded ones), oldest first. */
  rowsOf(name: string): LogRow[] {
    return this.db.select().from(kv).where(eq(kv.name, name)).orderBy(asc(kv.id)).all().map(this.toLogRow);
  }

  /** The value written at revision `id` (decrypted), if that row is still in the log. */
  valueAt(id: number): string | undefined {
    const row = this.valueById.get({ id });
    return row && this.transformer.fromStorage(row.name, row.value);
  }

  /** The events of `prefix`'s keys after `revision` up to `upTo`, each with its previous object (a watch's history older than the ring). */
  eventsBetween(prefix: string, revision: number, upTo: number): StoreEvent[] {
    const events: StoreEvent[] = [];
    for (let after = revision; ; ) {
      const rows = this.rowsAfter(prefix, after, 5000);
      if (rows.length === 0) return events;
      for (const row of rows) {
        if (row.id > upTo) return events;
        const type = row.created ? "ADDED" : row.deleted ? "DELETED" : "MODIFIED";
        const prevRow = row.created ? undefined : this.rowAt(row.prevRevision);
        events.push({ type, key: row.name, revision: row.id, object: parseStored(row.value), prev: prevRow && parseStored(prevRow.value) });
      }
      after = rows[rows.length - 1]!.id;
    }
  }

  rowAt(id: number): LogRow | undefined {
    const [row] = this.db.select().from(kv).where(eq(kv.id, id)).all();
    return row && this.toLogRow(row);
  }

  /**
   * Records that history at or below `revision` is gone (compactedRevision), before any of it is
   * dropped: a restart after an interrupted compaction still refuses those revisions.
   */
  markCompacted(revision: number): void {
    this.db
      .insert(meta)
      .values({ key: "compact_rev", value: revision })
      .onConflictDoUpdate({ target: meta.key, set: { value: revision } })
      .run();
  }

  /**
   * One step of dropping history at or below `revision`: of the log's rows after `cursor`, up
   * to `limit` (in id order, none past `revision`), the row each superseded and each that is a
   * tombstone go, in one transaction. The latest row of each live key stays, so current state
   * is untouched. Returns the cursor of the next step, undefined when done.
   */
  compactStep(cursor: number, revision: number, limit: number): number | undefined {
    return this.db.transaction(
      (tx) => {
        const rows = tx
          .select({ id: kv.id, prevRevision: kv.prevRevision, deleted: kv.deleted })
          .from(kv)
          .where(and(gt(kv.id, cursor), lte(kv.id, revision)))
          .orderBy(asc(kv.id))
          .limit(limit)
          .all();
        const drop: number[] = [];
        for (const r of rows) {
          if (r.prevRevision > 0) drop.push(r.prevRevision);
          if (r.deleted === 1) drop.push(r.id);
        }
        if (drop.length) tx.delete(kv).where(inArray(kv.id, drop)).run();
        return rows.length === limit ? rows[rows.length - 1]!.id : undefined;
      },
      { behavior: "immediate" },
    );
  }

  private readonly toLogRow = (r: KvRow): LogRow => ({
    ...r,
    value: this.transformer.fromStorage(r.name, r.value),
    created: r.created === 1,
    deleted: r.deleted === 1,
  });

  close(): void {
    this.sqlite.close();
  }
}
