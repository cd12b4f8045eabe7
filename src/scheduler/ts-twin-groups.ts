// The TypeScript twin of wasm/assembly/_groups.ts: equivalence groups of nodes (equal state,
// allocatable, usage, taints and used ports) kept up to date from the change log, and the full
// scan over groups for a label-free pod. Line for line the module's algorithm over the same
// memory (ts-twin.ts explains the translation); see _groups.ts for why it chooses as the
// node-by-node scan does.
import {
  G_BUCKETS, G_CAPACITY, G_FREE, G_LIVE, G_SEEN, G_VALID, G_WORDS, H_ALLOC_CPU, H_GROUPS, H_LOG,
  H_LOG_MASK, H_LOG_SEQ, H_NODE_COUNT, H_NODE_VERSION, H_OUT_FEASIBLE, H_OUT_SCORE, H_PORTS,
  H_PORT_COUNT, H_PORT_STRIDE, H_Q_PREF_COUNT, H_Q_REQUIRED, H_Q_REQUIRED_END, H_Q_TERM_COUNT,
  H_REASON_COUNT, H_REJECT, H_REQUIRED_NODE, H_SCRATCH_BASE, H_SCRATCH_IDX, H_SCRATCH_TAINT,
  H_STATE, H_TAINTS, H_TAINT_COUNT, H_TAINT_SCORING, H_TAINT_STRIDE, H_W_TAINT, NODE_PRESENT,
  OUTCOME_FEASIBLE, H_POD, H_MOST_ALLOCATED, H_W_FIT, H_W_BALANCED, H_TOLERATE_UNSCHEDULABLE,
  H_TAINT_FLAGS, H_Q_PORT_COUNT, POD_CPU, POD_MEM, POD_EPH, POD_NZ_CPU, POD_NZ_MEM, NODE_READY,
  NODE_UNSCHEDULABLE, TAINT_BLOCKS, TAINT_PREFER_AVOID, R_NOT_READY, R_UNSCHEDULABLE, R_TAINT_BASE,
  OUTCOME_RESOURCES,
} from "./layout.ts";
import type { TwinFilters, TwinMemory } from "./ts-twin-filters.ts";

