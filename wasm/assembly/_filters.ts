// The filter chain and raw scores for one node (AssemblyScript), shared by the full scan in
// scheduler.ts and the per-class incremental index in _class-index.ts. Header accessors too.
import {
  H_STATE, H_ALLOC_CPU, H_ALLOC_MEM, H_ALLOC_EPH, H_ALLOC_PODS, H_REQ_CPU, H_REQ_MEM,
  H_REQ_EPH, H_REQ_PODS, H_NZ_CPU, H_NZ_MEM, H_LABELS, H_LABEL_STRIDE, H_TAINT_COUNT, H_TAINTS,
  H_TAINT_STRIDE, H_PORT_COUNT, H_PORTS, H_PORT_STRIDE, H_VALUE_NUM, H_TAINT_FLAGS, H_W_FIT,
  H_W_BALANCED, H_MOST_ALLOCATED, H_POD, H_REQUIRED_NODE, H_TOLERATE_UNSCHEDULABLE, H_Q_REQUIRED,
  H_Q_REQUIRED_END, H_Q_TERM_COUNT, H_Q_TERMS, H_Q_PREF_COUNT, H_Q_PREFS, H_Q_PORT_COUNT, H_Q_PORTS,
  POD_CPU, POD_MEM, POD_EPH, POD_NZ_CPU, POD_NZ_MEM, NODE_PRESENT, NODE_READY, NODE_UNSCHEDULABLE,
  TAINT_BLOCKS, TAINT_PREFER_AVOID, OP_IN, OP_NOT_IN, OP_EXISTS, OP_DOES_NOT_EXIST, OP_GT, OP_LT,
  OP_NAME_IN, OP_NAME_NOT_IN, R_NOT_READY, R_UNSCHEDULABLE, R_NODE_NAME, R_NODE_AFFINITY,
  R_NODE_PORTS, R_TOO_MANY_PODS, R_TAINT_BASE, OUTCOME_FEASIBLE, OUTCOME_RESOURCES, OUTCOME_ABSENT,
} from "../../src/scheduler/layout";

@inline export function word(ctx: usize, field: i32): i32 {
  return load<i32>(ctx + (<usize>field << 2));
}

@inline export function ptr(ctx: usize, field: i32): usize {
  return <usize>load<u32>(ctx + (<usize>field << 2));
}

@inline export function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}

@inline export function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

@inline function bump(reject: usize, reason: i32, delta: i32): void {
  const at = reject + (<usize>reason << 2);
  store<i32>(at, load<i32>(at) + delta);
}

function contains(values: usize, count: i32, v: i32): bool {
  for (let k = 0; k < count; k++) if (i32At(values, k) == v) return true;
  return false;
}

/** AND of the expressions in [p, end) for one node (a nodeSelector or one NodeSelectorTerm). */
function matchAll(ctx: usize, node: i32, p: usize, end: usize): bool {
  const labels = ptr(ctx, H_LABELS);
  const stride = word(ctx, H_LABEL_STRIDE);
  while (p < end) {
    const column = load<i32>(p);
    const op = load<i32>(p, 4);
    const count = load<i32>(p, 8);
    const values = p + 12;
    p = values + (<usize>count << 2);
    const v = column < 0 ? 0 : i32At(labels, node * stride + column);
    let ok = false;
    switch (op) {
      case OP_IN: ok = contains(values, count, v); break;
      case OP_NOT_IN: ok = !contains(values, count, v); break;
      case OP_EXISTS: ok = v != 0; break;
      case OP_DOES_NOT_EXIST: ok = v == 0; break;
      // Non-integer label values are NaN in the value table, so both comparisons fail.
      case OP_GT: ok = v != 0 && f64At(ptr(ctx, H_VALUE_NUM), v) > load<f64>(values); break;
      case OP_LT: ok = v != 0 && f64At(ptr(ctx, H_VALUE_NUM), v) < load<f64>(values); break;
      case OP_NAME_IN: ok = contains(values, count, node); break;
      case OP_NAME_NOT_IN: ok = !contains(values, count, node); break;
    }
    if (!ok) return false;
  }
  return true;
}

