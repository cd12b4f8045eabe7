// Equivalence classes of pods for the wasm scorer's per-node result cache. Pods whose encoded
// query is identical (same requests, selectors, tolerations...: typically one workload's
// replicas) share a class; each class slot holds, per node, the node version it was evaluated
// at, the outcome and the raw scores. A bounded number of slots is recycled least recently used.
import type { WasmHeap } from "./wasm-heap.ts";

export interface ClassSlot {
  stamp: number;
  outcome: number;
  base: number;
  affinity: number;
  avoid: number;
}

const ARRAYS = 5;

export class ClassCache {
  private readonly slots = new Map<string, ClassSlot>();
  private capacity = 0;

  constructor(private readonly heap: WasmHeap, private readonly maxClasses = 32) {}

  /**
   * The slot for `key`, creating (or recycling) one with no valid entries. `nodeCapacity` is the
   * node table's capacity: when it grows every slot is dropped, they are sized for the old one.
   */
  slot(key: string, nodeCapacity: number): ClassSlot {
    if (nodeCapacity !== this.capacity) {
      this.slots.clear();
      this.capacity = nodeCapacity;
    }
    let slot = this.slots.get(key);
    if (slot) {
      // Map keeps insertion order: re-inserting marks the slot most recently used.
      this.slots.delete(key);
      this.slots.set(key, slot);
      return slot;
    }
    if (this.slots.size >= this.maxClasses) {
      const [oldest, recycled] = this.slots.entries().next().value!;
      this.slots.delete(oldest);
      slot = recycled;
    } else {
      const bytes = nodeCapacity * 4;
      const ptr = this.heap.alloc(bytes * ARRAYS);
      slot = { stamp: ptr, outcome: ptr + bytes, base: ptr + 2 * bytes, affinity: ptr + 3 * bytes, avoid: ptr + 4 * bytes };
    }
    // Node versions start at 1, so a zero stamp never matches.
    new Uint32Array(this.heap.buffer, slot.stamp, nodeCapacity).fill(0);
    this.slots.set(key, slot);
    return slot;
  }
}
