// The store (etcd's role): current state in memory, durable history in the SQLite log.
//
// Writes are checked (compare-and-swap) against the newest state, including writes not yet
// committed, and queued; one flush per event-loop turn appends the whole queue in a single
// transaction (group commit: one fsync for many requests). Only after that commit are the
// writes visible to readers, published to watchers, and acknowledged to callers.
import type { KubeObject } from "../apis/meta.ts";
import { CompactedError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StorageWriteError, StoreClosedError } from "./errors.ts";
import { forgetJson, keepStored, objectJson, withRevision } from "./json.ts";
import { ColdEntry } from "./cold-entry.ts";
import { historyOf } from "./history.ts";
import { expireKeys, Leases } from "./leases.ts";
import { LiveState, resourceOf } from "./live-state.ts";
import { SqliteLog, type LogOptions, type LogRow } from "./sqlite-log.ts";
import type { Entry, HistoryEntry, ListResult, ServerStore, StoreEvent, StoreMemoryStats, WatchHandle } from "./types.ts";
import { SubtreeTable } from "./subtrees.ts";
import { WatchHub } from "./watch-hub.ts";
import { stageEnd, stageStart, TAIL_TRACE, traceGroup } from "./stage-timers.ts";

export interface StoreOptions extends LogOptions {
  /** Events kept in memory for resuming watches. */
  ringSize?: number;
  /** JSON bytes the ring of events may hold (default 8 MiB, watch-hub.ts): big objects make a shorter ring. */
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

/** Log rows a step of compaction looks at: a few milliseconds of the event loop. */
const COMPACT_STEP_ROWS = 500;


export class SqliteStore implements ServerStore {
  private readonly log: SqliteLog;
  private readonly hub: WatchHub;
  /** Committed current state (live-state.ts). */
  private readonly live = new LiveState((key, revision) => new ColdEntry(key, revision, revision, this.log));
  /** Newest state of keys written but not yet committed (entry null: deleted), with its revision. */
  private readonly pending = new Map<string, { entry: Entry | null; revision: number }>();
  /** Revision of each deleted key's tombstone: the CAS base of its next create. */
  private readonly tombstones = new Map<string, number>();
  /** Parts of stored objects, shared between objects that are alike (subtrees.ts). */
  private readonly parts = new SubtreeTable();
  private readonly cold: ReadonlySet<string>;
  private readonly leases: Leases;
  private readonly now: () => number;
  private queue: PendingWrite[] = [];
  private settledWaiters: (() => void)[] = [];
  private flushScheduled = false;
  /** When the queue's first write was queued (traced only: stage-timers.ts). */
  private queuedAt = 0;
  private assigned: number;
  private committed: number;
  private compacted: number;
  private closed = false;
  /** Why the last commit failed, until one succeeds (readyz reports it). */
  private lastCommitFailure: string | undefined;
  /** The compaction whose steps are still running. */
  private compacting: Promise<void> | undefined;

