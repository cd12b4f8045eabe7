// The store's current state in memory: each key's latest entry, in one map per resource, with
// the resource's keys sorted on demand for ordered, paged lists. A list after writes does not
// sort every key again: the keys added or removed since the last sort are sorted alone and put
// in (or taken out) at their places in one copy of the rest, O(n + k log n) for k writes rather
// than a sort's O(n log n) string comparisons — at 130,000 pods, the sort held the event loop
// 15-20 ms on the first list after any create.
import type { Entry } from "./types.ts";

/** "/core/pods/default/web" → "/core/pods/": the resource a key or prefix belongs to. */
export function resourceOf(key: string): string {
  const second = key.indexOf("/", 1);
  const third = second < 0 ? -1 : key.indexOf("/", second + 1);
  return third < 0 ? key : key.slice(0, third + 1);
}

/**
 * What a resource's map holds for a key: its entry, or — for a cold resource's key whose object
 * is on disk and whose create revision is its revision (an Event written once) — that revision
 * alone, made into an entry when read (`coldEntry`): 50,000 Events' entries were ~3 MB of objects
 * that only said where to read.
 */
type Held = Entry | number;

export class LiveState {
  private readonly resources = new Map<string, Map<string, Held>>();

  /** `coldEntry`: the entry of a cold key held as its revision alone (see compact). */
  constructor(private readonly coldEntry?: (key: string, revision: number) => Entry) {}

  private entryOf(key: string, held: Held | undefined): Entry | undefined {
    return typeof held === "number" ? this.coldEntry!(key, held) : held;
  }
  /** A resource's keys as last sorted, and what changed since (see sortedKeysOf). */
  private readonly order = new Map<string, KeyOrder>();

  /**
   * The last resources looked up, tried by `startsWith` before resourceOf: a key's resource
   * sliced out of it is a new string, hashed anew for the map (a create looks up its namespace
   * and its own key, a commit its keys).
   */
  private recent: { resource: string; entries: Map<string, Held> }[] = [];

  get(key: string): Entry | undefined {
    return this.entryOf(key, this.entriesOf(key)?.get(key));
  }

  /** The key's current revision, or undefined when it has none (a cold key's entry is not made for it). */
  revisionOf(key: string): number | undefined {
    const held = this.entriesOf(key)?.get(key);
    return typeof held === "number" ? held : held?.revision;
  }

  /**
   * Holds a cold key's current entry as its revision alone, when it is still the entry of that
   * revision and its create revision is the same (reads make it anew: `coldEntry`).
   */
  compact(key: string, revision: number): void {
    const entries = this.entriesOf(key);
    const held = entries?.get(key);
    if (held !== undefined && typeof held !== "number" && held.revision === revision && held.createRevision === revision) entries!.set(key, revision);
  }

  private entriesOf(key: string): Map<string, Held> | undefined {
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
    const keys = this.sortedKeysOf(resource, entries);
    const from = startAfter && startAfter > prefix ? startAfter : prefix;
    const inclusive = from === prefix;
    let i = lowerBound(keys, from);
    if (!inclusive && keys[i] === from) i++;
    const items: Entry[] = [];
    for (; i < keys.length && keys[i]!.startsWith(prefix); i++) items.push(this.entryOf(keys[i]!, entries.get(keys[i]!))!);
    return items;
  }

  /** A resource's keys in order: the last sort's, with the keys added or removed since put right. */
  private sortedKeysOf(resource: string, entries: Map<string, Held>): string[] {
    const o = this.order.get(resource);
    if (!o) {
      const keys = [...entries.keys()].sort();
      this.order.set(resource, { keys, changed: [] });
      return keys;
    }
    if (o.changed.length > 0) {
      o.keys = withChanges(o.keys, o.changed, entries);
      o.changed = [];
    }
    return o.keys;
  }

  /** A key added to or removed from its resource: noted for the next list (or the order dropped, when sorting anew is cheaper). */
  private changed(resource: string, key: string): void {
    const o = this.order.get(resource);
    if (!o) return;
    if (o.changed.length >= o.keys.length >> 3) this.order.delete(resource);
    else o.changed.push(key);
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
    if (current === undefined) this.changed(resource, entry.key);
    else if (typeof current !== "number") entry.key = current.key; // the map keeps its first key string: one copy, not one per revision
    entries.set(entry.key, entry);
  }

  /** A key that is not there (a create's): put without looking for a current entry first. */
  add(entry: Entry): void {
    const resource = resourceOf(entry.key);
    let entries = this.resources.get(resource);
    if (!entries) this.resources.set(resource, (entries = new Map()));
    this.changed(resource, entry.key);
    entries.set(entry.key, entry);
  }

  remove(key: string): void {
    const resource = resourceOf(key);
    if (this.resources.get(resource)?.delete(key)) this.changed(resource, key);
  }
}

interface KeyOrder {
  /** The keys, sorted, as of the last list. */
  keys: string[];
  /** Keys added or removed since, in no order (one may be there twice). */
  changed: string[];
}

/**
 * `keys` (sorted) with each changed key where `live` says it is now: in its place if live,
 * gone if not, whatever happened to it in between. One pass over `keys`, a binary search each.
 */
function withChanges(keys: string[], changed: string[], live: Map<string, Held>): string[] {
  const out: string[] = [];
  let from = 0;
  let last: string | undefined;
  for (const key of changed.sort()) {
    if (key === last) continue;
    last = key;
    const at = lowerBound(keys, key, from);
    for (let i = from; i < at; i++) out.push(keys[i]!);
    from = at < keys.length && keys[at] === key ? at + 1 : at;
    if (live.has(key)) out.push(key);
  }
  for (let i = from; i < keys.length; i++) out.push(keys[i]!);
  return out;
}

function lowerBound(keys: string[], target: string, lo = 0): number {
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
