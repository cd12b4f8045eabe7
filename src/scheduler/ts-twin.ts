// The TypeScript twin of the wasm scheduler core: wasm/assembly/scheduler.ts (full scan),
// _filters.ts (filter chain and raw scores) and _class-index.ts (per-class incremental index)
// translated line for line into TypeScript over typed-array views of the SAME linear memory and
// header (src/scheduler/layout.ts) that wasm-scorer.ts fills. It is a drop-in for the module's
// `schedule(header)` export (createWasmScorer's `core` option), so the bench can time the same
// algorithm on the same data in both languages: this file answers "what does wasm itself buy",
// which the object-based reference (ts-scorer.ts) cannot, since it also differs in algorithm.
// Not used by the running scheduler.
//
// Translation notes: byte pointers from the header index the views as ptr >> 2 (i32/u32) or
// ptr >> 3 (f64); i32 divisions truncate with `| 0`; u32 sequence arithmetic uses `>>> 0`. The
// tournament tree's i64 key (score + 1) << 32 | ~index is kept as the exactly equal f64
// (score + 1) · 2^32 + ~index in the same 8 bytes: scores stay below 2^20 (weights ≤ 100), so
// the key is an exact integer below 2^53 and orders exactly as the i64 does, without BigInt.
import {
  H_ALLOC_CPU, H_ALLOC_EPH, H_ALLOC_MEM, H_ALLOC_PODS, H_CLASS_AFF, H_CLASS_AFF_MAX, H_CLASS_BASE,
  H_CLASS_HIST, H_CLASS_META, H_CLASS_OUTCOME, H_CLASS_STAMP, H_CLASS_TAINT, H_CLASS_TAINT_MAX,
  H_CLASS_TREE, H_EXTRA_SCORES, H_LABELS, H_LABEL_STRIDE, H_LOG, H_LOG_MASK, H_LOG_SEQ,
  H_MOST_ALLOCATED, H_NODE_COUNT, H_NODE_VERSION, H_NZ_CPU, H_NZ_MEM, H_OUT_FEASIBLE, H_OUT_SCORE,
  H_POD, H_PORTS, H_PORT_COUNT, H_PORT_STRIDE, H_Q_PORTS, H_Q_PORT_COUNT, H_Q_PREFS, H_Q_PREF_COUNT,
  H_Q_REQUIRED, H_Q_REQUIRED_END, H_Q_TERMS, H_Q_TERM_COUNT, H_REASON_COUNT, H_REJECT, H_REQ_CPU,
  H_REQ_EPH, H_REQ_MEM, H_REQ_PODS, H_REQUIRED_NODE, H_RNG, H_SCRATCH_AFF, H_SCRATCH_BASE,
  H_SCRATCH_IDX, H_SCRATCH_TAINT, H_STATE, H_TAINTS, H_TAINT_COUNT, H_TAINT_FLAGS, H_TAINT_SCORING,
  H_TAINT_STRIDE, H_TIE_RANDOM, H_TOLERATE_UNSCHEDULABLE, H_TREE_LEAVES, H_VALUE_NUM, H_W_AFFINITY,
  H_W_BALANCED, H_W_FIT, H_W_TAINT, META_FEASIBLE, META_MAX_AFF, META_MAX_TAINT, META_SEEN,
  META_VALID, NODE_PRESENT, NODE_READY, NODE_UNSCHEDULABLE, OP_DOES_NOT_EXIST, OP_EXISTS, OP_GT,
  OP_IN, OP_LT, OP_NAME_IN, OP_NAME_NOT_IN, OP_NOT_IN, OUTCOME_ABSENT, OUTCOME_FEASIBLE,
  OUTCOME_RESOURCES, POD_CPU, POD_EPH, POD_MEM, POD_NZ_CPU, POD_NZ_MEM, R_NODE_AFFINITY,
  R_NODE_NAME, R_NODE_PORTS, R_NOT_READY, R_TAINT_BASE, R_TOO_MANY_PODS, R_UNSCHEDULABLE,
  TAINT_BLOCKS, TAINT_PREFER_AVOID,
} from "./layout.ts";

const TWO_32 = 4294967296;