/** labelFree() and scanGroups() of the module, for the header `m` serves. */
export function createTwinGroups(m: TwinMemory, filters: TwinFilters) {
  let i32 = m.i32;
  let u8 = m.u8;
  let f64 = m.f64;
  let h = 0;
  const word = (field: number) => i32[h + field]!;
  const p4 = (field: number) => i32[h + field]! >> 2;

  // Word indexes of the block's arrays and the node columns, bound by bind().
  let meta = 0;
  let cap = 0;
  let groupOf = 0;
  let next = 0;
  let prev = 0;
  let stamp = 0;
  let head = 0;
  let tail = 0;
  let size = 0;
  let hashes = 0;
  let chain = 0;
  let live = 0;
  let liveAt = 0;
  let free = 0;
  let buckets = 0;
  let mask = 0;
  let state = 0;
  let versions = 0;
  const columns = new Int32Array(10);
  let taintCount = 0;
  let taints = 0;
  let taintStride = 0;
  let portCount = 0;
  let ports = 0;
  let portStride = 0;

  function bind(): void {
    i32 = m.i32;
    u8 = m.u8;
    f64 = m.f64;
    h = m.h;
    meta = p4(H_GROUPS);
    cap = i32[meta + G_CAPACITY]!;
    groupOf = meta + G_WORDS;
    next = groupOf + cap;
    prev = next + cap;
    stamp = prev + cap;
    head = stamp + cap;
    tail = head + cap;
    size = tail + cap;
    hashes = size + cap;
    chain = hashes + cap;
    live = chain + cap;
    liveAt = live + cap;
    free = liveAt + cap;
    buckets = free + cap;
    mask = i32[meta + G_BUCKETS]! - 1;
    state = word(H_STATE);
    versions = p4(H_NODE_VERSION);
    for (let c = 0; c < 10; c++) columns[c] = p4(H_ALLOC_CPU + c);
    taintCount = p4(H_TAINT_COUNT);
    taints = p4(H_TAINTS);
    taintStride = word(H_TAINT_STRIDE);
    portCount = p4(H_PORT_COUNT);
    ports = p4(H_PORTS);
    portStride = word(H_PORT_STRIDE);
  }

  function labelFree(): boolean {
    h = m.h;
    i32 = m.i32;
    return word(H_Q_REQUIRED_END) === word(H_Q_REQUIRED) && word(H_Q_TERM_COUNT) < 0 &&
      word(H_Q_PREF_COUNT) === 0 && word(H_REQUIRED_NODE) === -1;
  }

  const mix = (hash: number, w: number) => Math.imul(hash ^ w, 0x01000193);

  function signatureHash(i: number): number {
    let hash = mix(0x811c9dc5, u8[state + i]!);
    for (let c = 0; c < 10; c++) {
      const p = columns[c]! + 2 * i;
      hash = mix(mix(hash, i32[p]!), i32[p + 1]!);
    }
    const tc = i32[taintCount + i]!;
    hash = mix(hash, tc);
    const t = taints + i * taintStride;
    for (let k = 0; k < tc; k++) hash = mix(hash, i32[t + k]!);
    const pc = i32[portCount + i]!;
    hash = mix(hash, pc);
    const p = ports + i * portStride * 2;
    for (let k = 0; k < 2 * pc; k++) hash = mix(hash, i32[p + k]!);
    return hash;
  }

  function sameSignature(a: number, b: number): boolean {
    if (u8[state + a] !== u8[state + b]) return false;
    for (let c = 0; c < 10; c++) {
      const col = columns[c]!;
      if (i32[col + 2 * a] !== i32[col + 2 * b] || i32[col + 2 * a + 1] !== i32[col + 2 * b + 1]) return false;
    }
    const tc = i32[taintCount + a]!;
    if (tc !== i32[taintCount + b]) return false;
    const ta = taints + a * taintStride;
    const tb = taints + b * taintStride;
    for (let k = 0; k < tc; k++) if (i32[ta + k] !== i32[tb + k]) return false;
    const pc = i32[portCount + a]!;
    if (pc !== i32[portCount + b]) return false;
    const pa = ports + a * portStride * 2;
    const pb = ports + b * portStride * 2;
    for (let k = 0; k < 2 * pc; k++) if (i32[pa + k] !== i32[pb + k]) return false;
    return true;
  }

  function leave(i: number): void {
    const g = i32[groupOf + i]!;
    if (g < 0) return;
    i32[groupOf + i] = -1;
    const p = i32[prev + i]!;
    const n = i32[next + i]!;
    if (p >= 0) i32[next + p] = n;
    else i32[head + g] = n;
    if (n >= 0) i32[prev + n] = p;
    else i32[tail + g] = p;
    const left = i32[size + g]! - 1;
    i32[size + g] = left;
    if (left > 0) return;
    const b = i32[hashes + g]! & mask;
    let k = i32[buckets + b]!;
    if (k === g) i32[buckets + b] = i32[chain + g]!;
    else {
      while (i32[chain + k] !== g) k = i32[chain + k]!;
      i32[chain + k] = i32[chain + g]!;
    }
    const liveCount = i32[meta + G_LIVE]! - 1;
    const moved = i32[live + liveCount]!;
    const pos = i32[liveAt + g]!;
    i32[live + pos] = moved;
    i32[liveAt + moved] = pos;
    i32[meta + G_LIVE] = liveCount;
    const freeCount = i32[meta + G_FREE]!;
    i32[free + freeCount] = g;
    i32[meta + G_FREE] = freeCount + 1;
  }

  function join(i: number): void {
    if ((u8[state + i]! & NODE_PRESENT) === 0) return;
    const hash = signatureHash(i);
    const b = hash & mask;
    let g = i32[buckets + b]!;
    while (g >= 0 && !(i32[hashes + g] === hash && sameSignature(i32[head + g]!, i))) g = i32[chain + g]!;
    if (g < 0) g = open(hash, b);
    i32[groupOf + i] = g;
    const count = i32[size + g]!;
    i32[size + g] = count + 1;
    if (count === 0) {
      i32[head + g] = i;
      i32[tail + g] = i;
      i32[prev + i] = -1;
      i32[next + i] = -1;
      return;
    }
    const last = i32[tail + g]!;
    if (i > last) {
      i32[next + last] = i;
      i32[prev + i] = last;
      i32[next + i] = -1;
      i32[tail + g] = i;
      return;
    }
    let n = i32[head + g]!;
    while (n < i) n = i32[next + n]!;
    const p = i32[prev + n]!;
    i32[prev + i] = p;
    i32[next + i] = n;
    i32[prev + n] = i;
    if (p >= 0) i32[next + p] = i;
    else i32[head + g] = i;
  }

  function open(hash: number, b: number): number {
    const freeCount = i32[meta + G_FREE]! - 1;
    const g = i32[free + freeCount]!;
    i32[meta + G_FREE] = freeCount;
    i32[hashes + g] = hash;
    i32[size + g] = 0;
    i32[chain + g] = i32[buckets + b]!;
    i32[buckets + b] = g;
    const liveCount = i32[meta + G_LIVE]!;
    i32[live + liveCount] = g;
    i32[liveAt + g] = liveCount;
    i32[meta + G_LIVE] = liveCount + 1;
    return g;
  }

  function rebuild(n: number): void {
    for (let b = 0; b <= mask; b++) i32[buckets + b] = -1;
    for (let g = 0; g < cap; g++) i32[free + g] = cap - 1 - g;
    i32[meta + G_FREE] = cap;
    i32[meta + G_LIVE] = 0;
    for (let i = 0; i < cap; i++) i32[groupOf + i] = -1;
    for (let i = 0; i < n; i++) {
      i32[stamp + i] = i32[versions + i]!;
      join(i);
    }
    i32[meta + G_VALID] = 1;
  }

  function catchUp(): void {
    const seq = word(H_LOG_SEQ) >>> 0;
    const seen = i32[meta + G_SEEN]! >>> 0;
    const logMask = word(H_LOG_MASK) >>> 0;
    if (i32[meta + G_VALID] === 0 || ((seq - seen) >>> 0) > logMask + 1) rebuild(word(H_NODE_COUNT));
    else {
      const log = p4(H_LOG);
      for (let s = seen; s !== seq; s = (s + 1) >>> 0) {
        const i = i32[log + (s & logMask)]!;
        const v = i32[versions + i]!;
        if (i32[stamp + i] === v) continue;
        i32[stamp + i] = v;
        leave(i);
        join(i);
      }
    }
    i32[meta + G_SEEN] = seq | 0;
  }

  // The pod's values for evaluateGroup(), read from the header once per group scan.
  let podCpu = 0;
  let podMem = 0;
  let podEph = 0;
  let podNzCpu = 0;
  let podNzMem = 0;
  let most = false;
  let wFit = 0;
  let wBalanced = 0;
  let tolerateUnschedulable = false;
  let taintFlags = 0;
  let withPorts = false;
  let groupBase = 0;
  let groupAvoid = 0;

  /** f64 of column c (0..9 from H_ALLOC_CPU) at node i. */
  const column = (c: number, i: number) => f64[(columns[c]! >> 1) + i]!;

  function evaluateGroup(i: number, s: number): number {
    if (withPorts) {
      const outcome = filters.evaluate(i, s);
      groupBase = filters.last.base;
      groupAvoid = filters.last.avoid;
      return outcome;
    }
    if ((s & NODE_READY) === 0) return R_NOT_READY;
    if ((s & NODE_UNSCHEDULABLE) !== 0 && !tolerateUnschedulable) return R_UNSCHEDULABLE;
    const tc = i32[taintCount + i]!;
    const t = taints + i * taintStride;
    let avoid = 0;
    for (let j = 0; j < tc; j++) {
      const id = i32[t + j]!;
      const f = u8[taintFlags + id]!;
      if ((f & TAINT_BLOCKS) !== 0) return R_TAINT_BASE + id;
      if ((f & TAINT_PREFER_AVOID) !== 0) avoid++;
    }
    const aCpu = column(0, i);
    const aMem = column(1, i);
    const rCpu = column(4, i);
    const rMem = column(5, i);
    let short = 0;
    if (column(7, i) + 1 > column(3, i)) short |= 1;
    if (podCpu > 0 && podCpu > aCpu - rCpu) short |= 2;
    if (podMem > 0 && podMem > aMem - rMem) short |= 4;
    if (podEph > 0 && podEph > column(2, i) - column(6, i)) short |= 8;
    if (short !== 0) return OUTCOME_RESOURCES | short;
    const fit = filters.fitScore(column(8, i) + podNzCpu, aCpu, column(9, i) + podNzMem, aMem, most);
    groupBase = wFit * fit + wBalanced * filters.balancedScore(rCpu + podCpu, aCpu, rMem + podMem, aMem);
    groupAvoid = avoid;
    return OUTCOME_FEASIBLE;
  }

  function scanGroups(): number {
    bind();
    catchUp();
    const reject = p4(H_REJECT);
    i32.fill(0, reject, reject + word(H_REASON_COUNT));
    const twoPass = word(H_TAINT_SCORING) !== 0;
    const wTaint = word(H_W_TAINT);
    const scratchIdx = p4(H_SCRATCH_IDX);
    const scratchBase = p4(H_SCRATCH_BASE);
    const scratchTaint = p4(H_SCRATCH_TAINT);
    const { countRejection } = filters;
    const pod = i32[h + H_POD]! >> 3;
    podCpu = f64[pod + POD_CPU]!;
    podMem = f64[pod + POD_MEM]!;
    podEph = f64[pod + POD_EPH]!;
    podNzCpu = f64[pod + POD_NZ_CPU]!;
    podNzMem = f64[pod + POD_NZ_MEM]!;
    most = word(H_MOST_ALLOCATED) !== 0;
    wFit = word(H_W_FIT);
    wBalanced = word(H_W_BALANCED);
    tolerateUnschedulable = word(H_TOLERATE_UNSCHEDULABLE) !== 0;
    taintFlags = word(H_TAINT_FLAGS);
    withPorts = word(H_Q_PORT_COUNT) > 0;
    let feasible = 0;
    let deferred = 0;
    let best = -1;
    let bestScore = -1;
    let maxTaint = 0;
    const liveCount = i32[meta + G_LIVE]!;
    for (let k = 0; k < liveCount; k++) {
      const g = i32[live + k]!;
      const i = i32[head + g]!;
      const count = i32[size + g]!;
      const outcome = evaluateGroup(i, u8[state + i]!);
      if (outcome !== OUTCOME_FEASIBLE) {
        countRejection(reject, outcome, count);
        continue;
      }
      feasible += count;
      const avoid = groupAvoid;
      if (twoPass && avoid !== 0) {
        if (avoid > maxTaint) maxTaint = avoid;
        i32[scratchIdx + deferred] = i;
        i32[scratchBase + deferred] = groupBase;
        i32[scratchTaint + deferred] = avoid;
        deferred++;
        continue;
      }
      const score = groupBase + wTaint * 100;
      if (score > bestScore || (score === bestScore && i < best)) { best = i; bestScore = score; }
    }
    for (let k = 0; k < deferred; k++) {
      const i = i32[scratchIdx + k]!;
      const score = i32[scratchBase + k]! + wTaint * (100 - (((100 * i32[scratchTaint + k]!) / maxTaint) | 0));
      if (score > bestScore || (score === bestScore && i < best)) { best = i; bestScore = score; }
    }
    i32[h + H_OUT_SCORE] = bestScore;
    i32[h + H_OUT_FEASIBLE] = feasible;
    return best;
  }

  return { labelFree, scanGroups };
}
