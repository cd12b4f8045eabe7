// The store on a PostgreSQL datastore that several servers share (`kubun server
// --datastore-endpoint postgres://...`): the same revision log and API as the SQLite store
// (store.ts), with the database as the one source of truth.
//
// - Writes are queued and committed in groups, one transaction at a time per server
//   (pg-log.ts). Preconditions (create-if-absent, resourceVersion) are decided inside that
//   transaction from the keys' newest rows in the database (pg-writes.ts), under the lock that
//   orders every commit of the cluster; never from this server's memory, which may lag a peer.
// - Current state in memory is a cache of the log: it changes only by tailing the log in
//   revision order (`id > applied`), after this server's own commits, when a peer's commit is
//   NOTIFY'd, and once a second in case a notification was lost (a reconnect). Watches on every
//   server therefore see every write of the cluster, in order and without gaps. A write is
//   acknowledged once the tail has applied it: what a client was told is written, it can read
//   on this server.
// - The database unreachable: requests fail with StorageUnavailableError (503, Retry-After);
//   the client reconnects by itself and the tail resumes from the last revision it applied.
//
// Cold resources (StoreOptions.coldResources) are kept in memory here: reading one object back
// would be a round trip to the database inside the store's synchronous get().
import type { KubeObject } from "../apis/meta.ts";
import type { ValueTransformer } from "./encryption.ts";
import { CompactedError, StorageUnavailableError, StorageWriteError, StoreClosedError } from "./errors.ts";
import { forgetJson, keepStored } from "./json.ts";
import { expireKeys, Leases } from "./leases.ts";
import { LiveState, resourceOf } from "./live-state.ts";
import { PostgresLog } from "./pg-log.ts";
import { decideWrite, type OwnWrite, type QueuedWrite } from "./pg-writes.ts";
import { historyOf } from "./history.ts";
import type { LogRow } from "./sqlite-log.ts";
import { SubtreeTable } from "./subtrees.ts";
import type { Entry, HistoryEntry, ListResult, ServerStore, StoreEvent, StoreMemoryStats, WatchHandle } from "./types.ts";
import { WatchHub } from "./watch-hub.ts";

export interface PostgresStoreOptions {
  transformer?: ValueTransformer;
  ringSize?: number;
  ringBytes?: number;
  expiring?: Readonly<Record<string, number>>;
  now?: () => number;
  /** How often the log is read for peers' commits when no NOTIFY came (default 1000 ms, kine's poll). */
  pollIntervalMs?: number;
  /** Connections to the database (default 10). */
  maxConnections?: number;
}

const TAIL_ROWS = 1000;
/** How often a consistent read's query is tried before the read fails (503). */
const READ_ATTEMPTS = 4;
const COMPACT_STEP_ROWS = 500;

export class PostgresStore implements ServerStore {
  private readonly live = new LiveState();
  private readonly parts = new SubtreeTable();
  private readonly hub: WatchHub;
  private readonly leases: Leases;
  private readonly now: () => number;
  private log!: PostgresLog;
  private applied = 0;
  /** Every write up to this revision is applied (some may be gaps): consistentRead's shortcut. */
  private readTo = 0;
  private compacted = 0;
  private queue: QueuedWrite[] = [];
  private writing: Promise<void> | undefined;
  private readonly own = new Map<number, OwnWrite>();
  private tailing: Promise<void> | undefined;
  private tailRequested = false;
  private poller: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private compacting: Promise<void> | undefined;
  /** Whether the last tail failed (logged once per outage). */
  private outage = false;

  private constructor(private readonly opts: PostgresStoreOptions) {
    this.leases = new Leases(opts.expiring ?? {}, resourceOf, (key) => this.live.revisionOf(key));
    this.now = opts.now ?? Date.now;
    this.hub = new WatchHub({ events: opts.ringSize ?? 10_000, bytes: opts.ringBytes }, (dropped) => this.forgetTexts(dropped));
  }

