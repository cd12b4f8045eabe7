// Equivalence classes of pods for the wasm scorer's per-node result cache. Pods whose encoded
// query is identical (same requests, selectors, tolerations...: typically one workload's
// replicas) share a class; each class slot holds, per node, the node version it was evaluated
// at, the outcome and the raw scores, plus the class's incremental index (score and maxima
// trees, rejection histogram: wasm/assembly/_class-index.ts). A bounded number of slots is
// recycled least recently used.
//
// A class gets a slot at its second pod, not its first: building the index costs a full scan
// and more (every node's results stored, three trees built), which only pays when another pod of
// the class follows. One-of-a-kind pods (a Job's single pod, a pod with its own requests) take
// the plain full scan instead and never evict a busy workload's index; a class seen once is
// remembered by key alone, in a bounded set.
import { META_VALID, META_WORDS, POD_DOUBLES } from "./layout.ts";
import type { WasmHeap } from "./wasm-heap.ts";

export interface ClassSlot {
  stamp: number;
  outcome: number;
  base: number;
  affinity: number;
  avoid: number;
  /** META_* words: whether the index is built, the change log position it has seen... */
  meta: number;
  /** Max tournament tree of i64 keys, 2 × leaves entries (index 0 unused). */
  tree: number;
  affinityMax: number;
  avoidMax: number;
  hist: number;
  histCapacity: number;
  /** ClassCache's use count when the slot was last used. */
  used: number;
}

const PER_NODE_ARRAYS = 5;

/** Leaves of the class trees for a node table of `capacity` slots: the next power of two. */
export function treeLeaves(capacity: number): number {
  let n = 1;
  while (n < capacity) n *= 2;
  return n;
}

/** Keys of classes seen once and not (yet) given a slot, remembered. */
const SEEN_ONCE = 4096;

export class ClassCache {
  private readonly slots = new Map<string, ClassSlot>();
  private readonly seenOnce = new Set<string>();
  private capacity = 0;
  /** Counts slot uses; a slot's `used` is the count at its last use (least recently used goes first). */
  private clock = 0;

  constructor(private readonly heap: WasmHeap, private readonly maxClasses = 32) {}

  /** Leaves of every slot's trees at the current node capacity. */
  get leaves(): number {
    return treeLeaves(this.capacity);
  }

  /**
   * The slot for `key`, creating (or recycling) one with no valid entries; undefined the first
   * time a key is seen (that pod takes the full scan). `nodeCapacity` is the node table's
   * capacity: when it grows every slot is dropped, they are sized for the old one.
   * `reasons` is the histogram length the class needs (fixed per key: the key covers the taints).
   */
  slot(key: string, nodeCapacity: number, reasons: number): ClassSlot | undefined {
    if (nodeCapacity !== this.capacity) {
      this.slots.clear();
      this.capacity = nodeCapacity;
    }
    let slot = this.slots.get(key);
    if (slot && slot.histCapacity >= reasons) {
      slot.used = ++this.clock;
      return slot;
    }
    if (slot) this.slots.delete(key);
    else if (!this.seenOnce.delete(key)) {
      // Set keeps insertion order: the oldest key is forgotten first.
      if (this.seenOnce.size >= SEEN_ONCE) this.seenOnce.delete(this.seenOnce.values().next().value!);
      this.seenOnce.add(key);
      return undefined;
    } else if (this.slots.size >= this.maxClasses) {
      // The least recently used slot: a scan of the few slots, paid only when one is recycled.
      let oldest = "";
      for (const [k, s] of this.slots) if (!slot || s.used < slot.used) { oldest = k; slot = s; }
      this.slots.delete(oldest);
    } else slot = this.allocate(nodeCapacity);
    slot = slot!;
    slot.used = ++this.clock;
    if (slot.histCapacity < reasons) {
      slot.histCapacity = Math.max(reasons, 2 * slot.histCapacity);
      slot.hist = this.heap.alloc(slot.histCapacity * 4);
    }
    // Node versions start at 1, so a zero stamp never matches; an invalid index is rebuilt.
    new Uint32Array(this.heap.buffer, slot.stamp, nodeCapacity).fill(0);
    new Int32Array(this.heap.buffer, slot.meta, META_WORDS)[META_VALID] = 0;
    this.slots.set(key, slot);
    return slot;
  }

  private allocate(nodeCapacity: number): ClassSlot {
    const bytes = nodeCapacity * 4;
    const leaves = treeLeaves(nodeCapacity);
    const ptr = this.heap.alloc(bytes * PER_NODE_ARRAYS);
    const tree = this.heap.alloc(leaves * 2 * 8);
    const maxima = this.heap.alloc(leaves * 2 * 4 * 2);
    return {
      stamp: ptr,
      outcome: ptr + bytes,
      base: ptr + 2 * bytes,
      affinity: ptr + 3 * bytes,
      avoid: ptr + 4 * bytes,
      meta: this.heap.alloc(META_WORDS * 4),
      tree,
      affinityMax: maxima,
      avoidMax: maxima + leaves * 2 * 4,
      hist: 0,
      histCapacity: 0,
      used: 0,
    };
  }
}

/**
 * Builds class keys without formatting numbers: the pod's request doubles (as raw words), the
 * pod-dependent header words and the program become one string of UTF-16 code units after the
 * tolerations key. JSON cannot contain U+0000, so the separator keeps the encoding injective.
 */
export class ClassKeyer {
  private words = new Int32Array(64);
  private units = new Uint16Array(this.words.buffer);

  key(tolerationsKey: string, memory: Int32Array, podWord: number, scalars: number[], program: Int32Array, length: number): string {
    const podWords = POD_DOUBLES * 2;
    const n = podWords + scalars.length + length;
    if (this.words.length < n) {
      this.words = new Int32Array(2 * n);
      this.units = new Uint16Array(this.words.buffer);
    }
    const w = this.words;
    for (let k = 0; k < podWords; k++) w[k] = memory[podWord + k]!;
    for (let k = 0; k < scalars.length; k++) w[podWords + k] = scalars[k]!;
    for (let k = 0; k < length; k++) w[podWords + scalars.length + k] = program[k]!;
    const units = this.units.subarray(0, 2 * n) as unknown as number[];
    return `${tolerationsKey}\u0000${String.fromCharCode.apply(null, units)}`;
  }
}
