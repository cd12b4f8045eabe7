// The store's current state in memory: each key's latest entry, in one map per resource, with
// the resource's keys sorted on demand for ordered, paged lists.
import type { Entry } from "./types.ts";

/** "/core/pods/default/web" → "/core/pods/": the resource a key or prefix belongs to. */
export function resourceOf(key: string): string {
  const second = key.indexOf("/", 1);
  const third = second < 0 ? -1 : key.indexOf("/", second + 1);
  return third < 0 ? key : key.slice(0, third + 1);
}

export class LiveState {
  private readonly resources = new Map<string, Map<string, Entry>>();
  /** Sorted keys of a resource, dropped when a key comes or goes. */
  private readonly sortedKeys = new Map<string, string[]>();

  /**
   * The last resources looked up, tried by `startsWith` before resourceOf: a key's resource
   * sliced out of it is a new string, hashed anew for the map (a create looks up its namespace
   * and its own key, a commit its keys).
   */
  private recent: { resource: string; entries: Map<string, Entry> }[] = [];

  get(key: string): Entry | undefined {
    return this.entriesOf(key)?.get(key);
  }

  private entriesOf(key: string): Map<string, Entry> | undefined {
    // A resource's prefix ends at its key's third "/": a key that starts with it is of it.
    for (const r of this.recent) if (key.startsWith(r.resource)) return r.entries;
    const resource = resourceOf(key);
    const entries = this.resources.get(resource);
    // Only a whole resource's prefix ("/core/pods/"): resourceOf of a key without one is the key.
    if (entries && resource.split("/").length === 4 && resource.endsWith("/")) {
      this.recent.unshift({ resource, entries });
      if (this.recent.length > 4) this.recent.pop();
    }
    return entries;
  }

  /** Entries under `prefix` in key order, from after `startAfter` when it is past the prefix. */
  list(prefix: string, startAfter?: string): Entry[] {
    const resource = resourceOf(prefix);
    const entries = this.resources.get(resource);
    if (!entries) return [];
    let keys = this.sortedKeys.get(resource);
    if (!keys) {
      keys = [...entries.keys()].sort();
      this.sortedKeys.set(resource, keys);
    }
    const from = startAfter && startAfter > prefix ? startAfter : prefix;
    const inclusive = from === prefix;
    let i = lowerBound(keys, from);
    if (!inclusive && keys[i] === from) i++;
    const items: Entry[] = [];
    for (; i < keys.length && keys[i]!.startsWith(prefix); i++) items.push(entries.get(keys[i]!)!);
    return items;
  }

  /** Live keys by resource, for memory accounting (bench:memory). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [resource, entries] of this.resources) out[resource] = entries.size;
    return out;
  }

  /** The keys of one resource, in no particular order. */
  keysOf(resource: string): Iterable<string> {
    return this.resources.get(resource)?.keys() ?? [];
  }

  put(entry: Entry): void {
    const resource = resourceOf(entry.key);
    let entries = this.resources.get(resource);
    if (!entries) this.resources.set(resource, (entries = new Map()));
    const current = entries.get(entry.key);
    if (current) entry.key = current.key; // the map keeps its first key string: one copy, not one per revision
    else this.sortedKeys.delete(resource);
    entries.set(entry.key, entry);
  }

  /** A key that is not there (a create's): put without looking for a current entry first. */
  add(entry: Entry): void {
    const resource = resourceOf(entry.key);
    let entries = this.resources.get(resource);
    if (!entries) this.resources.set(resource, (entries = new Map()));
    this.sortedKeys.delete(resource);
    entries.set(entry.key, entry);
  }

  remove(key: string): void {
    const resource = resourceOf(key);
    if (this.resources.get(resource)?.delete(key)) this.sortedKeys.delete(resource);
  }
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