  /** Connects to the datastore, migrates its schema and loads the current state. */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(opts);
    store.log = await PostgresLog.open(url, {
      transformer: opts.transformer,
      maxConnections: opts.maxConnections,
      onCommit: (revision) => {
        if (revision === 0) void store.refreshCompacted();
        else if (revision > store.applied) void store.catchUp().catch(() => {});
      },
    });
    const { rows, revision, compacted } = await store.log.snapshot();
    const started = store.now();
    for (const row of rows) {
      if (row.deleted) continue;
      const object = keepStored(row.value, store.parts);
      forgetJson(object);
      store.live.put({ key: row.name, revision: row.id, createRevision: row.createRevision, object });
      if (store.leases.covers(resourceOf(row.name))) store.leases.wrote(row.name, started, false, row.id);
    }
    store.applied = revision;
    store.compacted = compacted;
    store.poller = setInterval(() => {
      void store.catchUp().catch(() => {});
      void store.refreshCompacted();
    }, opts.pollIntervalMs ?? 1000);
    return store;
  }

  get revision(): number {
    return this.applied;
  }

  async consistentRead(): Promise<void> {
    // Reads are safe to try again: a connection the database dropped (a restart) fails one query
    // before the client reconnects, which should not fail the read that happened to draw it.
    for (let attempt = 1; ; attempt++) {
      try {
        const head = await this.log.headRevision();
        // A tail pass that starts after the head was read applies every row up to it (a revision a
        // failed write took is a gap: the counter can stay ahead of the last row until the next write).
        if (head > Math.max(this.applied, this.readTo)) await this.catchUp();
        this.readTo = Math.max(this.readTo, head);
        return;
      } catch (err) {
        if (attempt >= READ_ATTEMPTS || this.closed) throw err;
        await Bun.sleep(50 * attempt);
      }
    }
  }

  async history(key: string): Promise<HistoryEntry[]> {
    return historyOf(await this.log.rowsOf(key));
  }

  get compactedRevision(): number {
    return this.compacted;
  }
  /** The current object written at `revision` while that write is recent (see SqliteStore.recentObject). */
  recentObject(revision: number): KubeObject | undefined {
    const key = this.hub.keyAt(revision);
    const entry = key === undefined ? undefined : this.live.get(key);
    return entry?.revision === revision ? entry.object : undefined;
  }

  memoryStats(): StoreMemoryStats {
    return { keys: this.live.counts(), ringEvents: this.hub.ringLength, ringTextBytes: this.hub.ringTextBytes, sharedParts: this.parts.size };
  }

  get(key: string): Entry | undefined {
    return this.live.get(key);
  }

  list(prefix: string, opts: { startAfter?: string } = {}): ListResult {
    return { items: this.live.list(prefix, opts.startAfter), revision: this.applied };
  }

  create(key: string, object: KubeObject): Promise<Entry> {
    return this.enqueue({ kind: "create", key, object });
  }

  update(key: string, object: KubeObject, expectedRevision: number): Promise<Entry> {
    return this.enqueue({ kind: "update", key, object, expected: expectedRevision });
  }

  delete(key: string, expectedRevision?: number): Promise<Entry> {
    return this.enqueue({ kind: "delete", key, expected: expectedRevision });
  }

  watch(prefix: string, revision: number, listener: (events: readonly StoreEvent[]) => void): WatchHandle {
    this.assertOpen();
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    const fromRing = this.hub.replay(prefix, revision);
    const upTo = this.applied;
    let ready = false;
    let open = true;
    const held: StoreEvent[] = [];
    const unsubscribe = this.hub.subscribe(prefix, (published) => {
      // A revision a client read on a server further ahead than this one: what it has seen, it is not sent again.
      const events = published[0]!.revision > revision ? published : published.filter((e) => e.revision > revision);
      if (events.length === 0) return;
      if (ready) listener(events);
      else held.push(...events);
    });
    const deliver = (backlog: StoreEvent[]) => {
      if (!open) return;
      if (backlog.length) listener(backlog);
      ready = true;
      if (held.length) listener(held);
    };
    if (fromRing) queueMicrotask(() => deliver(fromRing));
    else void this.replayFromLog(prefix, revision, upTo, () => open).then(deliver);
    return {
      close: () => {
        open = false;
        unsubscribe();
      },
    };
  }

  /**
   * Drops history at or below `revision`, once per cluster: the server whose mark moves the
   * cluster's compact_rev does the work; a server that finds it already there leaves it.
   */
  compact(revision: number): Promise<void> {
    const target = Math.min(revision, this.applied);
    if (target <= this.compacted) return this.compacting ?? Promise.resolve();
    const previous = this.compacting?.catch(() => {}) ?? Promise.resolve();
    const run = previous.then(async () => {
      try {
        const before = this.compacted;
        const now = await this.log.markCompacted(target).catch((err) => {
          throw err instanceof StorageUnavailableError ? err : new StorageWriteError(err);
        });
        this.compacted = Math.max(this.compacted, now);
        if (now !== target || before >= target) return;
        for (let cursor: number | undefined = 0; cursor !== undefined && !this.closed; ) {
          cursor = await this.log.compactStep(cursor, target, COMPACT_STEP_ROWS);
        }
      } finally {
        if (this.compacting === run) this.compacting = undefined;
      }
    });
    this.compacting = run;
    return run;
  }

  expire(now = this.now()): Promise<number> {
    return expireKeys(this, this.leases.due(now));
  }

  /** Resolves once the writes queued so far have settled and the cache has caught up with the datastore. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
    await this.catchUp().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.writing) await this.writing;
    this.closed = true;
    clearInterval(this.poller);
    await this.compacting?.catch(() => {});
    await this.tailing?.catch(() => {});
    for (const w of this.queue.splice(0)) w.reject(new StoreClosedError());
    await this.log.close();
  }

  /** The cluster-wide bootstrap data, stored by the first server (bootstrap-data.ts). */
  get blobs(): Pick<PostgresLog, "getBlob" | "putBlobIfAbsent"> {
    return this.log;
  }

  private enqueue(w: Omit<QueuedWrite, "resolve" | "reject">): Promise<Entry> {
    this.assertOpen();
    return new Promise<Entry>((resolve, reject) => {
      this.queue.push({ ...w, resolve, reject });
      if (!this.writing) this.writing = this.writeLoop();
    });
  }

  /** Commits the queue, a group per transaction, while writes keep coming. */
  private async writeLoop(): Promise<void> {
    // One event-loop turn for the writes of this turn to join the group.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      await this.commit(batch);
    }
    // Cleared in the same turn as the last look at the queue: a write queued after it starts a new loop.
    this.writing = undefined;
  }

  private async commit(batch: QueuedWrite[]): Promise<void> {
    const outcomes: (OwnWrite | Error)[] = [];
    let rows: LogRow[];
    try {
      rows = await this.log.write(
        batch.map((w) => w.key),
        batch.length,
        (latest, first) => {
          outcomes.length = 0;
          const state = new Map(latest);
          const out: LogRow[] = [];
          batch.forEach((w, i) => {
            const decided = decideWrite(w, state.get(w.key), first + i, this.parts, this.live.get(w.key));
            if (decided instanceof Error) return void outcomes.push(decided);
            const { row, object } = decided;
            state.set(w.key, { id: row.id, deleted: row.deleted, createRevision: row.createRevision, value: row.value });
            out.push(row);
            outcomes.push({ object, resolve: w.resolve });
          });
          return out;
        },
      );
    } catch (err) {
      const failure = err instanceof StorageUnavailableError ? err : new StorageWriteError(err);
      for (const w of batch) w.reject(failure);
      return;
    }
    let r = 0;
    batch.forEach((w, i) => {
      const outcome = outcomes[i]!;
      if (outcome instanceof Error) return w.reject(outcome);
      const row = rows[r++]!;
      // A tail woken by this very commit's NOTIFY may have applied it already (as a peer's write).
      if (row.id <= this.applied) w.resolve({ key: row.name, revision: row.id, createRevision: row.createRevision, object: this.live.get(row.name)?.revision === row.id ? this.live.get(row.name)!.object : outcome.object });
      else this.own.set(row.id, outcome);
    });
    // Acknowledged once applied: the tail resolves them (and retries until the database answers).
    await this.catchUp().catch(() => {});
  }

  /** Reads the log after the last applied revision up to its head; one reader at a time, again if asked meanwhile. */
  private catchUp(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.tailRequested = true;
    this.tailing ??= this.tail();
    return this.tailing;
  }

  private async tail(): Promise<void> {
    try {
      while (this.tailRequested && !this.closed) {
        this.tailRequested = false;
        for (;;) {
          const rows = await this.log.rowsAfter(this.applied, TAIL_ROWS, { skipValues: [...this.own.keys()] });
          if (rows.length) this.apply(rows);
          if (rows.length < TAIL_ROWS) break;
        }
        if (this.outage) console.error("kubun store: the datastore is reachable again; the cache has caught up");
        this.outage = false;
      }
    } catch (err) {
      if (this.closed) return;
      if (!this.outage) console.error(`kubun store: reading the datastore failed, retrying: ${err instanceof Error ? err.message : err}`);
      this.outage = true;
      throw err;
    } finally {
      // Cleared in the turn of the last look at tailRequested: a later catchUp starts a new read.
      this.tailing = undefined;
    }
  }

  /** Applies committed rows to the cache, in revision order, and publishes their events. */
  private apply(rows: LogRow[]): void {
    const events: StoreEvent[] = [];
    const acks: [OwnWrite, Entry][] = [];
    const now = this.now();
    for (const row of rows) {
      if (row.id <= this.applied) continue;
      const mine = this.own.get(row.id);
      this.own.delete(row.id);
      const object = mine?.object ?? keepStored(row.value, this.parts);
      const prev = this.live.get(row.name)?.object;
      const type = row.created ? "ADDED" : row.deleted ? "DELETED" : "MODIFIED";
      const resource = resourceOf(row.name);
      if (this.leases.covers(resource)) this.leases.wrote(row.name, now, row.deleted, row.id);
      const entry: Entry = { key: row.name, revision: row.id, createRevision: row.createRevision, object };
      if (row.deleted) this.live.remove(row.name);
      else this.live.put(entry);
      events.push({ type, key: row.name, revision: row.id, object, prev: type === "ADDED" ? undefined : prev });
      if (mine) acks.push([mine, entry]);
      this.applied = row.id;
    }
    this.hub.publish(events);
    for (const [w, entry] of acks) w.resolve({ ...entry });
  }

  private async replayFromLog(prefix: string, revision: number, upTo: number, open: () => boolean): Promise<StoreEvent[]> {
    // The database may be away for a moment: the watch waits for it rather than miss its history.
    for (let delay = 100; open(); delay = Math.min(delay * 2, 2000)) {
      try {
        return await this.log.eventsBetween(prefix, revision, upTo);
      } catch {
        await Bun.sleep(delay);
      }
    }
    return [];
  }

  private async refreshCompacted(): Promise<void> {
    try {
      this.compacted = Math.max(this.compacted, await this.log.compactedRevision());
    } catch {
      // Unreachable for now: the tail reports it; the next poll tries again.
    }
  }

  private forgetTexts(dropped: readonly { key: string; revision: number }[]): void {
    for (const { key, revision } of dropped) {
      const entry = this.get(key);
      if (entry?.revision === revision) forgetJson(entry.object);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