/** nodeSelector AND (any required NodeSelectorTerm). */
function matchesAffinity(ctx: usize, node: i32): bool {
  if (!matchAll(ctx, node, ptr(ctx, H_Q_REQUIRED), ptr(ctx, H_Q_REQUIRED_END))) return false;
  const terms = word(ctx, H_Q_TERM_COUNT);
  if (terms < 0) return true;
  let p = ptr(ctx, H_Q_TERMS);
  for (let t = 0; t < terms; t++) {
    const end = p + 4 + (<usize>load<i32>(p) << 2);
    if (matchAll(ctx, node, p + 4, end)) return true;
    p = end;
  }
  return false;
}

/** Sum of the weights of the preferred terms the node matches (normalised later). */
function preferredWeight(ctx: usize, node: i32): i32 {
  const prefs = word(ctx, H_Q_PREF_COUNT);
  let p = ptr(ctx, H_Q_PREFS);
  let sum = 0;
  for (let t = 0; t < prefs; t++) {
    const weight = load<i32>(p);
    const end = p + 8 + (<usize>load<i32>(p, 4) << 2);
    if (matchAll(ctx, node, p + 8, end)) sum += weight;
    p = end;
  }
  return sum;
}

/** Same protocol+port on the same or a wildcard (id 0) host IP. */
function portsConflict(ctx: usize, node: i32): bool {
  const want = word(ctx, H_Q_PORT_COUNT);
  const q = ptr(ctx, H_Q_PORTS);
  const used = i32At(ptr(ctx, H_PORT_COUNT), node);
  const base = ptr(ctx, H_PORTS) + (<usize>(node * word(ctx, H_PORT_STRIDE)) << 3);
  for (let a = 0; a < want; a++) {
    const key = i32At(q, a * 2);
    const ip = i32At(q, a * 2 + 1);
    for (let b = 0; b < used; b++) {
      if (i32At(base, b * 2) != key) continue;
      const other = i32At(base, b * 2 + 1);
      if (ip == 0 || other == 0 || ip == other) return true;
    }
  }
  return false;
}

/**
 * floor(a / b) for non-negative integers below 2^53, in f64 (an i64 division costs tens of
 * cycles per node); the correction makes it exact where a / b rounds up to an integer.
 * Same steps as floorDiv in src/scheduler/scores.ts.
 */
