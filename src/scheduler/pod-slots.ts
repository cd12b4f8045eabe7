// The scheduler cache's pods, flat: one slot number per pod (its key maps to it), and per slot
// its key, its usage (objects shared between alike pods: cache.ts's UsageTable), its node's id,
// two flags and its links in its node's list, in columns. A node's pods are a doubly linked list
// through the slots in the order they were added (a Set of keys kept that order too), so adding
// and removing are O(1) and a node's pods are walked without a per-node collection.
//
// Why columns and not an entry object per pod and a Set per node: at 50,000 pods on 5,000 nodes
// the entries and Sets held 11.7 MB of JS heap (a 64-byte object and a Map entry per pod, a Set
// of ~1 KB per node at ~130 B a key). And the keys are found through a hash table of slot
// numbers (open addressing, linear probing, in an Int32Array), not a Map: a JSC Map of 50,000
// string keys measured 65 B an entry (3.2 MB), this ~10 B a pod (the table at most half full,
// each slot's hash kept). A lookup hashes the key's characters (~20 of them), where a Map uses the
// string's cached hash: tens of ns, a few lookups a pod. Freed slots are reused (a free chain
// through `next`); a node id lives while pods are on it.
import type { PodUsage } from "./types.ts";

const NONE = -1;
const ASSUMED = 1;
const APPLIED = 2;

function grown<T extends Int32Array | Uint8Array>(a: T, size: number, fill?: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

/** FNV-1a over the key's UTF-16 code units, then a final mix (the table's index takes low bits). */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

export class PodSlots {
  /** Slot + 1 at each position (0: empty), at most half full; a key is at or after position hash & mask. */
  private table = new Int32Array(2048);
  private mask = 2047;
  private count = 0;
  // Per slot.
  private keys: (string | null)[] = [];
  private hashes = new Int32Array(0);
  private usages: (PodUsage | null)[] = [];
  private node = new Int32Array(0);
  private flags = new Uint8Array(0);
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  /** First free slot (chained through `next`), NONE when every slot is in use. */
  private freeSlot = NONE;
  // Per node id.
  private readonly nodeIds = new Map<string, number>();
  private nodeNames: (string | null)[] = [];
  private head = new Int32Array(0);
  private tail = new Int32Array(0);
  private freeNodeIds: number[] = [];

  get size(): number {
    return this.count;
  }

  slotOf(key: string): number | undefined {
    const h = hashKey(key);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const s = this.table[i]! - 1;
      if (s < 0) return undefined;
      if (this.hashes[s] === h && this.keys[s] === key) return s;
    }
  }

  keyOf(slot: number): string {
    return this.keys[slot]!;
  }

  usageOf(slot: number): PodUsage {
    return this.usages[slot]!;
  }

  nodeOf(slot: number): string {
    return this.nodeNames[this.node[slot]!]!;
  }

  assumed(slot: number): boolean {
    return (this.flags[slot]! & ASSUMED) !== 0;
  }

  applied(slot: number): boolean {
    return (this.flags[slot]! & APPLIED) !== 0;
  }

  setAssumed(slot: number, on: boolean): void {
    this.flags[slot] = on ? this.flags[slot]! | ASSUMED : this.flags[slot]! & ~ASSUMED;
  }

  setApplied(slot: number, on: boolean): void {
    this.flags[slot] = on ? this.flags[slot]! | APPLIED : this.flags[slot]! & ~APPLIED;
  }

  /** Calls `fn` with the slot of each pod on `node`, in the order they were added. */
  forEachOn(node: string, fn: (slot: number) => void): void {
    const id = this.nodeIds.get(node);
    if (id === undefined) return;
    for (let s = this.head[id]!; s !== NONE; s = this.next[s]!) fn(s);
  }

  /** A pod not in the table yet (remove it first), added last on its node's list. */
  add(key: string, node: string, usage: PodUsage, assumed: boolean): number {
    const slot = this.takeSlot();
    const id = this.nodeId(node);
    const h = hashKey(key);
    this.hashes[slot] = h;
    this.keys[slot] = key;
    this.place(slot, h);
    if (++this.count * 2 > this.table.length) this.rehash(this.table.length * 2);
    this.usages[slot] = usage;
    this.node[slot] = id;
    this.flags[slot] = assumed ? ASSUMED : 0;
    const last = this.tail[id]!;
    this.prev[slot] = last;
    this.next[slot] = NONE;
    if (last === NONE) this.head[id] = slot;
    else this.next[last] = slot;
    this.tail[id] = slot;
    return slot;
  }

  remove(slot: number): void {
    this.unplace(slot);
    this.count--;
    const id = this.node[slot]!;
    const before = this.prev[slot]!;
    const after = this.next[slot]!;
    if (before === NONE) this.head[id] = after;
    else this.next[before] = after;
    if (after === NONE) this.tail[id] = before;
    else this.prev[after] = before;
    if (this.head[id] === NONE) {
      this.nodeIds.delete(this.nodeNames[id]!);
      this.nodeNames[id] = null;
      this.freeNodeIds.push(id);
    }
    this.keys[slot] = null;
    this.usages[slot] = null;
    this.next[slot] = this.freeSlot;
    this.freeSlot = slot;
  }

  private takeSlot(): number {
    if (this.freeSlot !== NONE) {
      const slot = this.freeSlot;
      this.freeSlot = this.next[slot]!;
      return slot;
    }
    const slot = this.keys.length;
    if (slot === this.node.length) {
      const size = Math.max(1024, slot * 2);
      this.hashes = grown(this.hashes, size);
      this.node = grown(this.node, size);
      this.flags = grown(this.flags, size);
      this.next = grown(this.next, size);
      this.prev = grown(this.prev, size);
    }
    this.keys.push(null);
    this.usages.push(null);
    return slot;
  }

  private place(slot: number, h: number): void {
    let i = h & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
  }

  /** Takes the slot out of the table, moving later entries of its run back (no tombstones). */
  private unplace(slot: number): void {
    const t = this.table;
    const mask = this.mask;
    let i = this.hashes[slot]! & mask;
    while (t[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = i; ; ) {
      t[i] = 0;
      for (;;) {
        j = (j + 1) & mask;
        if (t[j] === 0) return;
        // The entry at j stays unless its home position is not cyclically within (i, j].
        const home = this.hashes[t[j]! - 1]! & mask;
        if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
        break;
      }
      t[i] = t[j]!;
      i = j;
    }
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let s = 0; s < this.keys.length; s++) if (this.keys[s] !== null) this.place(s, this.hashes[s]!);
  }

  private nodeId(name: string): number {
    let id = this.nodeIds.get(name);
    if (id !== undefined) return id;
    id = this.freeNodeIds.pop();
    if (id === undefined) {
      id = this.nodeNames.length;
      this.nodeNames.push(null);
      if (id === this.head.length) {
        const size = Math.max(256, id * 2);
        this.head = grown(this.head, size, NONE);
        this.tail = grown(this.tail, size, NONE);
      }
    }
    this.nodeIds.set(name, id);
    this.nodeNames[id] = name;
    this.head[id] = NONE;
    this.tail[id] = NONE;
    return id;
  }
}
