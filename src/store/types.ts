import type { KubeObject } from "../apis/meta.ts";

/** The current state of one key. `object` is shared: callers must not mutate it. */
export interface Entry {
  key: string;
  revision: number;
  createRevision: number;
  object: KubeObject;
}

export interface StoreEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  key: string;
  revision: number;
  /** The object after the change; for DELETED, its last state. */
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED), for selector transitions. */
  prev?: KubeObject;
}

/** One past version of a key, as the revision log still holds it. */
export interface HistoryEntry {
  revision: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** The object written at that revision (for DELETED, its last state). */
  object: KubeObject;
}

export interface ListResult {
  items: Entry[];
  revision: number;
}

export interface WatchHandle {
  close(): void;
}

/** The store as the API server sees it; the SQLite implementation is in store.ts. */
export interface Store {
  /** The latest committed revision. */
  readonly revision: number;
  readonly compactedRevision: number;
  get(key: string): Entry | undefined;
  /** Live keys under `prefix`, sorted by key, starting after `startAfter` if given. */
  list(prefix: string, opts?: { startAfter?: string }): ListResult;
  create(key: string, object: KubeObject): Promise<Entry>;
  /** Replaces the object if its revision is still `expectedRevision`. */
  update(key: string, object: KubeObject, expectedRevision: number): Promise<Entry>;
  delete(key: string, expectedRevision?: number): Promise<Entry>;
  /**
   * Every event under `prefix` after `revision`, in order, then live ones.
   * Throws CompactedError if `revision` is older than the compacted history.
   */
  watch(prefix: string, revision: number, listener: (events: readonly StoreEvent[]) => void): WatchHandle;
  compact(revision: number): void;
  /**
   * The versions of `key` the log still holds, oldest first (compaction bounds how far back).
   * Optional: a backend that can't answer leaves it out, and the API says history isn't kept.
   */
  history?(key: string): HistoryEntry[] | Promise<HistoryEntry[]>;
  /** Resolves once the writes queued so far are committed (or failed): readers then see them. */
  settled(): Promise<void>;
  /**
   * Where other servers write to the same datastore: resolves once this server has applied every
   * write committed anywhere before the call, so a read after it is as fresh as etcd's quorum
   * read (kube's consistent reads from the watch cache). Absent where this server is the only writer.
   */
  consistentRead?(): Promise<void>;
  /** Why writes cannot be taken now, or undefined (the API server's readyz). */
  writeFailure?(): string | undefined;
  /** Why the database cannot be read, or undefined (the API server's livez). */
  readFailure?(): string | undefined;
  close(): Promise<void>;
}

/** What the store holds in memory, counted (bench:memory's breakdown). */
export interface StoreMemoryStats {
  /** Live keys by resource prefix ("/core/pods/": 50000). */
  keys: Record<string, number>;
  /** Events in the watch ring, and the JSON characters their texts hold. */
  ringEvents: number;
  ringTextBytes: number;
  /** Parts the subtree table can hand out for sharing (subtrees.ts). */
  sharedParts: number;
}

/** The store as the server runs it: one it also expires and compacts on its timers (SQLite or PostgreSQL). */
export interface ServerStore extends Store {
  memoryStats?(): StoreMemoryStats;
  /** The current object written at `revision` while that write is recent, else undefined (store.ts). */
  recentObject?(revision: number): KubeObject | undefined;
  compact(revision: number): Promise<void>;
  /** Deletes the expiring resources' keys past their TTL at `now`; resolves with how many. */
  expire(now?: number): Promise<number>;
}
