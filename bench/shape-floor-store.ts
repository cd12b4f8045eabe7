// The shape floor's store (bench/shape-floor.ts): current objects in memory, durable in the same
// SQLite revision log as kubun's store (src/store/sqlite-log.ts itself: its schema, its
// Drizzle-generated insert, its one transaction per group, WAL with synchronous=FULL), one group
// commit per event-loop turn, and each committed event encoded once and handed to every open
// watch of its collection. A write is answered only after its group committed; readers see only
// committed objects. Nothing else: no compaction, no leases, no watch budget (a slow watcher's
// queue grows), no field selectors.
//
// Lean (`lean: true`, shape-floor.ts --lean): the least memory a server of this shape holds its
// objects in, for bench:memory's floor — each committed object as its stored JSON text alone
// (parsed again when a write changes it), an Event (a cold resource, as kubun's store keeps
// Events) as its revision alone (its text read from the log when asked for), and a ring of
// events bounded by the bytes kubun's watch ring holds (src/store/watch-hub.ts).
import { SqliteLog, type LogRow } from "../src/store/sqlite-log.ts";
import { DEFAULT_RING_BYTES } from "../src/store/watch-hub.ts";

/** One current object: its stored JSON (the response and the log's value) and that JSON parsed (a lean store parses it when asked). */
export interface Stored {
  json: string;
  object?: any;
  revision: number;
  createRevision: number;
}

/** What a lean store keeps of an Event: where the log has it. */
interface OnDisk {
  json?: undefined;
  revision: number;
  createRevision: number;
}

/** A lean store's resources kept on disk, as kubun's store keeps Events (src/cli/server.ts's coldResources). */
const COLD_PREFIX = "/core/events/";

/** One open watch: encoded events queued for its connection, handed over as it reads. */
export class FloorWatch {
  readonly body: ReadableStream<Uint8Array>;
  private pending: Uint8Array[] = [];
  private wake: (() => void) | undefined;
  ended = false;

