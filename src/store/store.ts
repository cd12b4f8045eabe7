// The store (etcd's role): current state in memory, durable history in the SQLite log.
//
// Writes are checked (compare-and-swap) against the newest state, including writes not yet
// committed, and queued; one flush per event-loop turn appends the whole queue in a single
// transaction (group commit). The transaction's flush to disk (fdatasync of the WAL) runs on a
// thread of the pool while the event loop goes on serving requests; the writes queued meanwhile
// wait for it and then go as the next group, one commit and one fsync for them all (a lone write
// waits for nothing but its own). Only once a group is on disk are its writes visible to
// readers, published to watchers, and acknowledged to callers, in revision order.
import type { KubeObject } from "../apis/meta.ts";
import { CompactedError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StorageWriteError, StoreClosedError } from "./errors.ts";
import { forgetJson, keepStored, objectJson, parseStored, storedForm } from "./json.ts";
import { ColdEntry } from "./cold-entry.ts";
import { historyOf } from "./history.ts";
import { expireKeys, Leases } from "./leases.ts";
import { LiveState, resourceOf } from "./live-state.ts";
import { SqliteLog, type LogOptions, type LogRow } from "./sqlite-log.ts";
import type { Entry, HistoryEntry, ListResult, ServerStore, StoreEvent, StoreMemoryStats, WatchHandle } from "./types.ts";
import { SubtreeTable } from "./subtrees.ts";
import { WatchHub } from "./watch-hub.ts";
import { stageEnd, stageStart } from "./stage-timers.ts";

export interface StoreOptions extends LogOptions {
  /** Events kept in memory for resuming watches. */
  ringSize?: number;
  /** JSON bytes the ring of events may hold (default 32 MiB): big objects make a shorter ring. */
  ringBytes?: number;
  /**
   * Resources (store prefixes such as "/core/events/") whose current objects stay on disk: the
   * store keeps only their keys and revisions in memory and reads an object from the log when
   * it is asked for. For kinds written once and rarely read, like Events, which in a busy
   * cluster are as many as its pods and would otherwise cost as much memory.
   */
  coldResources?: readonly string[];
  /**
   * Resources whose objects expire: a key under one of these prefixes is deleted by expire()
   * this many milliseconds after its last write, as kube-apiserver gives Events a lease of
   * --event-ttl (1 h). Keys found on disk at start count as written then.
   */
  expiring?: Readonly<Record<string, number>>;
  /** The clock of the leases above, in ms (default Date.now); tests pass their own. */
  now?: () => number;
}

interface PendingWrite {
  row: LogRow;
  event: StoreEvent;
  resolve: (e: Entry) => void;
  reject: (err: unknown) => void;
}

/** The writes one flush appended, numbered in flush order. */
interface Group {
  seq: number;
  writes: PendingWrite[];
}

/** Log rows a step of compaction looks at: a few milliseconds of the event loop. */
const COMPACT_STEP_ROWS = 500;

