// The node change log the wasm class indexes replay: a ring of node indexes in wasm memory plus
// a count of entries ever written (the sequence). Every change to a node's state goes through
// touch(), which bumps the node's version and records its index, so a class that last looked at
// sequence S only has to re-evaluate the nodes written since S. A class that fell further behind
// than the ring holds rebuilds from scratch instead.
import type { WasmHeap } from "./wasm-heap.ts";

export class ChangeLog {
  readonly ptr: number;
  readonly mask: number;
  /** Entries ever written, mod 2^32 (the wasm side compares sequences with u32 arithmetic). */
  seq = 0;
  private view?: Int32Array;
  private viewAt = -1;

  /** `size` is rounded up to a power of two. */
  constructor(private readonly heap: WasmHeap, size = 16384) {
    let n = 1;
    while (n < size) n *= 2;
    this.mask = n - 1;
    this.ptr = heap.alloc(n * 4);
  }

  record(index: number): void {
    if (this.viewAt !== this.heap.grows || !this.view) {
      this.view = new Int32Array(this.heap.buffer, this.ptr, this.mask + 1);
      this.viewAt = this.heap.grows;
    }
    this.view[this.seq & this.mask] = index;
    this.seq = (this.seq + 1) >>> 0;
  }
}
