// The clock of expiring resources (StoreOptions.expiring), as etcd leases are for kube-apiserver's
// Events: each key's last write, oldest first, and which keys are past their resource's TTL.
//
// The writes are held in a queue in the order they were made — the key (the very string the
// store's map of current keys holds), the time and the revision written — and not in a map of
// keys: a write appends, and an earlier write of the same key is left where it is, stale. Which
// write is a key's last is what the store's current state says: the one whose revision is the
// key's current revision (a key written again, deleted, or deleted and made anew has another,
// or none). At 50,000 Events the map was ~68 B a key (3.2 MB, bench:memory --owners); three
// array slots are 24. Stale writes are dropped from the queue's head as the clock passes them,
// and the queue is rebuilt from its current writes alone once it holds twice as many writes as
// were current at the last rebuild, so a key written again and again costs no more than once.
import { KeyNotFoundError, RevisionConflictError } from "./errors.ts";
import type { Store } from "./types.ts";

/** Expired keys deleted in one commit. */
const EXPIRE_GROUP = 500;

/**
 * Deletes the `due` keys at their current revisions (watchers see DELETED events, as for an etcd
 * lease running out), in groups that share a commit, each group after the last one landed.
 * A key written or deleted meanwhile is left alone. Returns how many were deleted.
 */
export async function expireKeys(store: Store, due: readonly string[]): Promise<number> {
  const current: [string, number][] = [];
  for (const key of due) {
    const revision = store.get(key)?.revision;
    if (revision !== undefined) current.push([key, revision]);
  }
  let expired = 0;
  for (let i = 0; i < current.length; i += EXPIRE_GROUP) {
    const results = await Promise.allSettled(current.slice(i, i + EXPIRE_GROUP).map(([key, revision]) => store.delete(key, revision)));
    for (const r of results) {
      if (r.status === "fulfilled") expired++;
      // Written or deleted meanwhile: its lease started again, or it is gone already.
      else if (!(r.reason instanceof KeyNotFoundError || r.reason instanceof RevisionConflictError)) throw r.reason;
    }
  }
  return expired;
}

/** Writes the queue holds before it is rebuilt from its current ones at the earliest. */
const REBUILD_MIN = 1024;

export class Leases {
  private readonly ttls: ReadonlyMap<string, number>;
  private readonly shortest: number;
  /** The queue of writes, oldest first from `head`: key, time (ms) and revision of each (see the top of the file). */
  private keys: (string | undefined)[] = [];
  private times: number[] = [];
  private revisions: number[] = [];
  private head = 0;
  /** The queue's length past which it is rebuilt from its current writes. */
  private rebuildAt = REBUILD_MIN;

  /**
   * `ttls`: milliseconds by resource prefix; `resourceOf`: the prefix a key belongs to;
   * `revisionOf`: a key's current revision in the store (undefined: it has none).
   */
  constructor(
    ttls: Readonly<Record<string, number>>,
    private readonly resourceOf: (key: string) => string,
    private readonly revisionOf: (key: string) => number | undefined,
  ) {
    this.ttls = new Map(Object.entries(ttls));
    this.shortest = Math.min(...this.ttls.values());
  }

  /** Whether keys of this resource expire. */
  covers(resource: string): boolean {
    return this.ttls.has(resource);
  }

  /**
   * A write at `at` of `revision`: the key's lease starts again (a delete ends it: the key then
   * has no current revision, and its writes here are stale).
   */
  wrote(key: string, at: number, deleted: boolean, revision: number): void {
    if (deleted) return;
    // Before this write is queued: the store may make it its key's current one only after the call.
    if (this.keys.length - this.head >= this.rebuildAt) this.rebuild();
    this.keys.push(key);
    this.times.push(at);
    this.revisions.push(revision);
  }

  /** Whether the write at `i` is its key's last (the key's current revision is the one it wrote). */
  private current(i: number): boolean {
    return this.revisionOf(this.keys[i]!) === this.revisions[i];
  }

  /** Keeps the current writes alone, in their order. */
  private rebuild(): void {
    const keys: string[] = [];
    const times: number[] = [];
    const revisions: number[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      if (!this.current(i)) continue;
      keys.push(this.keys[i]!);
      times.push(this.times[i]!);
      revisions.push(this.revisions[i]!);
    }
    this.keys = keys;
    this.times = times;
    this.revisions = revisions;
    this.head = 0;
    this.rebuildAt = Math.max(REBUILD_MIN, 2 * keys.length);
  }

  /** The keys whose lease has run out at `now`, oldest first. */
  due(now: number): string[] {
    const due: string[] = [];
    // Stale writes at the head are dropped; a current one stays until its key is deleted or written again.
    while (this.head < this.keys.length && !this.current(this.head)) {
      this.keys[this.head] = undefined;
      this.head++;
    }
    if (this.head > 0 && this.head >= this.keys.length >> 1) {
      this.keys = this.keys.slice(this.head);
      this.times = this.times.slice(this.head);
      this.revisions = this.revisions.slice(this.head);
      this.head = 0;
    }
    for (let i = this.head; i < this.keys.length; i++) {
      if (!this.current(i)) continue;
      const at = this.times[i]!;
      // With several TTLs, every key written before the shortest one's cutoff is looked at.
      if (now - at < this.shortest) break;
      const key = this.keys[i]!;
      if (now - at >= this.ttls.get(this.resourceOf(key))!) due.push(key);
    }
    return due;
  }
}