  constructor(path: string, opts: StoreOptions = {}) {
    this.log = new SqliteLog(path, opts);
    this.cold = new Set(opts.coldResources ?? []);
    this.leases = new Leases(opts.expiring ?? {}, resourceOf, (key) => this.live.revisionOf(key));
    this.now = opts.now ?? Date.now;
    this.hub = new WatchHub({ events: opts.ringSize ?? 10_000, bytes: opts.ringBytes }, (dropped) => this.forgetTexts(dropped));
    for (const row of this.log.latestRows()) {
      if (row.deleted) this.tombstones.set(row.name, row.id);
      else if (this.cold.has(resourceOf(row.name))) {
        this.live.put(new ColdEntry(row.name, row.id, row.createRevision, this.log));
        this.live.compact(row.name, row.id);
      } else {
        // Not recent (no event of it in the ring): no text kept, as forgetTexts would do.
        const object = keepStored(row.value, this.parts);
        forgetJson(object);
        this.live.put({ key: row.name, revision: row.id, createRevision: row.createRevision, object });
      }
    }
    const started = this.now();
    for (const resource of Object.keys(opts.expiring ?? {})) for (const key of this.live.keysOf(resource)) this.leases.wrote(key, started, false, this.live.revisionOf(key)!);
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


  /**
   * The object written at `revision` if it is still its key's current object and that write's
   * event is still in the watch ring (a recent write: the in-process informers ask for the object
   * of each event they receive, rather than decode a copy of it). Not for cold resources.
   */
  recentObject(revision: number): KubeObject | undefined {
    const key = this.hub.keyAt(revision);
    const entry = key === undefined ? undefined : this.live.get(key);
    return entry?.revision === revision && !(entry instanceof ColdEntry) ? entry.object : undefined;
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
    const t = stageStart();
    const stored = withRevision(object, revision, this.partsFor(key), current.object);
    stageEnd("encode", t);
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
    const last = withRevision(current.object, revision, this.partsFor(key), current.object);
    const entry: Entry = { key, revision, createRevision: current.createRevision, object: last };
    const event: StoreEvent = { type: "DELETED", key, revision, object: last, prev: current.object };
    return this.enqueue(entry, event, current.revision, false, true);
  }

  watch(prefix: string, revision: number, listener: (events: readonly StoreEvent[]) => void): WatchHandle {
    this.assertOpen();
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    const backlog = this.hub.replay(prefix, revision) ?? this.log.eventsBetween(prefix, revision, this.committed);
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
    return this.log.writeFailure() ?? this.lastCommitFailure;
  }

  /** Why the store cannot answer reads from its database, or undefined. */
  readFailure(): string | undefined {
    if (this.closed) return "the store is closed";
    return this.log.readFailure();
  }

  settled(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
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
        if (TAIL_TRACE) this.queuedAt = performance.now();
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.pending.clear();
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    try {
      this.commit(batch);
    } finally {
      for (const w of waiters) w();
    }
  }

  private commit(batch: PendingWrite[]): void {
    let t = stageStart();
    const commitStart = TAIL_TRACE ? performance.now() : 0;
    try {
      this.log.append(batch.map((w) => w.row));
    } catch (err) {
      // Nothing of the batch was committed, so nothing of it is applied in memory either;
      // the revisions it took stay unused.
      const failure = new StorageWriteError(err);
      this.lastCommitFailure = failure.message;
      for (const w of batch) w.reject(failure);
      return;
    }
    this.lastCommitFailure = undefined;
    stageEnd("commit", t);
    const commitEnd = TAIL_TRACE ? performance.now() : 0;
    t = stageStart();
    const now = this.now();
    for (const { event, row } of batch) {
      const resource = resourceOf(event.key);
      if (this.leases.covers(resource)) this.leases.wrote(event.key, now, event.type === "DELETED", event.revision);
      if (event.type === "DELETED") {
        this.live.remove(event.key);
        this.tombstones.set(event.key, event.revision);
      } else {
        // A create with no previous revision follows no tombstone: nothing to drop.
        if (event.type !== "ADDED" || row.prevRevision !== 0) this.tombstones.delete(event.key);
        // The row's createRevision is the current entry's (or, for a create, its own revision).
        const createRevision = row.createRevision;
        const entry = this.cold.has(resource)
          ? new ColdEntry(event.key, event.revision, createRevision, this.log).held(event.object)
          : { key: event.key, revision: event.revision, createRevision, object: event.object };
        // A create's key is in no current state (create() checked, and a delete of it in this
        // batch has gone before): no lookup for a current entry.
        if (event.type === "ADDED") this.live.add(entry);
        else this.live.put(entry);
      }
      this.committed = event.revision;
    }
    stageEnd("apply", t);
    t = stageStart();
    this.hub.publish(batch.map((w) => w.event));
    stageEnd("fanout", t);
    if (TAIL_TRACE) traceGroup(this.queuedAt, commitStart, commitEnd, performance.now(), batch[0]!.row.id, batch.length);
    for (const w of batch) w.resolve({ key: w.event.key, revision: w.event.revision, createRevision: w.row.createRevision, object: w.event.object });
  }

  /**
   * Objects whose event left the ring keep no JSON text (older objects are mostly only listed);
   * cold entries no WeakRef, and those of a key written once are held as their revision alone.
   */
  private forgetTexts(dropped: readonly { key: string; revision: number }[]): void {
    for (const { key, revision } of dropped) {
      const entry = this.get(key);
      if (entry?.revision !== revision) continue;
      if (entry instanceof ColdEntry) {
        entry.release();
        this.live.compact(key, revision);
      } else forgetJson(entry.object);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
