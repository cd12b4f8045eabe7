// Memory owned by the TypeScript side inside the scheduler module's linear memory: an allocator
// and the per-node struct-of-arrays table. Growing a table allocates bigger arrays, copies and
// frees the old ones. Growing wasm memory detaches every typed-array view, so views are rebuilt
// whenever the buffer changes.
//
// The allocator bumps a top pointer and keeps what is freed in a list of ranges (coalesced,
// best fit), so memory a grown table left behind is reused by the next allocation that fits
// there rather than the memory growing past it (issue 19: the bump allocator alone left every
// table's history in the memory — every page of it touched once, so resident — and wasm memory
// cannot be given back). Allocations are few (tables, class records, regions: dozens over a
// scorer's life), so the list is a plain sorted array. Memory handed out is zero, as fresh pages
// are: callers rely on it (node slots start absent, class records' stamps never match).

const PAGE = 65536;
const ALIGN = 16;

export interface HeapStats {
  /** The memory's size (pages grown ahead of need included: address space until touched). */
  byteLength: number;
  /** The end of the highest allocation now. */
  top: number;
  /** The highest `top` has been: what may have been touched. */
  touched: number;
  /** Bytes handed out and not freed. */
  live: number;
  /** Bytes below `top` in the free list. */
  free: number;
}

export class WasmHeap {
  private top: number;
  /** The highest `top` has been: memory below it may have been written (a freed top is dirty). */
  private touched: number;
  /** Free ranges below `top`, sorted by address, none adjacent: [start, end) pairs. */
  private readonly freeRanges: number[] = [];
  private live = 0;
  /**
   * Allocations so far: header words holding addresses are rewritten only when this moved. Only
   * alloc() grows the memory (the module allocates nothing), so views compare `grows` rather than
   * reading `memory.buffer`, which costs a call on every access.
   */
  allocations = 0;
  grows = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
    this.touched = this.top;
  }

  /** `bytes` of zeroed memory, 16-byte aligned. */
  alloc(bytes: number): number {
    const size = Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
    this.allocations++;
    this.live += size;
    const reused = this.takeFree(size);
    if (reused >= 0) {
      new Uint8Array(this.memory.buffer, reused, size).fill(0);
      return reused;
    }
    const ptr = this.top;
    this.top = ptr + size;
    const length = this.memory.buffer.byteLength;
    const missing = this.top - length;
    if (missing > 0) {
      // By half the size at least: class records and table relayouts allocate in several steps,
      // and grows cost far more than their pages (measured: a fresh scorer's first 24 classes at
      // 5,000 nodes grew the memory ~90 times and the class-cache step took 0.5–3 µs a pod over
      // 10,000 pods, 0.2 µs with these steps), so a few large grows rather than many small ones.
      this.memory.grow(Math.max(Math.ceil(missing / PAGE), Math.ceil(length / PAGE / 2)));
      this.grows++;
    }
    // Below the highest top so far the memory may be a freed top's, written to: zero it.
    if (ptr < this.touched) new Uint8Array(this.memory.buffer, ptr, Math.min(size, this.touched - ptr)).fill(0);
    if (this.top > this.touched) this.touched = this.top;
    return ptr;
  }

  /** Gives back what alloc(bytes) returned at `ptr`; nothing may read it afterwards. */
  free(ptr: number, bytes: number): void {
    const size = Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
    this.live -= size;
    let start = ptr;
    let end = ptr + size;
    const r = this.freeRanges;
    // The first range starting after this one; merge with it and with the one before when adjacent.
    let i = 0;
    while (i < r.length && r[i]! < start) i += 2;
    if (i < r.length && r[i] === end) {
      end = r[i + 1]!;
      r.splice(i, 2);
    }
    if (i > 0 && r[i - 1] === start) {
      start = r[i - 2]!;
      r.splice(i - 2, 2);
      i -= 2;
    }
    if (end === this.top) {
      // The highest range goes back to the top: the next allocation there may be larger.
      this.top = start;
      return;
    }
    r.splice(i, 0, start, end);
  }

  get stats(): HeapStats {
    let free = 0;
    for (let i = 0; i < this.freeRanges.length; i += 2) free += this.freeRanges[i + 1]! - this.freeRanges[i]!;
    return { byteLength: this.memory.buffer.byteLength, top: this.top, touched: this.touched, live: this.live, free };
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** The smallest free range that holds `size` (its start taken, the rest left free), or -1. */
  private takeFree(size: number): number {
    const r = this.freeRanges;
    let best = -1;
    for (let i = 0; i < r.length; i += 2) {
      const room = r[i + 1]! - r[i]!;
      if (room >= size && (best < 0 || room < r[best + 1]! - r[best]!)) best = i;
    }
    if (best < 0) return -1;
    const ptr = r[best]!;
    if (r[best + 1]! - ptr === size) r.splice(best, 2);
    else r[best] = ptr + size;
    return ptr;
  }
}

