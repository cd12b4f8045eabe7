// Memory owned by the TypeScript side inside the scheduler module's linear memory: a bump allocator
// and the per-node struct-of-arrays table. Growing a table allocates bigger arrays and copies
// (capacities double, so the space left behind stays below the live size). Growing wasm memory
// detaches every typed-array view, so views are rebuilt whenever the buffer changes.

const PAGE = 65536;

export class WasmHeap {
  private top: number;
  /**
   * Allocations so far: header words holding addresses are rewritten only when this moved. Only
   * alloc() grows the memory (the module allocates nothing), so views compare `grows` rather than
   * reading `memory.buffer`, which costs a call on every access.
   */
  allocations = 0;
  grows = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = base;
  }

  alloc(bytes: number): number {
    const ptr = Math.ceil(this.top / 16) * 16;
    this.top = ptr + bytes;
    this.allocations++;
    const size = this.memory.buffer.byteLength;
    const missing = this.top - size;
    if (missing > 0) {
      // By half the size at least: class records and table relayouts allocate in several steps,
      // and grows cost far more than their pages (measured: a fresh scorer's first 24 classes at
      // 5,000 nodes grew the memory ~90 times and the class-cache step took 0.5–3 µs a pod over
      // 10,000 pods, 0.2 µs with these steps), so a few large grows rather than many small ones.
      this.memory.grow(Math.max(Math.ceil(missing / PAGE), Math.ceil(size / PAGE / 2)));
      this.grows++;
    }
    return ptr;
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
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
    if (nodes > this.capacity) this.relayout(grow(this.capacity, nodes), this.labelStride, this.taintStride, this.portStride);
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
    for (const c of F64_COLUMNS) f64[c] = h.alloc(capacity * 8);
    this.ptr = {
      state: h.alloc(capacity),
      version: h.alloc(capacity * 4),
      f64,
      labels: h.alloc(capacity * labelStride * 4),
      taintCount: h.alloc(capacity * 4),
      taints: h.alloc(capacity * taintStride * 4),
      portCount: h.alloc(capacity * 4),
      ports: h.alloc(capacity * portStride * 8),
      scratchIdx: h.alloc(capacity * 4),
      scratchBase: h.alloc(capacity * 4),
      scratchAff: h.alloc(capacity * 4),
      scratchTaint: h.alloc(capacity * 4),
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

function copyRows(from: Int32Array, fromStride: number, to: Int32Array, toStride: number, rows: number): void {
  if (fromStride === toStride) {
    to.set(from);
    return;
  }
  for (let r = 0; r < rows; r++) to.set(from.subarray(r * fromStride, (r + 1) * fromStride), r * toStride);
}
