// The class cache's policy and memory: per pod equivalence class (a key of the pod's requests and
// encoded query, built and looked up by the core: wasm/assembly/_class-key.ts) a record in wasm
// memory with the key and the class's arrays: per node a record (CN_WORDS words, interleaved so a
// changed node's results are one cache line) of the version it was evaluated at, the outcome and
// the raw scores, plus the class's incremental index (score and maxima trees,
// rejection histogram: wasm/assembly/_class-index.ts). A bounded number of records is recycled
// least recently used.
//
// A class gets a record at its second pod (indexed from its third), not its first: building the
// index costs a full scan and more (every node's results stored, three trees built), which only
// pays when more pods of the class follow. One-of-a-kind pods (a Job's single pod, a pod with its
// own requests) take the plain full scan instead and never evict a busy workload's index; a class
// seen once is remembered by its key's hash alone, in a bounded set (two classes sharing a hash
// only make one of them get its record a pod early: the record holds the full key).
import { CN_AFF, CN_BASE, CN_OUTCOME, CN_TAINT, CN_WORDS, META_VALID, META_WORDS, REC_AFF, REC_AFF_MAX, REC_BASE, REC_HASH, REC_HIST, REC_KEY, REC_KEY_LENGTH, REC_LIST,
  REC_META, REC_OUTCOME, REC_STAMP, REC_TAINT, REC_TAINT_MAX, REC_TREE, REC_WORDS } from "./layout.ts";
import type { WasmHeap } from "./wasm-heap.ts";

interface ClassSlot {
  /** REC_STAMP..REC_LIST addresses. */
  arrays: number[];
  /** What alloc() returned for the node records (arrays[0] is that rounded up to 64 bytes). */
  recordsAt: number;
  key: number;
  keyCapacity: number;
  /** ClassCache's use count when the slot was last used. */
  used: number;
}


/** Leaves of the class trees for a node table of `capacity` slots: the next power of two. */
export function treeLeaves(capacity: number): number {
  // At least two: the trees hold inner nodes only (their leaves are in the node records).
  let n = 2;
  while (n < capacity) n *= 2;
  return n;
}

const recordsBytes = (nodeCapacity: number) => nodeCapacity * CN_WORDS * 4 + 48;
const histBytes = (histCapacity: number) => Math.max(histCapacity, 1) * 4;
const listBytes = (histCapacity: number) => (1 + 2 * Math.max(histCapacity, 1)) * 4;

/** Keys of classes seen once and not (yet) given a record, remembered by hash. */
const SEEN_ONCE = 4096;

export class ClassCache {
  /** The records' address (maxClasses × REC_WORDS words). */
  readonly records: number;
  /** Where the core writes each pod's key; `keyCapacity` words. */
  key = 0;
  private keyCapacity = 0;
  private readonly slots: ClassSlot[] = [];
  private readonly seenOnce = new Set<number>();
  private capacity = 0;
  private histCapacity = 0;
  /** Counts slot uses; a slot's `used` is the count at its last use (least recently used goes first). */
  private clock = 0;

  constructor(private readonly heap: WasmHeap, private readonly maxClasses = 32) {
    this.records = heap.alloc(maxClasses * REC_WORDS * 4);
  }

  /** Records in use (the core looks at the first `count`). */
  get count(): number {
    return this.slots.length;
  }

  /** Leaves of every slot's trees at the current node capacity. */
  get leaves(): number {
    return treeLeaves(this.capacity);
  }

  /**
   * Before a pod's call: every record is dropped when the node table grew (they are sized for
   * the old one); histograms grow to `reasons` entries (their indexes are rebuilt); the key area
   * holds `keyWords`.
   */
  prepare(nodeCapacity: number, reasons: number, keyWords: number): void {
    if (nodeCapacity !== this.capacity) {
      for (const slot of this.slots) this.release(slot);
      this.slots.length = 0;
      this.capacity = nodeCapacity;
    }
    if (reasons > this.histCapacity) {
      const histBefore = this.histCapacity;
      this.histCapacity = Math.max(reasons, 2 * this.histCapacity);
      for (let r = 0; r < this.slots.length; r++) {
        const slot = this.slots[r]!;
        this.heap.free(slot.arrays[REC_HIST - REC_STAMP]!, histBytes(histBefore));
        this.heap.free(slot.arrays[REC_LIST - REC_STAMP]!, listBytes(histBefore));
        slot.arrays[REC_HIST - REC_STAMP] = this.heap.alloc(histBytes(this.histCapacity));
        slot.arrays[REC_LIST - REC_STAMP] = this.allocList();
        this.writeRecord(r, slot, -1, 0);
        new Int32Array(this.heap.buffer, slot.arrays[REC_META - REC_STAMP]!, META_WORDS)[META_VALID] = 0;
      }
    }
    if (keyWords > this.keyCapacity) {
      if (this.keyCapacity) this.heap.free(this.key, this.keyCapacity * 4);
      this.keyCapacity = Math.max(keyWords, 2 * this.keyCapacity, 64);
      this.key = this.heap.alloc(this.keyCapacity * 4);
    }
  }

  /** After a call that used record `r`. */
  hit(r: number): void {
    this.slots[r]!.used = ++this.clock;
  }