/** schedule(header) over the module's memory, choosing as the module's own export does. */
export function createTsTwin({ memory }: { memory: WebAssembly.Memory }): (ctx: number) => number {
  let buffer: ArrayBuffer = memory.buffer;
  let u8 = new Uint8Array(buffer);
  let i32 = new Int32Array(buffer);
  let u32 = new Uint32Array(buffer);
  let f64 = new Float64Array(buffer);
  let h = 0; // header word index (ctx >> 2)

  const word = (field: number) => i32[h + field]!;
  /** A header pointer as an i32 word index. */
  const p4 = (field: number) => i32[h + field]! >> 2;
  /** A header pointer as an f64 index. */
  const p8 = (field: number) => i32[h + field]! >> 3;

  // ---- _filters.ts ----

  let evalBase = 0;
  let evalAffinity = 0;
  let evalAvoid = 0;

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
    evalBase = word(H_W_FIT) * fit + word(H_W_BALANCED) * balancedScore(rCpu + podCpu, aCpu, rMem + podMem, aMem);
    evalAffinity = word(H_Q_PREF_COUNT) > 0 ? preferredWeight(i) : 0;
    evalAvoid = avoid;
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

  // ---- scheduler.ts: the full scan ----

  function nextRandom(): number {
    let x = i32[h + H_RNG]! >>> 0;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    i32[h + H_RNG] = x | 0;
    return x;
  }

  function scan(): number {
    const n = word(H_NODE_COUNT);
    const state = word(H_STATE);
    const reject = p4(H_REJECT);
    i32.fill(0, reject, reject + word(H_REASON_COUNT));

    const versions = p4(H_NODE_VERSION);
    const stamps = p4(H_CLASS_STAMP);
    const cached = stamps !== 0;
    const outcomes = p4(H_CLASS_OUTCOME);
    const bases = p4(H_CLASS_BASE);
    const affs = p4(H_CLASS_AFF);
    const avoids = p4(H_CLASS_TAINT);

    const twoPass = word(H_Q_PREF_COUNT) > 0 || word(H_TAINT_SCORING) !== 0;
    const wAffinity = word(H_W_AFFINITY);
    const wTaint = word(H_W_TAINT);
    const random = word(H_TIE_RANDOM) !== 0;
    const scratchIdx = p4(H_SCRATCH_IDX);
    const scratchBase = p4(H_SCRATCH_BASE);
    const scratchAff = p4(H_SCRATCH_AFF);
    const scratchTaint = p4(H_SCRATCH_TAINT);
    const extra = p4(H_EXTRA_SCORES);

    let feasible = 0;
    let best = -1;
    let bestScore = -1;
    let ties = 0;
    let maxAff = 0;
    let maxTaint = 0;

    for (let i = 0; i < n; i++) {
      const s = u8[state + i]!;
      if ((s & NODE_PRESENT) === 0) continue;
      let outcome: number;
      let base: number;
      let aff = 0;
      let avoid = 0;
      if (cached && u32[stamps + i] === u32[versions + i]) {
        outcome = i32[outcomes + i]!;
        if (outcome !== OUTCOME_FEASIBLE) {
          countRejection(reject, outcome, 1);
          continue;
        }
        base = i32[bases + i]!;
        if (twoPass) {
          aff = i32[affs + i]!;
          avoid = i32[avoids + i]!;
        }
      } else {
        outcome = evaluate(i, s);
        base = evalBase;
        aff = evalAffinity;
        avoid = evalAvoid;
        if (cached) {
          u32[stamps + i] = u32[versions + i]!;
          i32[outcomes + i] = outcome;
          i32[bases + i] = base;
          i32[affs + i] = aff;
          i32[avoids + i] = avoid;
        }
        if (outcome !== OUTCOME_FEASIBLE) {
          countRejection(reject, outcome, 1);
          continue;
        }
      }
      if (twoPass) {
        if (aff > maxAff) maxAff = aff;
        if (avoid > maxTaint) maxTaint = avoid;
        i32[scratchIdx + feasible] = i;
        i32[scratchBase + feasible] = base;
        i32[scratchAff + feasible] = aff;
        i32[scratchTaint + feasible] = avoid;
      } else {
        const score = base + wTaint * 100 + (extra !== 0 ? i32[extra + i]! : 0);
        if (score > bestScore) { best = i; bestScore = score; ties = 1; }
        else if (random && score === bestScore) { ties++; if (nextRandom() % ties === 0) best = i; }
      }
      feasible++;
    }

    if (twoPass) {
      for (let k = 0; k < feasible; k++) {
        const aff = i32[scratchAff + k]!;
        const avoid = i32[scratchTaint + k]!;
        const affScore = aff === 0 ? 0 : ((100 * aff) / maxAff) | 0;
        const taintScore = avoid === 0 ? 100 : 100 - (((100 * avoid) / maxTaint) | 0);
        const i = i32[scratchIdx + k]!;
        const score = i32[scratchBase + k]! + wAffinity * affScore + wTaint * taintScore + (extra !== 0 ? i32[extra + i]! : 0);
        if (score > bestScore) { best = i; bestScore = score; ties = 1; }
        else if (random && score === bestScore) { ties++; if (nextRandom() % ties === 0) best = i; }
      }
    }

    i32[h + H_OUT_SCORE] = bestScore;
    i32[h + H_OUT_FEASIBLE] = feasible;
    return best;
  }

  // ---- _class-index.ts: the per-class incremental index ----
  // All as word indexes (i32/u32), except `tree` (an f64 index).

  let stamps = 0;
  let outcomes = 0;
  let bases = 0;
  let affs = 0;
  let avoids = 0;
  let versions = 0;
  let hist = 0;
  let tree = 0;
  let affMax = 0;
  let taintMax = 0;
  let leaves = 0;
  let wAffinity = 0;
  let wTaint = 0;
  let maxAff = 0;
  let maxTaint = 0;

  function refresh(i: number): void {
    const outcome = evaluateSlot(i);
    u32[stamps + i] = u32[versions + i]!;
    i32[outcomes + i] = outcome;
    i32[bases + i] = evalBase;
    i32[affs + i] = evalAffinity;
    i32[avoids + i] = evalAvoid;
  }

  function account(i: number, delta: number): number {
    const outcome = i32[outcomes + i]!;
    if (outcome === OUTCOME_FEASIBLE) return delta;
    if (outcome !== OUTCOME_ABSENT) countRejection(hist, outcome, delta);
    return 0;
  }

  function leafKey(i: number): number {
    if (i32[outcomes + i] !== OUTCOME_FEASIBLE) return 0;
    const aff = i32[affs + i]!;
    const avoid = i32[avoids + i]!;
    const affScore = aff === 0 ? 0 : ((100 * aff) / maxAff) | 0;
    const taintScore = avoid === 0 ? 100 : 100 - (((100 * avoid) / maxTaint) | 0);
    const score = i32[bases + i]! + wAffinity * affScore + wTaint * taintScore;
    return (score + 1) * TWO_32 + (0xffffffff - i);
  }

  function maxLeaf(base: number, i: number): number {
    return i32[outcomes + i] === OUTCOME_FEASIBLE ? i32[base + i]! : 0;
  }

  function setMax(t: number, i: number, v: number): void {
    let k = leaves + i;
    i32[t + k] = v;
    while (k > 1) {
      const sibling = i32[t + (k ^ 1)]!;
      const top = v > sibling ? v : sibling;
      k >>= 1;
      if (i32[t + k] === top) return;
      i32[t + k] = top;
      v = top;
    }
  }

  function setScore(i: number): void {
    let k = leaves + i;
    let v = leafKey(i);
    f64[tree + k] = v;
    while (k > 1) {
      const sibling = f64[tree + (k ^ 1)]!;
      const top = v > sibling ? v : sibling;
      k >>= 1;
      if (f64[tree + k] === top) return;
      f64[tree + k] = top;
      v = top;
    }
  }

  function buildMax(t: number): void {
    for (let k = leaves - 1; k >= 1; k--) {
      const l = i32[t + 2 * k]!;
      const r = i32[t + 2 * k + 1]!;
      i32[t + k] = l > r ? l : r;
    }
  }

  function buildScores(n: number): void {
    for (let i = 0; i < leaves; i++) f64[tree + leaves + i] = i < n ? leafKey(i) : 0;
    for (let k = leaves - 1; k >= 1; k--) {
      const l = f64[tree + 2 * k]!;
      const r = f64[tree + 2 * k + 1]!;
      f64[tree + k] = l > r ? l : r;
    }
  }

  function rebuild(meta: number, n: number): void {
    i32.fill(0, hist, hist + word(H_REASON_COUNT));
    let feasible = 0;
    for (let i = 0; i < n; i++) {
      if (u32[stamps + i] !== u32[versions + i]) refresh(i);
      feasible += account(i, 1);
      i32[affMax + leaves + i] = maxLeaf(affs, i);
      i32[taintMax + leaves + i] = maxLeaf(avoids, i);
    }
    for (let i = n; i < leaves; i++) {
      i32[affMax + leaves + i] = 0;
      i32[taintMax + leaves + i] = 0;
    }
    buildMax(affMax);
    buildMax(taintMax);
    maxAff = i32[affMax + 1]!;
    maxTaint = i32[taintMax + 1]!;
    buildScores(n);
    i32[meta + META_FEASIBLE] = feasible;
    i32[meta + META_VALID] = 1;
  }

  function catchUp(meta: number, n: number, seen: number, seq: number): void {
    const log = p4(H_LOG);
    const mask = word(H_LOG_MASK);
    let feasible = i32[meta + META_FEASIBLE]!;
    for (let s = seen; s !== seq; s = (s + 1) >>> 0) {
      const i = i32[log + (s & mask)]!;
      if (i >= n || u32[stamps + i] === u32[versions + i]) continue;
      if (u32[stamps + i] !== 0) feasible += account(i, -1);
      refresh(i);
      feasible += account(i, 1);
      setMax(affMax, i, maxLeaf(affs, i));
      setMax(taintMax, i, maxLeaf(avoids, i));
    }
    i32[meta + META_FEASIBLE] = feasible;
    const newAff = i32[affMax + 1]!;
    const newTaint = i32[taintMax + 1]!;
    if (newAff !== maxAff || newTaint !== maxTaint) {
      maxAff = newAff;
      maxTaint = newTaint;
      buildScores(n);
      return;
    }
    for (let s = seen; s !== seq; s = (s + 1) >>> 0) {
      const i = i32[log + (s & mask)]!;
      if (i < n) setScore(i);
    }
  }

  function scheduleIndexed(): number {
    const n = word(H_NODE_COUNT);
    const meta = p4(H_CLASS_META);
    stamps = p4(H_CLASS_STAMP);
    outcomes = p4(H_CLASS_OUTCOME);
    bases = p4(H_CLASS_BASE);
    affs = p4(H_CLASS_AFF);
    avoids = p4(H_CLASS_TAINT);
    versions = p4(H_NODE_VERSION);
    hist = p4(H_CLASS_HIST);
    tree = p8(H_CLASS_TREE);
    affMax = p4(H_CLASS_AFF_MAX);
    taintMax = p4(H_CLASS_TAINT_MAX);
    leaves = word(H_TREE_LEAVES);
    wAffinity = word(H_W_AFFINITY);
    wTaint = word(H_W_TAINT);
    maxAff = i32[meta + META_MAX_AFF]!;
    maxTaint = i32[meta + META_MAX_TAINT]!;

    const seq = word(H_LOG_SEQ) >>> 0;
    const seen = u32[meta + META_SEEN]!;
    const logSize = word(H_LOG_MASK) + 1;
    if (i32[meta + META_VALID] === 0 || ((seq - seen) >>> 0) > logSize) rebuild(meta, n);
    else if (seq !== seen) catchUp(meta, n, seen, seq);
    u32[meta + META_SEEN] = seq;
    i32[meta + META_MAX_AFF] = maxAff;
    i32[meta + META_MAX_TAINT] = maxTaint;

    const reject = p4(H_REJECT);
    i32.copyWithin(reject, hist, hist + word(H_REASON_COUNT));
    const feasible = i32[meta + META_FEASIBLE]!;
    const top = f64[tree + 1]!;
    i32[h + H_OUT_FEASIBLE] = feasible;
    if (top === 0) {
      i32[h + H_OUT_SCORE] = -1;
      return -1;
    }
    const hi = Math.floor(top / TWO_32);
    i32[h + H_OUT_SCORE] = hi - 1;
    return 0xffffffff - (top - hi * TWO_32);
  }

  return function schedule(ctx: number): number {
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      u8 = new Uint8Array(buffer);
      i32 = new Int32Array(buffer);
      u32 = new Uint32Array(buffer);
      f64 = new Float64Array(buffer);
    }
    h = ctx >> 2;
    if (word(H_CLASS_STAMP) !== 0 && word(H_TIE_RANDOM) === 0 && word(H_EXTRA_SCORES) === 0) return scheduleIndexed();
    return scan();
  };
}
