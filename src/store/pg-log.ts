// The durable half of the PostgreSQL store (pg-store.ts): the revision log of schema.ts in a
// database that several servers share, through Drizzle.
//
// Driver: postgres.js, not Bun's built-in SQL client. The design needs LISTEN/NOTIFY (a commit
// on one server wakes the others at once; Bun's client has no LISTEN), pipelining of the
// statements of a write transaction on one connection, and a client that reconnects by itself
// and listens again after a reconnect. postgres.js has all three; Drizzle drives it.
//
// Ordering: every write transaction first increments the `revision` row of kubun_meta and takes
// its revisions from it. That row's lock is held to commit, so transactions take revisions in the
// order they commit: a reader that sees revision r has seen every revision below it that will
// ever exist (a revision whose write failed its precondition is never used, a gap no one waits
// for). This is the "commit-ordered sequence" answer to kine's late-committing ids, and it lets
// every server's watch tail the log with `id > last seen` and never skip an event.
import postgres, { type Sql } from "postgres";
import { and, asc, eq, gt, inArray, lte, sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { IDENTITY, type ValueTransformer } from "./encryption.ts";
import { StorageUnavailableError } from "./errors.ts";
import { COMPACTION_LOCK, kv, meta, MIGRATION_LOCK, MIGRATIONS, NOTIFY_CHANNEL, SCHEMA_VERSION } from "./pg-schema.ts";
import { parseStored } from "./json.ts";
import type { LogRow } from "./sqlite-log.ts";
import type { StoreEvent } from "./types.ts";

/** A key's newest row, as a write's precondition sees it. */
export interface LatestRow {
  id: number;
  deleted: boolean;
  createRevision: number;
  value: string;
}

/** Builds a batch's rows from the keys' newest rows and the first of the batch's revisions. */
export type WritePlan = (latest: Map<string, LatestRow>, firstRevision: number) => LogRow[];

export interface PostgresLogOptions {
  transformer?: ValueTransformer;
  /** Called with the revision a peer (or this server) committed, as NOTIFY tells it. */
  onCommit?: (revision: number) => void;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
}

/** SQLSTATE classes and client codes that mean "the database is not reachable now", not "your write is wrong". */
function unavailable(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  // Drizzle wraps the driver's error (with the query) in one of its own.
  if (!code && err instanceof Error && err.cause) return unavailable(err.cause);
  return (
    code.startsWith("08") || // connection exception
    code.startsWith("57P") || // admin shutdown, crash shutdown, cannot connect now
    code === "53300" || // too many connections
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT", "QUEUE_TIMEOUT"].includes(code)
  );
}

/** The driver's own error under Drizzle's wrapper: its message names the cause, not the query. */
function driverError(err: unknown): unknown {
  return err instanceof Error && !(err as { code?: string }).code && err.cause ? err.cause : err;
}

/** Runs a database call; an unreachable database becomes a StorageUnavailableError. */
async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (unavailable(err)) throw new StorageUnavailableError(what, driverError(err));
    throw err;
  }
}

export class PostgresLog {
  private readonly db: PostgresJsDatabase;
  private readonly transformer: ValueTransformer;

  private constructor(
    private readonly client: Sql,
    transformer: ValueTransformer | undefined,
  ) {
    this.db = drizzle({ client });
    this.transformer = transformer ?? IDENTITY;
  }

  /** Connects, creates or migrates the schema, and starts listening for peers' commits. */
  static async open(url: string, opts: PostgresLogOptions = {}): Promise<PostgresLog> {
    const client = postgres(url, {
      max: opts.maxConnections ?? 10,
      onnotice: () => {},
      connect_timeout: 10,
      // A database that went away fails a query at once (then retried by the caller) rather than queueing it for ever.
      queue_timeout: 10,
      idle_timeout: 0,
    });
    const log = new PostgresLog(client, opts.transformer);
    try {
      await log.migrate();
      if (opts.onCommit) {
        const onCommit = opts.onCommit;
        await client.listen(NOTIFY_CHANNEL, (payload) => onCommit(Number(payload)));
      }
    } catch (err) {
      await client.end({ timeout: 1 }).catch(() => {});
      throw err;
    }
    return log;
  }