/** A growable array region of a scorer's (value table, taint flags, program...): grown by copying, the old space freed. */
export class Region {
  ptr = 0;
  capacity = 0;
  constructor(private readonly heap: WasmHeap, private readonly bytesPer: number) {}
  ensure(n: number): void {
    if (n <= this.capacity) return;
    const capacity = Math.max(n, this.capacity * 2, 64);
    const ptr = this.heap.alloc(capacity * this.bytesPer);
    const b = new Uint8Array(this.heap.buffer);
    b.copyWithin(ptr, this.ptr, this.ptr + this.capacity * this.bytesPer);
    if (this.capacity) this.heap.free(this.ptr, this.capacity * this.bytesPer);
    this.ptr = ptr;
    this.capacity = capacity;
  }
}

/** Per-node number columns, all f64 so byte counts above 2^32 stay exact integers. */
export const F64_COLUMNS = [
  "allocCpu", "allocMem", "allocEph", "allocPods", "reqCpu", "reqMem", "reqEph", "reqPods", "nzCpu", "nzMem",
] as const;
export type F64Column = (typeof F64_COLUMNS)[number];

interface Pointers {
  state: number;
  version: number;
  f64: Record<F64Column, number>;
  labels: number;
  taintCount: number;
  taints: number;
  portCount: number;
  ports: number;
  scratchIdx: number;
  scratchBase: number;
  scratchAff: number;
  scratchTaint: number;
}

export interface NodeViews {
  state: Uint8Array;
  /** Bumped on every change of the node, so cached per-node results can tell they are stale. */
  version: Uint32Array;
  f64: Record<F64Column, Float64Array>;
  /** Row-major [node][label column] -> value id, 0 = label absent. */
  labels: Int32Array;
  taintCount: Int32Array;
  /** Row-major [node][slot] -> taint id, in the node's taint order. */
  taints: Int32Array;
  portCount: Int32Array;
  /** Row-major [node][slot] -> (port key, host IP id) pairs. */
  ports: Int32Array;
}

export class NodeTable {
  capacity = 0;
  labelStride = 0;
  taintStride = 0;
  portStride = 0;
  ptr!: Pointers;
  private cached?: NodeViews;
  private cachedAt = -1;

  constructor(private readonly heap: WasmHeap, capacity = 256) {
    this.relayout(capacity, 8, 4, 2);
  }

  get views(): NodeViews {
    if (this.cachedAt !== this.heap.grows || !this.cached) {
      this.cached = this.makeViews();
      this.cachedAt = this.heap.grows;
    }
    return this.cached;
  }

  ensureCapacity(nodes: number): void {
    if (nodes > this.capacity) this.relayout(growCapacity(this.capacity, nodes), this.labelStride, this.taintStride, this.portStride);
  }

  ensureLabelStride(columns: number): void {
    if (columns > this.labelStride) this.relayout(this.capacity, grow(this.labelStride, columns), this.taintStride, this.portStride);
  }

  ensureTaintStride(taints: number): void {
    if (taints > this.taintStride) this.relayout(this.capacity, this.labelStride, grow(this.taintStride, taints), this.portStride);
  }

  ensurePortStride(ports: number): void {
    if (ports > this.portStride) this.relayout(this.capacity, this.labelStride, this.taintStride, grow(this.portStride, ports));
  }

