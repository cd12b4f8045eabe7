// The clock of expiring resources (StoreOptions.expiring), as etcd leases are for kube-apiserver's
// Events: each key's last write, oldest first, and which keys are past their resource's TTL.
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

export class Leases {
  private readonly ttls: ReadonlyMap<string, number>;
  private readonly shortest: number;
  /** Keys by the time (ms) of their last write; the map's order is the order of last writes. */
  private readonly written = new Map<string, number>();

  /** `ttls`: milliseconds by resource prefix; `resourceOf`: the prefix a key belongs to. */
  constructor(ttls: Readonly<Record<string, number>>, private readonly resourceOf: (key: string) => string) {
    this.ttls = new Map(Object.entries(ttls));
    this.shortest = Math.min(...this.ttls.values());
  }

  /** Whether keys of this resource expire. */
  covers(resource: string): boolean {
    return this.ttls.has(resource);
  }

  /** A write at `at`: the key's lease starts again (a delete ends it). */
  wrote(key: string, at: number, deleted: boolean): void {
    this.written.delete(key);
    if (!deleted) this.written.set(key, at);
  }

  /** The keys whose lease has run out at `now`, oldest first. */
  due(now: number): string[] {
    const due: string[] = [];
    for (const [key, at] of this.written) {
      // With several TTLs, every key written before the shortest one's cutoff is looked at.
      if (now - at < this.shortest) break;
      if (now - at >= this.ttls.get(this.resourceOf(key))!) due.push(key);
    }
    return due;
  }
}
