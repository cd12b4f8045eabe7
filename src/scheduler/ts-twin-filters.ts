// The TypeScript twin of wasm/assembly/_filters.ts: the filter chain and raw scores of one node,
// over typed-array views of the module's own memory (see ts-twin.ts for why the twin exists and
// how pointers translate). Shared by the twin's full scan (ts-twin.ts) and class index
// (ts-twin-index.ts), as _filters.ts is by the module's.
import {
  H_ALLOC_CPU, H_ALLOC_EPH, H_ALLOC_MEM, H_ALLOC_PODS, H_LABELS, H_LABEL_STRIDE, H_MOST_ALLOCATED,
  H_NZ_CPU, H_NZ_MEM, H_POD, H_PORTS, H_PORT_COUNT, H_PORT_STRIDE, H_Q_PORTS, H_Q_PORT_COUNT,
  H_Q_PREFS, H_Q_PREF_COUNT, H_Q_REQUIRED, H_Q_REQUIRED_END, H_Q_TERMS, H_Q_TERM_COUNT, H_REQ_CPU,
  H_REQ_EPH, H_REQ_MEM, H_REQ_PODS, H_REQUIRED_NODE, H_STATE, H_TAINTS, H_TAINT_COUNT,
  H_TAINT_FLAGS, H_TAINT_STRIDE, H_TOLERATE_UNSCHEDULABLE, H_VALUE_NUM, H_W_BALANCED, H_W_FIT,
  NODE_PRESENT, NODE_READY, NODE_UNSCHEDULABLE, OP_DOES_NOT_EXIST, OP_EXISTS, OP_GT, OP_IN, OP_LT,
  OP_NAME_IN, OP_NAME_NOT_IN, OP_NOT_IN, OUTCOME_ABSENT, OUTCOME_FEASIBLE, OUTCOME_RESOURCES,
  POD_CPU, POD_EPH, POD_MEM, POD_NZ_CPU, POD_NZ_MEM, R_NODE_AFFINITY, R_NODE_NAME, R_NODE_PORTS,
  R_NOT_READY, R_TAINT_BASE, R_TOO_MANY_PODS, R_UNSCHEDULABLE, TAINT_BLOCKS, TAINT_PREFER_AVOID,
} from "./layout.ts";

/** Views of the scheduler module's memory and the header being served; rebuilt when memory grows. */
export class TwinMemory {
  buffer: ArrayBuffer;
  u8: Uint8Array;
  i32: Int32Array;
  u32: Uint32Array;
  f64: Float64Array;
  /** Header word index (ctx >> 2). */
  h = 0;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.buffer = memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }

  /**
   * Points at the header at byte `ctx`, first rebuilding the views if wasm memory grew: growing
   * detaches the old buffer, which leaves its views 0 long (no call to memory.buffer per pod).
   */
  serve(ctx: number): void {
    if (this.u8.length === 0) {
      this.buffer = this.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.i32 = new Int32Array(this.buffer);
      this.u32 = new Uint32Array(this.buffer);
      this.f64 = new Float64Array(this.buffer);
    }
    this.h = ctx >> 2;
  }
}

export type TwinFilters = ReturnType<typeof createTwinFilters>;