  private relayout(capacity: number, labelStride: number, taintStride: number, portStride: number): void {
    const old = this.ptr ? { ptr: this.ptr, shape: this.shape() } : undefined;
    const h = this.heap;
    const f64 = {} as Record<F64Column, number>;
    const sizes = arraySizes({ capacity, labelStride, taintStride, portStride });
    for (const c of F64_COLUMNS) f64[c] = h.alloc(sizes.f64);
    this.ptr = {
      state: h.alloc(sizes.state),
      version: h.alloc(sizes.word),
      f64,
      labels: h.alloc(sizes.labels),
      taintCount: h.alloc(sizes.word),
      taints: h.alloc(sizes.taints),
      portCount: h.alloc(sizes.word),
      ports: h.alloc(sizes.ports),
      scratchIdx: h.alloc(sizes.word),
      scratchBase: h.alloc(sizes.word),
      scratchAff: h.alloc(sizes.word),
      scratchTaint: h.alloc(sizes.word),
    };
    this.capacity = capacity;
    this.labelStride = labelStride;
    this.taintStride = taintStride;
    this.portStride = portStride;
    this.cached = undefined;
    if (!old) return;
    // Views over the old arrays are built only now: the allocations above may have grown memory.
    const prev = viewsAt(h.buffer, old.ptr, old.shape);
    const next = this.views;
    next.state.set(prev.state);
    next.version.set(prev.version);
    for (const c of F64_COLUMNS) next.f64[c].set(prev.f64[c]);
    next.taintCount.set(prev.taintCount);
    next.portCount.set(prev.portCount);
    const rows = old.shape.capacity;
    copyRows(prev.labels, old.shape.labelStride, next.labels, labelStride, rows);
    copyRows(prev.taints, old.shape.taintStride, next.taints, taintStride, rows);
    copyRows(prev.ports, old.shape.portStride * 2, next.ports, portStride * 2, rows);
    freeArrays(h, old.ptr, old.shape);
  }

  private shape(): Shape {
    return { capacity: this.capacity, labelStride: this.labelStride, taintStride: this.taintStride, portStride: this.portStride };
  }

  private makeViews(): NodeViews {
    return viewsAt(this.heap.buffer, this.ptr, this.shape());
  }
}

interface Shape {
  capacity: number;
  labelStride: number;
  taintStride: number;
  portStride: number;
}

/** Bytes of each array of a table of this shape (alloc's sizes, so free() gets the same). */
function arraySizes(s: Shape) {
  const n = s.capacity;
  return { f64: n * 8, state: n, word: n * 4, labels: n * s.labelStride * 4, taints: n * s.taintStride * 4, ports: n * s.portStride * 8 };
}

function freeArrays(h: WasmHeap, p: Pointers, s: Shape): void {
  const sizes = arraySizes(s);
  for (const c of F64_COLUMNS) h.free(p.f64[c], sizes.f64);
  h.free(p.state, sizes.state);
  for (const w of [p.version, p.taintCount, p.portCount, p.scratchIdx, p.scratchBase, p.scratchAff, p.scratchTaint]) h.free(w, sizes.word);
  h.free(p.labels, sizes.labels);
  h.free(p.taints, sizes.taints);
  h.free(p.ports, sizes.ports);
}

function viewsAt(b: ArrayBuffer, p: Pointers, s: Shape): NodeViews {
  const n = s.capacity;
  const f64 = {} as Record<F64Column, Float64Array>;
  for (const c of F64_COLUMNS) f64[c] = new Float64Array(b, p.f64[c], n);
  return {
    state: new Uint8Array(b, p.state, n),
    version: new Uint32Array(b, p.version, n),
    f64,
    labels: new Int32Array(b, p.labels, n * s.labelStride),
    taintCount: new Int32Array(b, p.taintCount, n),
    taints: new Int32Array(b, p.taints, n * s.taintStride),
    portCount: new Int32Array(b, p.portCount, n),
    ports: new Int32Array(b, p.ports, n * s.portStride * 2),
  };
}

function grow(current: number, needed: number): number {
  let n = Math.max(current, 1);
  while (n < needed) n *= 2;
  return n;
}

/**
 * Node slots: doubling up to 256, then by a quarter, in whole multiples of 256. Every array of
 * the table, the group block and each class's node records (most of the module's memory) are
 * sized by it, so doubling left up to half of it unused (8,192 slots for 5,000 nodes: 4.5 MB
 * live where 5,120 slots take 3.1); a growth copies the table and drops the class records and
 * groups (rebuilt at the next pods), which only happens while nodes are being added.
 */
export function growCapacity(current: number, needed: number): number {
  let n = Math.max(current, 1);
  while (n < needed) n = n < 256 ? n * 2 : Math.ceil((n * 1.25) / 256) * 256;
  return n;
}

function copyRows(from: Int32Array, fromStride: number, to: Int32Array, toStride: number, rows: number): void {
  if (fromStride === toStride) {
    to.set(from);
    return;
  }
  for (let r = 0; r < rows; r++) to.set(from.subarray(r * fromStride, (r + 1) * fromStride), r * toStride);
}