  private async migrate(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await tx.execute(sql`CREATE TABLE IF NOT EXISTS kubun_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)`);
      const [row] = await tx.select().from(meta).where(eq(meta.key, "schema_version"));
      const version = row?.value ?? 0;
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `the datastore's schema is version ${version}, newer than this kubun server understands (${SCHEMA_VERSION}): it was migrated by a newer kubun; run that version (or newer) on every server`,
        );
      }
      for (let v = version; v < SCHEMA_VERSION; v++) for (const stmt of MIGRATIONS[v]!) await tx.execute(stmt);
      await tx.insert(meta).values({ key: "schema_version", value: SCHEMA_VERSION }).onConflictDoUpdate({ target: meta.key, set: { value: SCHEMA_VERSION } });
    });
  }

  /** The newest row of every key (tombstones included), the head revision and the compacted one, from one snapshot. */
  async snapshot(): Promise<{ rows: LogRow[]; revision: number; compacted: number }> {
    return guarded("reading the datastore", () =>
      this.db.transaction(
        async (tx) => {
          const rows = await tx.selectDistinctOn([kv.name]).from(kv).orderBy(kv.name, sql`${kv.id} DESC`);
          const metaRows = await tx.select().from(meta);
          const value = (k: string) => metaRows.find((r) => r.key === k)?.value ?? 0;
          const out = rows.map(this.toLogRow).sort((a, b) => a.id - b.id);
          const head = out.length ? out[out.length - 1]!.id : 0;
          return { rows: out, revision: Math.max(head, value("compact_rev")), compacted: value("compact_rev") };
        },
        { isolationLevel: "repeatable read", accessMode: "read only" },
      ),
    );
  }

  /**
   * Rows after `revision` (of every key, or of keys under `prefix`), oldest first, at most
   * `limit`, none past `upTo`. Values of the revisions in `skipValues` are not sent (the caller
   * has them): the tail of a server's own writes costs no transfer of their objects.
   */
  async rowsAfter(revision: number, limit: number, opts: { prefix?: string; upTo?: number; skipValues?: readonly number[] } = {}): Promise<LogRow[]> {
    const conds = [gt(kv.id, revision)];
    if (opts.prefix) conds.push(sql`left(${kv.name}, ${opts.prefix.length}) = ${opts.prefix}`);
    if (opts.upTo !== undefined) conds.push(lte(kv.id, opts.upTo));
    const skip = opts.skipValues ?? [];
    const value = skip.length ? sql<string>`CASE WHEN ${kv.id} = ANY(${`{${skip.join(",")}}`}::bigint[]) THEN '' ELSE ${kv.value} END` : kv.value;
    const rows = await guarded("reading the datastore", () =>
      this.db
        .select({ id: kv.id, name: kv.name, created: kv.created, deleted: kv.deleted, createRevision: kv.createRevision, prevRevision: kv.prevRevision, value })
        .from(kv)
        .where(and(...conds))
        .orderBy(asc(kv.id))
        .limit(limit),
    );
    return rows.map((r) => (r.value === "" ? { ...r, id: Number(r.id) } : this.toLogRow(r)));
  }

  /** Every row of one key still in the log, oldest first (an object's history). */
  async rowsOf(name: string): Promise<LogRow[]> {
    const rows = await guarded("reading the datastore", () => this.db.select().from(kv).where(eq(kv.name, name)).orderBy(asc(kv.id)));
    return rows.map((r) => this.toLogRow(r));
  }

  /** Rows by revision (those still in the log). */
  async rowsAt(ids: readonly number[]): Promise<Map<number, LogRow>> {
    if (ids.length === 0) return new Map();
    const rows = await guarded("reading the datastore", () => this.db.select().from(kv).where(inArray(kv.id, [...ids])));
    return new Map(rows.map((r) => [r.id, this.toLogRow(r)]));
  }

  /** The newest revision any server has committed: the counter, which commits with its writes. */
  async headRevision(): Promise<number> {
    const [row] = await guarded("reading the datastore", () => this.db.select().from(meta).where(eq(meta.key, "revision")));
    return row?.value ?? 0;
  }

  /** The events of the keys under `prefix` after `revision` up to `upTo`, each with the object it replaced (a watch's replay). */
  async eventsBetween(prefix: string, revision: number, upTo: number): Promise<StoreEvent[]> {
    const events: StoreEvent[] = [];
    for (let after = revision; ; ) {
      const rows = await this.rowsAfter(after, 5000, { prefix, upTo });
      if (rows.length === 0) return events;
      const prevs = await this.rowsAt(rows.filter((r) => !r.created).map((r) => r.prevRevision));
      for (const row of rows) {
        const type = row.created ? "ADDED" : row.deleted ? "DELETED" : "MODIFIED";
        const prevRow = row.created ? undefined : prevs.get(row.prevRevision);
        events.push({ type, key: row.name, revision: row.id, object: parseStored(row.value), prev: prevRow && parseStored(prevRow.value) });
      }
      after = rows[rows.length - 1]!.id;
    }
  }

  async compactedRevision(): Promise<number> {
    const [row] = await guarded("reading the datastore", () => this.db.select().from(meta).where(eq(meta.key, "compact_rev")));
    return row?.value ?? 0;
  }

  /**
   * One write transaction for a batch of `count` writes to `names`: takes `count` revisions from
   * the counter (whose row lock orders this commit after every earlier one and before every
   * later one), reads the keys' newest rows under that lock, lets `plan` decide each write's
   * precondition and build its row, appends the rows and tells the peers. Resolves with the rows
   * appended. The unique (name, prev_revision) index stays the last word: a violation fails the batch.
   */
  async write(names: readonly string[], count: number, plan: WritePlan): Promise<LogRow[]> {
    return guarded("writing to the datastore", () =>
      this.db.transaction(async (tx) => {
        const [counter] = await tx
          .update(meta)
          .set({ value: sql`${meta.value} + ${count}` })
          .where(eq(meta.key, "revision"))
          .returning({ value: meta.value });
        const first = counter!.value - count + 1;
        const latestRows = await tx
          .selectDistinctOn([kv.name], { name: kv.name, id: kv.id, deleted: kv.deleted, createRevision: kv.createRevision, value: kv.value })
          .from(kv)
          .where(inArray(kv.name, [...new Set(names)]))
          .orderBy(kv.name, sql`${kv.id} DESC`);
        const latest = new Map<string, LatestRow>();
        for (const r of latestRows) latest.set(r.name, { id: r.id, deleted: r.deleted, createRevision: r.createRevision, value: this.transformer.fromStorage(r.name, r.value) });
        const rows = plan(latest, first);
        if (rows.length) {
          await tx.insert(kv).values(rows.map((r) => ({ ...r, value: this.transformer.toStorage(r.name, r.value) })));
          await tx.execute(sql`SELECT pg_notify(${NOTIFY_CHANNEL}, ${String(rows[rows.length - 1]!.id)})`);
        }
        return rows;
      }),
    );
  }

  /** Records (monotonically) that history at or below `revision` is gone, before any of it is dropped. */
  async markCompacted(revision: number): Promise<number> {
    const [row] = await guarded("compacting the datastore", () =>
      this.db
        .update(meta)
        .set({ value: sql`GREATEST(${meta.value}, ${revision})` })
        .where(eq(meta.key, "compact_rev"))
        .returning({ value: meta.value }),
    );
    await guarded("compacting the datastore", () => this.client`SELECT pg_notify(${NOTIFY_CHANNEL}, '0')`);
    return row!.value;
  }

  /**
   * One step of dropping history at or below `revision`, as SqliteLog.compactStep: superseded
   * rows and tombstones after `cursor`. A step runs only while this server holds the cluster's
   * compaction lock; if another server holds it, this one's compaction stops (that one does the work).
   * Returns the next cursor, undefined when done (or left to another server).
   */
  async compactStep(cursor: number, revision: number, limit: number): Promise<number | undefined> {
    return guarded("compacting the datastore", () =>
      this.db.transaction(async (tx) => {
        const [lock] = await tx.execute<{ ok: boolean }>(sql`SELECT pg_try_advisory_xact_lock(${COMPACTION_LOCK}) AS ok`);
        if (!lock?.ok) return undefined;
        const rows = await tx
          .select({ id: kv.id, prevRevision: kv.prevRevision, deleted: kv.deleted })
          .from(kv)
          .where(and(gt(kv.id, cursor), lte(kv.id, revision)))
          .orderBy(asc(kv.id))
          .limit(limit);
        const drop: number[] = [];
        for (const r of rows) {
          if (r.prevRevision > 0) drop.push(r.prevRevision);
          if (r.deleted) drop.push(r.id);
        }
        if (drop.length) await tx.delete(kv).where(inArray(kv.id, drop));
        return rows.length === limit ? rows[rows.length - 1]!.id : undefined;
      }),
    );
  }

  /** A cluster-wide blob (the bootstrap data), if stored. */
  async getBlob(key: string): Promise<string | undefined> {
    const rows = await guarded("reading the datastore", () => this.client<{ value: string }[]>`SELECT value FROM kubun_blobs WHERE key = ${key}`);
    return rows[0]?.value;
  }

  /** Stores a blob unless one is there already; resolves with the one that is stored. */
  async putBlobIfAbsent(key: string, value: string): Promise<string> {
    await guarded("writing to the datastore", () => this.client`INSERT INTO kubun_blobs (key, value) VALUES (${key}, ${value}) ON CONFLICT DO NOTHING`);
    return (await this.getBlob(key))!;
  }

  private readonly toLogRow = (r: { id: number; name: string; created: boolean; deleted: boolean; createRevision: number; prevRevision: number; value: string }): LogRow => ({
    id: Number(r.id),
    name: r.name,
    created: r.created,
    deleted: r.deleted,
    createRevision: Number(r.createRevision),
    prevRevision: Number(r.prevRevision),
    value: this.transformer.fromStorage(r.name, r.value),
  });

  async close(): Promise<void> {
    await this.client.end({ timeout: 5 });
  }
}