  /**
   * After a call whose class had no record: the key (`length` words at `key`, hash `hash`) is
   * remembered the first time, given a record (new or the least recently used) the second.
   */
  miss(hash: number, length: number): void {
    if (!this.seenOnce.delete(hash)) {
      // Set keeps insertion order: the oldest key is forgotten first.
      if (this.seenOnce.size >= SEEN_ONCE) this.seenOnce.delete(this.seenOnce.values().next().value!);
      this.seenOnce.add(hash);
      return;
    }
    let r = this.slots.length;
    // A new slot's memory comes zeroed from the allocator; a recycled one is cleared below.
    const recycled = r >= this.maxClasses;
    if (recycled) {
      r = 0;
      for (let k = 1; k < this.slots.length; k++) if (this.slots[k]!.used < this.slots[r]!.used) r = k;
    } else this.slots.push(this.allocate());
    const slot = this.slots[r]!;
    slot.used = ++this.clock;
    if (slot.keyCapacity < length) {
      if (slot.keyCapacity) this.heap.free(slot.key, slot.keyCapacity * 4);
      slot.keyCapacity = Math.max(length, 2 * slot.keyCapacity, 32);
      slot.key = this.heap.alloc(slot.keyCapacity * 4);
    }
    const b = this.heap.buffer;
    new Int32Array(b, slot.key, length).set(new Int32Array(b, this.key, length));
    // Node versions start at 1, so a zero stamp never matches; an invalid index is rebuilt.
    if (recycled) new Uint32Array(b, slot.arrays[0]!, this.capacity * CN_WORDS).fill(0);
    new Int32Array(b, slot.arrays[REC_META - REC_STAMP]!, META_WORDS)[META_VALID] = 0;
    new Int32Array(b, slot.arrays[REC_LIST - REC_STAMP]!, 1)[0] = -1;
    this.writeRecord(r, slot, hash, length);
  }

  private writeRecord(r: number, slot: ClassSlot, hash: number, length: number): void {
    const rec = new Int32Array(this.heap.buffer, this.records + r * REC_WORDS * 4, REC_WORDS);
    if (length >= 0) {
      rec[REC_HASH] = hash;
      rec[REC_KEY] = slot.key;
      rec[REC_KEY_LENGTH] = length;
    }
    for (let k = 0; k < slot.arrays.length; k++) rec[REC_STAMP + k] = slot.arrays[k]!;
  }

  private allocate(): ClassSlot {
    const nodeCapacity = this.capacity;
    const leaves = treeLeaves(nodeCapacity);
    // One record of CN_WORDS words per node slot, 64-byte aligned so no record straddles a line.
    const recordsAt = this.heap.alloc(recordsBytes(nodeCapacity));
    const ptr = Math.ceil(recordsAt / 64) * 64;
    // Inner nodes 1 .. leaves - 1 of the score tree (i64) and of the two maximum trees (i32).
    const tree = this.heap.alloc(leaves * 8);
    const maxima = this.heap.alloc(leaves * 4 * 2);
    const arrays: number[] = [];
    arrays[REC_STAMP - REC_STAMP] = ptr;
    arrays[REC_OUTCOME - REC_STAMP] = ptr + CN_OUTCOME * 4;
    arrays[REC_BASE - REC_STAMP] = ptr + CN_BASE * 4;
    arrays[REC_AFF - REC_STAMP] = ptr + CN_AFF * 4;
    arrays[REC_TAINT - REC_STAMP] = ptr + CN_TAINT * 4;
    arrays[REC_META - REC_STAMP] = this.heap.alloc(META_WORDS * 4);
    arrays[REC_TREE - REC_STAMP] = tree;
    arrays[REC_AFF_MAX - REC_STAMP] = maxima;
    arrays[REC_TAINT_MAX - REC_STAMP] = maxima + leaves * 4;
    arrays[REC_HIST - REC_STAMP] = this.heap.alloc(histBytes(this.histCapacity));
    arrays[REC_LIST - REC_STAMP] = this.allocList();
    return { arrays, recordsAt, key: 0, keyCapacity: 0, used: 0 };
  }

  /** A slot's memory back to the heap (its records were sized for a node table that grew). */
  private release(slot: ClassSlot): void {
    const leaves = treeLeaves(this.capacity);
    const h = this.heap;
    h.free(slot.recordsAt, recordsBytes(this.capacity));
    h.free(slot.arrays[REC_TREE - REC_STAMP]!, leaves * 8);
    h.free(slot.arrays[REC_AFF_MAX - REC_STAMP]!, leaves * 4 * 2);
    h.free(slot.arrays[REC_META - REC_STAMP]!, META_WORDS * 4);
    h.free(slot.arrays[REC_HIST - REC_STAMP]!, histBytes(this.histCapacity));
    h.free(slot.arrays[REC_LIST - REC_STAMP]!, listBytes(this.histCapacity));
    if (slot.keyCapacity) h.free(slot.key, slot.keyCapacity * 4);
  }

  /**
   * Room for the list of rejections a record's last pod saw (the core compares each pod's list
   * with it): a pair count, -1 until the core writes one, and a pair per reason at most.
   */
  private allocList(): number {
    const ptr = this.heap.alloc(listBytes(this.histCapacity));
    new Int32Array(this.heap.buffer, ptr, 1)[0] = -1;
    return ptr;
  }
}