export function createTwinFilters(m: TwinMemory) {
  let u8 = m.u8;
  let i32 = m.i32;
  let f64 = m.f64;
  let h = 0;
  const word = (field: number) => i32[h + field]!;
  const p4 = (field: number) => i32[h + field]! >> 2;
  const p8 = (field: number) => i32[h + field]! >> 3;
  /** Takes the current views and header from `m` (once per schedule() call). */
  function sync(): void {
    u8 = m.u8;
    i32 = m.i32;
    f64 = m.f64;
    h = m.h;
  }

  /** Raw scores of the node last evaluated (the module's eval* globals). */
  const last = { base: 0, affinity: 0, avoid: 0 };

  function contains(values: number, count: number, v: number): boolean {
    for (let k = 0; k < count; k++) if (i32[values + k] === v) return true;
    return false;
  }

  /** AND of the expressions in word range [p, end) for one node. */
  function matchAll(node: number, p: number, end: number): boolean {
    const labels = p4(H_LABELS);
    const stride = word(H_LABEL_STRIDE);
    while (p < end) {
      const column = i32[p]!;
      const op = i32[p + 1]!;
      const count = i32[p + 2]!;
      const values = p + 3;
      p = values + count;
      const v = column < 0 ? 0 : i32[labels + node * stride + column]!;
      let ok = false;
      switch (op) {
        case OP_IN: ok = contains(values, count, v); break;
        case OP_NOT_IN: ok = !contains(values, count, v); break;
        case OP_EXISTS: ok = v !== 0; break;
        case OP_DOES_NOT_EXIST: ok = v === 0; break;
        // The f64 operand sits at byte 12 of the expression: word `values`, so f64 index values / 2.
        case OP_GT: ok = v !== 0 && f64[p8(H_VALUE_NUM) + v]! > f64At4(values); break;
        case OP_LT: ok = v !== 0 && f64[p8(H_VALUE_NUM) + v]! < f64At4(values); break;
        case OP_NAME_IN: ok = contains(values, count, node); break;
        case OP_NAME_NOT_IN: ok = !contains(values, count, node); break;
      }
      if (!ok) return false;
    }
    return true;
  }

  /** An f64 stored at word index w, which need not be 8-byte aligned (the program packs words). */
  const scratch = new Float64Array(1);
  const scratchWords = new Int32Array(scratch.buffer);
  function f64At4(w: number): number {
    if ((w & 1) === 0) return f64[w >> 1]!;
    scratchWords[0] = i32[w]!;
    scratchWords[1] = i32[w + 1]!;
    return scratch[0]!;
  }

  function matchesAffinity(node: number): boolean {
    if (!matchAll(node, p4(H_Q_REQUIRED), p4(H_Q_REQUIRED_END))) return false;
    const terms = word(H_Q_TERM_COUNT);
    if (terms < 0) return true;
    let p = p4(H_Q_TERMS);
    for (let t = 0; t < terms; t++) {
      const end = p + 1 + i32[p]!;
      if (matchAll(node, p + 1, end)) return true;
      p = end;
    }
    return false;
  }

  function preferredWeight(node: number): number {
    const prefs = word(H_Q_PREF_COUNT);
    let p = p4(H_Q_PREFS);
    let sum = 0;
    for (let t = 0; t < prefs; t++) {
      const weight = i32[p]!;
      const end = p + 2 + i32[p + 1]!;
      if (matchAll(node, p + 2, end)) sum += weight;
      p = end;
    }
    return sum;
  }

  function portsConflict(node: number): boolean {
    const want = word(H_Q_PORT_COUNT);
    const q = p4(H_Q_PORTS);
    const used = i32[p4(H_PORT_COUNT) + node]!;
    const base = p4(H_PORTS) + node * word(H_PORT_STRIDE) * 2;
    for (let a = 0; a < want; a++) {
      const key = i32[q + a * 2]!;
      const ip = i32[q + a * 2 + 1]!;
      for (let b = 0; b < used; b++) {
        if (i32[base + b * 2] !== key) continue;
        const other = i32[base + b * 2 + 1]!;
        if (ip === 0 || other === 0 || ip === other) return true;
      }
    }
    return false;
  }

  function floorDiv(a: number, b: number): number {
    let q = Math.floor(a / b);
    if (q * b > a) q -= 1;
    else if ((q + 1) * b <= a) q += 1;
    return q;
  }

  function fitScore(reqCpu: number, allocCpu: number, reqMem: number, allocMem: number, most: boolean): number {
    let sum = 0;
    let weights = 0;
    if (allocCpu > 0) {
      sum += most ? floorDiv((reqCpu > allocCpu ? allocCpu : reqCpu) * 100, allocCpu) : reqCpu > allocCpu ? 0 : floorDiv((allocCpu - reqCpu) * 100, allocCpu);
      weights++;
    }
    if (allocMem > 0) {
      sum += most ? floorDiv((reqMem > allocMem ? allocMem : reqMem) * 100, allocMem) : reqMem > allocMem ? 0 : floorDiv((allocMem - reqMem) * 100, allocMem);
      weights++;
    }
    return weights === 0 ? 0 : ((sum | 0) / weights) | 0;
  }

  function balancedScore(reqCpu: number, allocCpu: number, reqMem: number, allocMem: number): number {
    if (allocCpu <= 0 || allocMem <= 0) return 100;
    let fc = reqCpu / allocCpu;
    let fm = reqMem / allocMem;
    if (fc > 1) fc = 1;
    if (fm > 1) fm = 1;
    const std = Math.abs((fc - fm) / 2);
    return ((1.0 - std) * 100.0) | 0;
  }

  function evaluate(i: number, s: number): number {
    if ((s & NODE_READY) === 0) return R_NOT_READY;
    if ((s & NODE_UNSCHEDULABLE) !== 0 && word(H_TOLERATE_UNSCHEDULABLE) === 0) return R_UNSCHEDULABLE;
    const requiredNode = word(H_REQUIRED_NODE);
    if (requiredNode !== -1 && requiredNode !== i) return R_NODE_NAME;

    const tc = i32[p4(H_TAINT_COUNT) + i]!;
    const taints = p4(H_TAINTS) + i * word(H_TAINT_STRIDE);
    const taintFlags = word(H_TAINT_FLAGS);
    let avoid = 0;
    for (let j = 0; j < tc; j++) {
      const t = i32[taints + j]!;
      const f = u8[taintFlags + t]!;
      if ((f & TAINT_BLOCKS) !== 0) return R_TAINT_BASE + t;
      if ((f & TAINT_PREFER_AVOID) !== 0) avoid++;
    }

    const hasSelector = word(H_Q_REQUIRED_END) > word(H_Q_REQUIRED) || word(H_Q_TERM_COUNT) >= 0;
    if (hasSelector && !matchesAffinity(i)) return R_NODE_AFFINITY;
    if (word(H_Q_PORT_COUNT) > 0 && portsConflict(i)) return R_NODE_PORTS;

    const pod = p8(H_POD);
    const podCpu = f64[pod + POD_CPU]!;
    const podMem = f64[pod + POD_MEM]!;
    const podEph = f64[pod + POD_EPH]!;
    const aCpu = f64[p8(H_ALLOC_CPU) + i]!;
    const aMem = f64[p8(H_ALLOC_MEM) + i]!;
    const rCpu = f64[p8(H_REQ_CPU) + i]!;
    const rMem = f64[p8(H_REQ_MEM) + i]!;
    let short = 0;
    if (f64[p8(H_REQ_PODS) + i]! + 1 > f64[p8(H_ALLOC_PODS) + i]!) short |= 1;
    if (podCpu > 0 && podCpu > aCpu - rCpu) short |= 2;
    if (podMem > 0 && podMem > aMem - rMem) short |= 4;
    if (podEph > 0 && podEph > f64[p8(H_ALLOC_EPH) + i]! - f64[p8(H_REQ_EPH) + i]!) short |= 8;
    if (short !== 0) return OUTCOME_RESOURCES | short;

    const most = word(H_MOST_ALLOCATED) !== 0;
    const fit = fitScore(
      f64[p8(H_NZ_CPU) + i]! + f64[pod + POD_NZ_CPU]!, aCpu,
      f64[p8(H_NZ_MEM) + i]! + f64[pod + POD_NZ_MEM]!, aMem, most,
    );
    last.base = word(H_W_FIT) * fit + word(H_W_BALANCED) * balancedScore(rCpu + podCpu, aCpu, rMem + podMem, aMem);
    last.affinity = word(H_Q_PREF_COUNT) > 0 ? preferredWeight(i) : 0;
    last.avoid = avoid;
    return OUTCOME_FEASIBLE;
  }

  /** `reject` is an i32 word index. */
  function countRejection(reject: number, outcome: number, delta: number): void {
    if ((outcome & OUTCOME_RESOURCES) === 0) {
      i32[reject + outcome]! += delta;
      return;
    }
    for (let bit = 0; bit < 4; bit++) if ((outcome & (1 << bit)) !== 0) i32[reject + R_TOO_MANY_PODS + bit]! += delta;
  }

  function evaluateSlot(i: number): number {
    const s = u8[word(H_STATE) + i]!;
    return (s & NODE_PRESENT) === 0 ? OUTCOME_ABSENT : evaluate(i, s);
  }

  return { sync, last, evaluate, evaluateSlot, countRejection, fitScore, balancedScore };
}