@inline function floorDiv(a: f64, b: f64): f64 {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

@inline function leastAllocated(requested: f64, allocatable: f64): f64 {
  if (requested > allocatable) return 0;
  return floorDiv((allocatable - requested) * 100, allocatable);
}

@inline function mostAllocated(requested: f64, allocatable: f64): f64 {
  const r = requested > allocatable ? allocatable : requested;
  return floorDiv(r * 100, allocatable);
}

/** NodeResourcesFit score over cpu and memory (non-zero requests), as in kube-scheduler. */
@inline export function fitScore(reqCpu: f64, allocCpu: f64, reqMem: f64, allocMem: f64, most: bool): i32 {
  let sum: f64 = 0;
  let weights = 0;
  if (allocCpu > 0) {
    sum += most ? mostAllocated(reqCpu, allocCpu) : leastAllocated(reqCpu, allocCpu);
    weights++;
  }
  if (allocMem > 0) {
    sum += most ? mostAllocated(reqMem, allocMem) : leastAllocated(reqMem, allocMem);
    weights++;
  }
  return weights == 0 ? 0 : <i32>sum / weights;
}

/** NodeResourcesBalancedAllocation: 100 × (1 − std of the cpu/memory fractions). */
@inline export function balancedScore(reqCpu: f64, allocCpu: f64, reqMem: f64, allocMem: f64): i32 {
  if (allocCpu <= 0 || allocMem <= 0) return 100;
  let fc = reqCpu / allocCpu;
  let fm = reqMem / allocMem;
  if (fc > 1) fc = 1;
  if (fm > 1) fm = 1;
  const std = Math.abs((fc - fm) / 2);
  return <i32>((1.0 - std) * 100.0);
}

// Raw scores of the node last evaluated (globals: the stub runtime has no tuples).
export let evalBase = 0;
export let evalAffinity = 0;
export let evalAvoid = 0;

/**
 * Runs the filter chain on one node; returns OUTCOME_FEASIBLE (raw scores left in the eval*
 * globals) or the node's rejection.
 */
export function evaluate(ctx: usize, i: i32, s: u8): i32 {
  // Filter order follows kube-scheduler's default profile, so the first failing filter (the
  // one a node is counted under in the message) is the same one kube-scheduler would name.
  if ((s & NODE_READY) == 0) return R_NOT_READY;
  if ((s & NODE_UNSCHEDULABLE) != 0 && word(ctx, H_TOLERATE_UNSCHEDULABLE) == 0) return R_UNSCHEDULABLE;
  const requiredNode = word(ctx, H_REQUIRED_NODE);
  if (requiredNode != -1 && requiredNode != i) return R_NODE_NAME;

  const tc = i32At(ptr(ctx, H_TAINT_COUNT), i);
  const taints = ptr(ctx, H_TAINTS) + (<usize>(i * word(ctx, H_TAINT_STRIDE)) << 2);
  const taintFlags = ptr(ctx, H_TAINT_FLAGS);
  let avoid = 0;
  for (let j = 0; j < tc; j++) {
    const t = i32At(taints, j);
    const f = load<u8>(taintFlags + <usize>t);
    if ((f & TAINT_BLOCKS) != 0) return R_TAINT_BASE + t;
    if ((f & TAINT_PREFER_AVOID) != 0) avoid++;
  }

  const hasSelector = ptr(ctx, H_Q_REQUIRED_END) > ptr(ctx, H_Q_REQUIRED) || word(ctx, H_Q_TERM_COUNT) >= 0;
  if (hasSelector && !matchesAffinity(ctx, i)) return R_NODE_AFFINITY;
  if (word(ctx, H_Q_PORT_COUNT) > 0 && portsConflict(ctx, i)) return R_NODE_PORTS;

  // NodeResourcesFit reports every insufficient resource of a node, not just the first.
  const pod = ptr(ctx, H_POD);
  const podCpu = f64At(pod, POD_CPU);
  const podMem = f64At(pod, POD_MEM);
  const podEph = f64At(pod, POD_EPH);
  const aCpu = f64At(ptr(ctx, H_ALLOC_CPU), i);
  const aMem = f64At(ptr(ctx, H_ALLOC_MEM), i);
  const rCpu = f64At(ptr(ctx, H_REQ_CPU), i);
  const rMem = f64At(ptr(ctx, H_REQ_MEM), i);
  let short = 0;
  if (f64At(ptr(ctx, H_REQ_PODS), i) + 1 > f64At(ptr(ctx, H_ALLOC_PODS), i)) short |= 1;
  if (podCpu > 0 && podCpu > aCpu - rCpu) short |= 2;
  if (podMem > 0 && podMem > aMem - rMem) short |= 4;
  if (podEph > 0 && podEph > f64At(ptr(ctx, H_ALLOC_EPH), i) - f64At(ptr(ctx, H_REQ_EPH), i)) short |= 8;
  if (short != 0) return OUTCOME_RESOURCES | short;

  const most = word(ctx, H_MOST_ALLOCATED) != 0;
  const fit = fitScore(
    f64At(ptr(ctx, H_NZ_CPU), i) + f64At(pod, POD_NZ_CPU), aCpu,
    f64At(ptr(ctx, H_NZ_MEM), i) + f64At(pod, POD_NZ_MEM), aMem, most,
  );
  evalBase = word(ctx, H_W_FIT) * fit + word(ctx, H_W_BALANCED) * balancedScore(rCpu + podCpu, aCpu, rMem + podMem, aMem);
  evalAffinity = word(ctx, H_Q_PREF_COUNT) > 0 ? preferredWeight(ctx, i) : 0;
  evalAvoid = avoid;
  return OUTCOME_FEASIBLE;
}

/** Adds `delta` to the histogram entries of a rejection outcome. */
export function countRejection(reject: usize, outcome: i32, delta: i32): void {
  if ((outcome & OUTCOME_RESOURCES) == 0) {
    bump(reject, outcome, delta);
    return;
  }
  for (let bit = 0; bit < 4; bit++) if ((outcome & (1 << bit)) != 0) bump(reject, R_TOO_MANY_PODS + bit, delta);
}

/** evaluate() for any slot: OUTCOME_ABSENT when no node holds it. */
export function evaluateSlot(ctx: usize, i: i32): i32 {
  const s = load<u8>(ptr(ctx, H_STATE) + <usize>i);
  return (s & NODE_PRESENT) == 0 ? OUTCOME_ABSENT : evaluate(ctx, i, s);
}
