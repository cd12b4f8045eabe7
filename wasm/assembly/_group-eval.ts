// The group scan's scalar evaluation (AssemblyScript, mirrored by ts-twin-groups.ts): _filters.ts's
// evaluate() for a label-free pod, with the pod's values read from the header once per scan rather
// than once per group. It serves the groups the lanes (_group-lanes.ts) do not take: tainted,
// cordoned or not-ready ones, the odd last group, and every group for a pod with host ports (which
// takes evaluate() itself). The same checks in the same order, the same arithmetic.
import {
  H_ALLOC_CPU, H_TAINT_COUNT, H_TAINTS, H_TAINT_STRIDE, H_POD, H_TAINT_FLAGS,
  H_TOLERATE_UNSCHEDULABLE, H_Q_PORT_COUNT, H_MOST_ALLOCATED, H_W_FIT, H_W_BALANCED, POD_CPU,
  POD_MEM, POD_EPH, POD_NZ_CPU, POD_NZ_MEM, NODE_READY, NODE_UNSCHEDULABLE, TAINT_BLOCKS,
  TAINT_PREFER_AVOID, R_NOT_READY, R_UNSCHEDULABLE, R_TAINT_BASE, OUTCOME_RESOURCES, OUTCOME_FEASIBLE,
} from "../../src/scheduler/layout";
import { balancedScore, evalAvoid, evalBase, evaluate, f64At, fitScore, ptr, word } from "./_filters";

// The pod's values for evaluateGroup(), read from the header once per group scan.
let podCpu: f64 = 0;
let podMem: f64 = 0;
let podEph: f64 = 0;
let podNzCpu: f64 = 0;
let podNzMem: f64 = 0;
let most = false;
let wFit = 0;
let wBalanced = 0;
let tolerateUnschedulable = false;
let taintFlags: usize = 0;
export let withPorts = false;
export let groupBase = 0;
export let groupAvoid = 0;

// The node columns evaluateGroup() reads, bound by bindPod().
let columns: usize = 0;
let taintCount: usize = 0;
let taints: usize = 0;
let taintStride = 0;

@inline function column(ctx: usize, c: i32): usize {
  return <usize>load<u32>(columns + (<usize>c << 2));
}

@inline function get(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

/** Reads the pod's values and the node columns' addresses from the header, once per group scan. */
export function bindPod(ctx: usize): void {
  columns = ctx + (<usize>H_ALLOC_CPU << 2);
  taintCount = ptr(ctx, H_TAINT_COUNT);
  taints = ptr(ctx, H_TAINTS);
  taintStride = word(ctx, H_TAINT_STRIDE);
  const pod = ptr(ctx, H_POD);
  podCpu = f64At(pod, POD_CPU);
  podMem = f64At(pod, POD_MEM);
  podEph = f64At(pod, POD_EPH);
  podNzCpu = f64At(pod, POD_NZ_CPU);
  podNzMem = f64At(pod, POD_NZ_MEM);
  most = word(ctx, H_MOST_ALLOCATED) != 0;
  wFit = word(ctx, H_W_FIT);
  wBalanced = word(ctx, H_W_BALANCED);
  tolerateUnschedulable = word(ctx, H_TOLERATE_UNSCHEDULABLE) != 0;
  taintFlags = ptr(ctx, H_TAINT_FLAGS);
  withPorts = word(ctx, H_Q_PORT_COUNT) > 0;
}

/**
 * _filters.ts's evaluate() for a label-free pod with the pod's values hoisted out of the loop
 * (the same checks in the same order, the same arithmetic); a pod with host ports takes evaluate().
 */
export function evaluateGroup(ctx: usize, i: i32, s: u8): i32 {
  if (withPorts) {
    const outcome = evaluate(ctx, i, s);
    groupBase = evalBase;
    groupAvoid = evalAvoid;
    return outcome;
  }
  if ((s & NODE_READY) == 0) return R_NOT_READY;
  if ((s & NODE_UNSCHEDULABLE) != 0 && !tolerateUnschedulable) return R_UNSCHEDULABLE;
  const tc = get(taintCount, i);
  const t = taints + (<usize>(i * taintStride) << 2);
  let avoid = 0;
  for (let j = 0; j < tc; j++) {
    const id = get(t, j);
    const f = load<u8>(taintFlags + <usize>id);
    if ((f & TAINT_BLOCKS) != 0) return R_TAINT_BASE + id;
    if ((f & TAINT_PREFER_AVOID) != 0) avoid++;
  }
  const aCpu = f64At(column(ctx, 0), i);
  const aMem = f64At(column(ctx, 1), i);
  const rCpu = f64At(column(ctx, 4), i);
  const rMem = f64At(column(ctx, 5), i);
  let short = 0;
  if (f64At(column(ctx, 7), i) + 1 > f64At(column(ctx, 3), i)) short |= 1;
  if (podCpu > 0 && podCpu > aCpu - rCpu) short |= 2;
  if (podMem > 0 && podMem > aMem - rMem) short |= 4;
  if (podEph > 0 && podEph > f64At(column(ctx, 2), i) - f64At(column(ctx, 6), i)) short |= 8;
  if (short != 0) return OUTCOME_RESOURCES | short;
  const fit = fitScore(f64At(column(ctx, 8), i) + podNzCpu, aCpu, f64At(column(ctx, 9), i) + podNzMem, aMem, most);
  groupBase = wFit * fit + wBalanced * balancedScore(rCpu + podCpu, aCpu, rMem + podMem, aMem);
  groupAvoid = avoid;
  return OUTCOME_FEASIBLE;
}