/** The object as stored at `revision`: in its compact parsed form (json.ts), its JSON made once. */
export function withRevision(object: KubeObject, revision: number, parts: SubtreeTable | undefined): KubeObject {
  const versioned = { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
  // A cold resource's object is dropped once written and sent: nothing to share its parts with.
  return parts ? storedForm(versioned, parts) : parseStored(JSON.stringify(versioned));
}

export class SqliteStore implements ServerStore {
  private readonly log: SqliteLog;
  private readonly hub: WatchHub;
  /** Committed current state (live-state.ts). */
  private readonly live = new LiveState();
  /** Newest state of keys written but not yet applied (entry null: deleted), with its revision. */
  private readonly pending = new Map<string, { entry: Entry | null; revision: number }>();
  /** Revision of each deleted key's tombstone: the CAS base of its next create. */
  private readonly tombstones = new Map<string, number>();
  /** Parts of stored objects, shared between objects that are alike (subtrees.ts). */
  private readonly parts = new SubtreeTable();
  private readonly cold: ReadonlySet<string>;
  private readonly leases: Leases;
  private readonly now: () => number;
  private queue: PendingWrite[] = [];
  /** The group appended to the log and on its way to disk (undefined: none). */
  private syncing: Group | undefined;
  /** Groups flushed so far (the last one's seq). */
  private flushed = 0;
  /** Who waits in settled(): for every group up to `through` to be applied or failed. */
  private settledWaiters: { through: number; resolve: () => void }[] = [];
  private flushScheduled = false;
  private assigned: number;
  private committed: number;
  private compacted: number;
  private closed = false;
  /** Why the last commit failed, until one succeeds (readyz reports it). */
  private lastCommitFailure: string | undefined;
  /** Why a flush to disk failed: from then on every write fails. */
  private syncFailure: string | undefined;
  /** The compaction whose steps are still running. */
  private compacting: Promise<void> | undefined;

  constructor(path: string, opts: StoreOptions = {}) {
    this.log = new SqliteLog(path, opts);
    this.cold = new Set(opts.coldResources ?? []);
    this.leases = new Leases(opts.expiring ?? {}, resourceOf);
    this.now = opts.now ?? Date.now;
    this.hub = new WatchHub({ events: opts.ringSize ?? 10_000, bytes: opts.ringBytes }, (dropped) => this.forgetTexts(dropped));
    for (const row of this.log.latestRows()) {
      if (row.deleted) this.tombstones.set(row.name, row.id);
      else if (this.cold.has(resourceOf(row.name))) this.live.put(new ColdEntry(row.name, row.id, row.createRevision, this.log));
      else {
        // Not recent (no event of it in the ring): no text kept, as forgetTexts would do.
        const object = keepStored(row.value, this.parts);
        forgetJson(object);
        this.live.put({ key: row.name, revision: row.id, createRevision: row.createRevision, object });
      }
    }
    const started = this.now();
    for (const resource of Object.keys(opts.expiring ?? {})) for (const key of this.live.keysOf(resource)) this.leases.wrote(key, started, false);
    this.compacted = this.log.compactedRevision();
    this.committed = this.assigned = this.log.maxRevision();
  }

  get revision(): number {
    return this.committed;
  }

  get compactedRevision(): number {
    return this.compacted;
  }
  memoryStats(): StoreMemoryStats {
    return { keys: this.live.counts(), ringEvents: this.hub.ringLength, ringTextBytes: this.hub.ringTextBytes, sharedParts: this.parts.size };
  }


  history(key: string): HistoryEntry[] {
    return historyOf(this.log.rowsOf(key));
  }

  get(key: string): Entry | undefined {
    return this.live.get(key);
  }

  list(prefix: string, opts: { startAfter?: string } = {}): ListResult {
    return { items: this.live.list(prefix, opts.startAfter), revision: this.committed };
  }

  create(key: string, object: KubeObject): Promise<Entry> {
    this.assertOpen();
    if (this.newest(key)) return Promise.reject(new KeyExistsError(key));
    const revision = ++this.assigned;
    const t = stageStart();
    const stored = withRevision(object, revision, this.partsFor(key));
    stageEnd("encode", t);
    const entry: Entry = { key, revision, createRevision: revision, object: stored };
    // A delete of the key still queued is the tombstone this create follows.
    const prevRevision = this.pending.get(key)?.revision ?? this.tombstones.get(key) ?? 0;
    return this.enqueue(entry, { type: "ADDED", key, revision, object: stored }, prevRevision, true, false);
  }

  update(key: string, object: KubeObject, expectedRevision: number): Promise<Entry> {
    this.assertOpen();
    const current = this.newest(key);
    if (!current) return Promise.reject(new KeyNotFoundError(key));
    if (current.revision !== expectedRevision) {
      return Promise.reject(new RevisionConflictError(key, expectedRevision, current.revision));
    }
    const revision = ++this.assigned;
    const stored = withRevision(object, revision, this.partsFor(key));
    const entry: Entry = { key, revision, createRevision: current.createRevision, object: stored };
    const event: StoreEvent = { type: "MODIFIED", key, revision, object: stored, prev: current.object };
    return this.enqueue(entry, event, current.revision, false, false);
  }

  delete(key: string, expectedRevision?: number): Promise<Entry> {
    this.assertOpen();
    const current = this.newest(key);
    if (!current) return Promise.reject(new KeyNotFoundError(key));
    if (expectedRevision !== undefined && current.revision !== expectedRevision) {
      return Promise.reject(new RevisionConflictError(key, expectedRevision, current.revision));
    }
    const revision = ++this.assigned;
    const last = withRevision(current.object, revision, this.partsFor(key));
    const entry: Entry = { key, revision, createRevision: current.createRevision, object: last };
    const event: StoreEvent = { type: "DELETED", key, revision, object: last, prev: current.object };
    return this.enqueue(entry, event, current.revision, false, true);
  }

  watch(prefix: string, revision: number, listener: (events: readonly StoreEvent[]) => void): WatchHandle {
    this.assertOpen();
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    const backlog = this.hub.replay(prefix, revision) ?? this.replayFromLog(prefix, revision);
    // Live events that arrive before the backlog is delivered wait behind it: no gaps, no duplicates.
    let ready = false;
    const held: StoreEvent[] = [];
    const unsubscribe = this.hub.subscribe(prefix, (events) => {
      if (ready) listener(events);
      else held.push(...events);
    });
    let open = true;
    queueMicrotask(() => {
      if (!open) return;
      if (backlog.length) listener(backlog);
      ready = true;
      if (held.length) listener(held);
    });
    return {
      close: () => {
        open = false;
        unsubscribe();
      },
    };
  }

  /**
   * Drops the log's history at or below `revision` (never past what is committed). Revisions
   * up to it are refused to watches at once; the rows go in steps of COMPACT_STEP_ROWS, one
   * event-loop turn each, so a compaction of a busy minute's history never stalls the API.
   * Fails with a StorageWriteError when the disk refuses it (the history then stays).
   */
  compact(revision: number): Promise<void> {
    const target = Math.min(revision, this.committed);
    if (target <= this.compacted) return this.compacting ?? Promise.resolve();
    try {
      this.log.markCompacted(target);
    } catch (err) {
      // A full or read-only disk: the history stays, and callers see a storage error, not SQLite's.
      return Promise.reject(new StorageWriteError(err));
    }
    this.compacted = target;
    // After the one still running, whether or not it got through: this one covers its rows too.
    const previous = this.compacting?.catch(() => {}) ?? Promise.resolve();
    const run = previous.then(async () => {
      try {
        for (let cursor: number | undefined = 0; cursor !== undefined && !this.closed; ) {
          cursor = this.log.compactStep(cursor, target, COMPACT_STEP_ROWS);
          if (cursor !== undefined) await new Promise((resolve) => setImmediate(resolve));
        }
      } catch (err) {
        throw new StorageWriteError(err);
      } finally {
        if (this.compacting === run) this.compacting = undefined;
      }
    });
    this.compacting = run;
    return run;
  }

  /**
   * Deletes the keys of expiring resources whose last write is older than their resource's TTL
   * at `now` (watchers see DELETED events, as for an etcd lease running out). Returns how many.
   */
  expire(now = this.now()): Promise<number> {
    return expireKeys(this, this.leases.due(now));
  }

  /** Why the store cannot take writes now (closed, read-only, locked by another process, the last commit failed), or undefined. */
  writeFailure(): string | undefined {
    if (this.closed) return "the store is closed";
    return this.syncFailure ?? this.log.writeFailure() ?? this.lastCommitFailure;
  }

  /** Why the store cannot answer reads from its database, or undefined. */
  readFailure(): string | undefined {
    if (this.closed) return "the store is closed";
    return this.log.readFailure();
  }

  settled(): Promise<void> {
    const through = this.queue.length > 0 ? this.flushed + 1 : this.flushed;
    if (through < this.firstUnsettled()) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push({ through, resolve }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    // Writes already appended are acknowledged (or failed) before the file closes.
    await this.settled();
    await this.compacting?.catch(() => {});
    this.log.close();
  }

  /** The table a key's stored objects share parts through; none for a cold resource's. */
  private partsFor(key: string): SubtreeTable | undefined {
    return this.cold.has(resourceOf(key)) ? undefined : this.parts;
  }

  private newest(key: string): Entry | undefined {
    const p = this.pending.get(key);
    if (p !== undefined) return p.entry ?? undefined;
    return this.get(key);
  }

  private enqueue(entry: Entry, event: StoreEvent, prevRevision: number, created: boolean, deleted: boolean) {
    const row: LogRow = {
      id: entry.revision,
      name: entry.key,
      created,
      deleted,
      createRevision: entry.createRevision,
      prevRevision,
      value: objectJson(entry.object),
    };
    this.pending.set(entry.key, { entry: deleted ? null : entry, revision: entry.revision });
    return new Promise<Entry>((resolve, reject) => {
      this.queue.push({ row, event, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    // While a group is on its way to disk, the writes queued meanwhile wait: its sync's end
    // appends them all as the next group (one commit and one fsync for what arrived meanwhile).
    if (this.syncing) return;
    const writes = this.queue;
    if (writes.length === 0) return;
    this.queue = [];
    const group = { seq: ++this.flushed, writes };
    const t = stageStart();
    try {
      if (this.syncFailure) throw new Error(`an earlier flush to disk failed: ${this.syncFailure}`);
      this.log.append(writes.map((w) => w.row));
    } catch (err) {
      // Nothing of the group was committed, so nothing of it is applied in memory either;
      // the revisions it took stay unused.
      const failure = new StorageWriteError(err);
      this.lastCommitFailure = failure.message;
      this.forgetPending(writes);
      for (const w of writes) w.reject(failure);
      this.settle();
      return;
    }
    stageEnd("commit", t);
    if (this.log.needsSync) this.sync(group);
    else {
      this.lastCommitFailure = undefined;
      this.apply(group);
      this.settle();
    }
  }

  /** Flushes an appended group to disk; once that succeeds it is applied. Then the next group goes. */
  private sync(group: Group): void {
    this.syncing = group;
    this.log.sync((err) => {
      this.syncing = undefined;
      if (err) {
        // Committed in the file but not known to be on disk: not acknowledged, not applied. The
        // file now holds rows the memory lacks, and a disk that failed a flush may have lost any
        // of them: every later write fails too (readyz says why) until a restart reads the file.
        const failure = new StorageWriteError(err);
        this.syncFailure = this.lastCommitFailure = failure.message;
        this.forgetPending(group.writes);
        for (const w of group.writes) w.reject(failure);
      } else {
        this.lastCommitFailure = undefined;
        this.apply(group);
      }
      this.flush();
      this.settle();
    });
  }

  /** A group's writes, on disk: into current state, out to watchers, back to their callers. */
  private apply(group: Group): void {
    const writes = group.writes;
    let t = stageStart();
    const now = this.now();
    for (const { event } of writes) {
      const resource = resourceOf(event.key);
      if (this.leases.covers(resource)) this.leases.wrote(event.key, now, event.type === "DELETED");
      if (event.type === "DELETED") {
        this.live.remove(event.key);
        this.tombstones.set(event.key, event.revision);
      } else {
        this.tombstones.delete(event.key);
        const createRevision = event.type === "ADDED" ? event.revision : this.get(event.key)!.createRevision;
        this.live.put(
          this.cold.has(resource)
            ? new ColdEntry(event.key, event.revision, createRevision, this.log).held(event.object)
            : { key: event.key, revision: event.revision, createRevision, object: event.object },
        );
      }
      this.committed = event.revision;
      // Readers now see this write: the newest state of its key is the live one again, unless a later write is on its way.
      if (this.pending.get(event.key)?.revision === event.revision) this.pending.delete(event.key);
    }
    stageEnd("apply", t);
    t = stageStart();
    this.hub.publish(writes.map((w) => w.event));
    stageEnd("fanout", t);
    for (const w of writes) w.resolve({ key: w.event.key, revision: w.event.revision, createRevision: w.row.createRevision, object: w.event.object });
  }

  /**
   * Failed writes are no one's newest state: their keys' pending entries are made again from
   * the writes still on their way (appended and syncing, then queued), in revision order.
   */
  private forgetPending(failed: readonly PendingWrite[]): void {
    const keys = new Set(failed.map((w) => w.row.name));
    for (const key of keys) this.pending.delete(key);
    const live = [...(this.syncing?.writes ?? []), ...this.queue];
    for (const w of live) {
      if (!keys.has(w.row.name)) continue;
      this.pending.set(w.row.name, { entry: w.row.deleted ? null : { key: w.row.name, revision: w.row.id, createRevision: w.row.createRevision, object: w.event.object }, revision: w.row.id });
    }
  }

  /** The oldest group not yet applied or failed (queued writes count as the next group). */
  private firstUnsettled(): number {
    if (this.syncing) return this.syncing.seq;
    return this.queue.length > 0 ? this.flushed + 1 : Infinity;
  }

  private settle(): void {
    if (this.settledWaiters.length === 0) return;
    const first = this.firstUnsettled();
    const still: typeof this.settledWaiters = [];
    for (const w of this.settledWaiters) {
      if (w.through < first) w.resolve();
      else still.push(w);
    }
    this.settledWaiters = still;
  }

  private replayFromLog(prefix: string, revision: number): StoreEvent[] {
    const events: StoreEvent[] = [];
    for (let after = revision; ; ) {
      const rows = this.log.rowsAfter(prefix, after, 5000);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.id > this.committed) return events;
        const type = row.created ? "ADDED" : row.deleted ? "DELETED" : "MODIFIED";
        const prevRow = row.created ? undefined : this.log.rowAt(row.prevRevision);
        events.push({ type, key: row.name, revision: row.id, object: parseStored(row.value), prev: prevRow && parseStored(prevRow.value) });
      }
      after = rows[rows.length - 1]!.id;
    }
    return events;
  }

  /** Objects whose event left the ring keep no JSON text: older objects are mostly only listed. */
  private forgetTexts(dropped: readonly { key: string; revision: number }[]): void {
    for (const { key, revision } of dropped) {
      const entry = this.get(key);
      if (entry?.revision === revision && !(entry instanceof ColdEntry)) forgetJson(entry.object);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