  constructor(readonly collection: string, readonly namespace: string | undefined, onCancel: () => void) {
    this.body = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => {
          if (this.handOff(controller)) return;
          return new Promise<void>((resolve) => (this.wake = resolve)).then(() => void this.handOff(controller));
        },
        cancel: () => {
          this.ended = true;
          this.pending = [];
          onCancel();
        },
      },
      { highWaterMark: 0 },
    );
  }

  push(event: Uint8Array): void {
    if (this.ended) return;
    this.pending.push(event);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  end(): void {
    this.ended = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Everything queued since the client last read goes to the connection as one chunk (one TLS write). */
  private handOff(controller: ReadableStreamDefaultController<Uint8Array>): boolean {
    const n = this.pending.length;
    if (n === 1) controller.enqueue(this.pending[0]!);
    else if (n > 1) {
      let size = 0;
      for (const p of this.pending) size += p.byteLength;
      const frame = new Uint8Array(size);
      let at = 0;
      for (const p of this.pending) {
        frame.set(p, at);
        at += p.byteLength;
      }
      controller.enqueue(frame);
    } else if (this.ended) {
      try {
        controller.close();
      } catch {}
      return true;
    } else return false;
    this.pending = [];
    return true;
  }
}

interface Pending {
  row: LogRow;
  stored: Stored;
  collection: string;
  namespace: string | undefined;
  type: "ADDED" | "MODIFIED";
  resolve: (s: Stored) => void;
  reject: (err: Error) => void;
}

/** An event kept for watches that resume from a resourceVersion. */
interface RingEvent {
  revision: number;
  collection: string;
  namespace: string | undefined;
  bytes: Uint8Array;
}

const RING = 50_000;
const encoder = new TextEncoder();

export interface FloorStoreOptions {
  /** Append the groups on a Worker thread (bench/shape-floor-commit.ts), not on the event loop. */
  commitWorker?: boolean;
  /** Hold objects as their texts, Events on disk, a ring bounded by bytes (above). */
  lean?: boolean;
}

export class FloorStore {
  private readonly log: SqliteLog;
  private readonly worker: Worker | undefined;
  /** Groups posted to the worker, oldest first, and the keys they hold until they have committed. */
  private readonly awaiting: Pending[][] = [];
  private readonly inFlight = new Map<string, Stored>();
  private readonly live = new Map<string, Stored | OnDisk>();
  private readonly lean: boolean;
  /** The ring's first live event (a lean ring drops from the front) and the bytes it holds. */
  private ringStart = 0;
  private ringBytes = 0;
  /** Writes queued for the next group, by key: a later write of the same key follows them. */
  private readonly pendingByKey = new Map<string, Stored>();
  private queue: Pending[] = [];
  private flushScheduled = false;
  private revision: number;
  /** The newest committed revision: what a LIST answers as its resourceVersion. */
  committed: number;
  private readonly watches = new Map<string, Set<FloorWatch>>();
  private ring: RingEvent[] = [];
  /** Events older than the ring's first were dropped: a watch from before them is told 410. */
  private ringFloor: number;
  /** Group commits so far: groups, rows, and ms the event loop spent in them (the benches read it). */
  readonly commits = { groups: 0, rows: 0, ms: 0 };

  constructor(path: string, opts: FloorStoreOptions = {}) {
    this.log = new SqliteLog(path, { synchronous: "full" });
    this.lean = opts.lean === true;
    this.revision = this.committed = this.ringFloor = this.log.maxRevision();
    for (const row of this.log.latestRows()) {
      if (row.deleted) continue;
      const s: Stored = { json: row.value, object: this.lean ? undefined : JSON.parse(row.value), revision: row.id, createRevision: row.createRevision };
      this.live.set(row.name, this.kept(row.name, s));
    }
    if (opts.commitWorker) {
      this.worker = new Worker(new URL("./shape-floor-commit.ts", import.meta.url));
      this.worker.postMessage({ open: path });
      this.worker.onmessage = (e: MessageEvent<{ ms: number } | { error: string }>) => this.committedOnWorker(e.data);
    }
  }

  get(key: string): Stored | undefined {
    return this.read(this.live.get(key));
  }

  /** The newest version of a key, queued writes included: what the next write of it follows. */
  latest(key: string): Stored | undefined {
    return this.pendingByKey.get(key) ?? this.inFlight.get(key) ?? this.read(this.live.get(key));
  }

  /** A committed object as the live map keeps it: itself, or a lean store's Event, as a read of the log. */
  private read(s: Stored | OnDisk | undefined): Stored | undefined {
    if (s === undefined || s.json !== undefined) return s;
    return { json: this.log.rowAt(s.revision)!.value, revision: s.revision, createRevision: s.createRevision };
  }

  /** What the live map keeps of a committed object: all of it, or (lean) its text, or an Event's place in the log. */
  private kept(key: string, s: Stored): Stored | OnDisk {
    if (!this.lean) return s;
    if (key.startsWith(COLD_PREFIX)) return { revision: s.revision, createRevision: s.createRevision };
    return s.object === undefined ? s : { json: s.json, revision: s.revision, createRevision: s.createRevision };
  }

  nextRevision(): number {
    return ++this.revision;
  }

  /** The JSON text the live map holds, in characters (Events a lean store keeps on disk not counted). */
  liveTextLength(): number {
    let n = 0;
    for (const s of this.live.values()) n += s.json?.length ?? 0;
    return n;
  }

  /** Committed objects whose key starts with `prefix`, as JSON texts. */
  list(prefix: string): string[] {
    const out: string[] = [];
    for (const [key, s] of this.live) if (key.startsWith(prefix)) out.push(this.read(s)!.json);
    return out;
  }

  /**
   * Queues a write of `stored` at `key` (prev: the version it follows, or none for a create);
   * resolves once its group has committed, its event has gone to the watches and it is visible.
   */
  write(key: string, collection: string, namespace: string | undefined, stored: Stored, prev: Stored | undefined): Promise<Stored> {
    const row: LogRow = { id: stored.revision, name: key, created: prev === undefined, deleted: false, createRevision: stored.createRevision, prevRevision: prev?.revision ?? 0, value: stored.json };
    this.pendingByKey.set(key, stored);
    return new Promise<Stored>((resolve, reject) => {
      this.queue.push({ row, stored, collection, namespace, type: prev === undefined ? "ADDED" : "MODIFIED", resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.pendingByKey.clear();
    if (batch.length === 0) return;
    const rows = new Array<LogRow>(batch.length);
    for (let i = 0; i < batch.length; i++) rows[i] = batch[i]!.row;
    if (this.worker !== undefined) {
      for (const w of batch) this.inFlight.set(w.row.name, w.stored);
      this.awaiting.push(batch);
      this.worker.postMessage({ rows });
      return;
    }
    const t = performance.now();
    try {
      this.log.append(rows);
    } catch (err) {
      for (const w of batch) w.reject(err as Error);
      return;
    }
    this.applied(batch, performance.now() - t);
  };

  private committedOnWorker(answer: { ms: number } | { error: string }): void {
    const batch = this.awaiting.shift()!;
    for (const w of batch) if (this.inFlight.get(w.row.name) === w.stored) this.inFlight.delete(w.row.name);
    if ("error" in answer) {
      for (const w of batch) w.reject(new Error(answer.error));
      return;
    }
    this.applied(batch, answer.ms);
  }

  /** A committed group: visible, published, answered. */
  private applied(batch: Pending[], ms: number): void {
    this.commits.ms += ms;
    this.commits.groups++;
    this.commits.rows += batch.length;
    for (const w of batch) {
      this.live.set(w.row.name, this.kept(w.row.name, w.stored));
      this.committed = w.stored.revision;
      this.publish(w);
      w.resolve(w.stored);
    }
  }

  /** The event encoded once, to the ring and to every watch of its collection (and namespace). */
  private publish(w: Pending): void {
    const bytes = encoder.encode(`{"type":"${w.type}","object":${w.stored.json}}\n`);
    this.ring.push({ revision: w.stored.revision, collection: w.collection, namespace: w.namespace, bytes });
    if (this.lean) this.boundRingBytes(bytes.byteLength);
    else if (this.ring.length > RING * 2) {
      this.ringFloor = this.ring[this.ring.length - RING - 1]!.revision;
      this.ring = this.ring.slice(-RING);
    }
    const watches = this.watches.get(w.collection);
    if (watches === undefined) return;
    for (const watch of watches) if (watch.namespace === undefined || watch.namespace === w.namespace) watch.push(bytes);
  }

  /** A lean ring holds at most kubun's watch ring's bytes: the oldest events leave first. */
  private boundRingBytes(added: number): void {
    this.ringBytes += added;
    while (this.ringBytes > DEFAULT_RING_BYTES && this.ringStart < this.ring.length - 1) {
      const dropped = this.ring[this.ringStart++]!;
      this.ringBytes -= dropped.bytes.byteLength;
      this.ringFloor = dropped.revision;
    }
    if (this.ringStart > 4096 && this.ringStart * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.ringStart);
      this.ringStart = 0;
    }
  }

  /**
   * A watch of a collection from `from` (a resourceVersion; events after it are replayed from
   * the ring), or undefined when `from` is older than the ring holds (410 Expired).
   */
  watch(collection: string, namespace: string | undefined, from: number | undefined): FloorWatch | undefined {
    if (from !== undefined && from < this.ringFloor) return undefined;
    let set = this.watches.get(collection);
    if (set === undefined) this.watches.set(collection, (set = new Set()));
    const watches = set;
    const watch = new FloorWatch(collection, namespace, () => watches.delete(watch));
    if (from !== undefined) {
      for (let i = this.ringStart; i < this.ring.length; i++) {
        const e = this.ring[i]!;
        if (e.revision > from && e.collection === collection && (namespace === undefined || e.namespace === namespace)) watch.push(e.bytes);
      }
    }
    watches.add(watch);
    return watch;
  }

  close(): void {
    this.worker?.terminate();
    for (const set of this.watches.values()) for (const w of set) w.end();
    this.log.close();
  }
}
