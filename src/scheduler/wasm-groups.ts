// The memory block of the node equivalence groups (wasm/assembly/_groups.ts, twin: ts-twin-groups.ts)
// inside the scheduler module's memory: a few G_* words, then G_ARRAYS arrays of one word per node
// slot (or group: there are never more groups than slots), then the hash buckets, then the wasm
// lanes' dense per-group copies (G_DENSE_BYTES per slot; the twin leaves them unused). The block is
// sized for the node table's capacity; when the table grows a new, invalid block replaces it and
// the core rebuilds the groups from scratch on its next group scan (the old block is freed).
import { G_ARRAYS, G_BUCKETS, G_CAPACITY, G_DENSE_BYTES, G_VALID, G_WORDS } from "./layout.ts";
import { treeLeaves } from "./wasm-class-cache.ts";
import type { WasmHeap } from "./wasm-heap.ts";

const blockBytes = (capacity: number) => (G_WORDS + G_ARRAYS * capacity + treeLeaves(capacity)) * 4 + G_DENSE_BYTES * capacity + 16;

export class GroupBlock {
  ptr = 0;
  private capacity = 0;

  constructor(private readonly heap: WasmHeap) {}

  /** The block's address for a node table of `capacity` slots (a new block when it grew). */
  ensure(capacity: number): number {
    if (capacity === this.capacity) return this.ptr;
    if (this.capacity) this.heap.free(this.ptr, blockBytes(this.capacity));
    const buckets = treeLeaves(capacity);
    this.ptr = this.heap.alloc(blockBytes(capacity));
    this.capacity = capacity;
    const words = new Int32Array(this.heap.buffer, this.ptr, G_WORDS);
    words.fill(0);
    words[G_VALID] = 0;
    words[G_CAPACITY] = capacity;
    words[G_BUCKETS] = buckets;
    return this.ptr;
  }
}
