// The full scan (AssemblyScript): filters then scores every node slot for one pod. Serves pods
// without a class index: a class's first pod (classes are indexed from their second), random
// tie-breaking (whose reservoir sampling draws one number per tie in index order), pods with
// plugin scores of their own, and scorers without the equivalence cache. With the cache on, a
// node whose version is unchanged since this pod class last saw it reuses the stored outcome and
// raw scores (kube-scheduler once had the same cache).
//
// Scores split in two: a feasible node with no preferred-term weight and no avoided taint scores
// base + 100·wTaint whatever the normalisation maxima are, so it is scored in the first pass;
// only the others wait for the maxima and are scored in a second pass over the scratch arrays.
// Both passes keep the highest score and, among equals, the lowest index, so the choice is the
// one a single ordered pass would make. (Random tie-breaking keeps every two-pass node for the
// second pass, in index order, so its draws are unchanged.)
//
// SIMD: where the pod has nothing but requests to check (no selector, ports, node name,
// preferred terms), pairs of plain nodes (present, ready, schedulable, untainted) go through the
// resource filter and the score in f64x2 lanes: the same IEEE operations in the same order as
// _filters.ts, so the same results. Any other node takes the scalar path, its lane masked off.
import {
  H_NODE_COUNT, H_STATE, H_REJECT, H_REASON_COUNT, H_SCRATCH_IDX, H_SCRATCH_BASE, H_SCRATCH_AFF,
  H_SCRATCH_TAINT, H_W_AFFINITY, H_W_TAINT, H_TIE_RANDOM, H_RNG, H_TAINT_SCORING, H_Q_PREF_COUNT,
  H_OUT_SCORE, H_OUT_FEASIBLE, NODE_PRESENT, NODE_READY, H_NODE_VERSION, H_CLASS_STAMP,
  CN_STAMP, CN_OUTCOME, CN_BASE, CN_AFF, CN_TAINT, CN_SHIFT, OUTCOME_FEASIBLE, H_EXTRA_SCORES,
  H_Q_REQUIRED, H_Q_REQUIRED_END, H_Q_TERM_COUNT, H_Q_PORT_COUNT, H_REQUIRED_NODE, H_TAINT_COUNT,
  H_ALLOC_CPU, H_ALLOC_MEM, H_ALLOC_EPH, H_ALLOC_PODS, H_REQ_CPU, H_REQ_MEM, H_REQ_EPH, H_REQ_PODS,
  H_NZ_CPU, H_NZ_MEM, H_POD, POD_CPU, POD_MEM, POD_EPH, POD_NZ_CPU, POD_NZ_MEM, H_W_FIT,
  H_W_BALANCED, H_MOST_ALLOCATED, R_TOO_MANY_PODS,
} from "../../src/scheduler/layout";
import { countRejection, evalAffinity, evalAvoid, evalBase, evaluate, f64At, i32At, ptr, word } from "./_filters";

// One scan's state (globals: the stub runtime has no closures or tuples).
let state: usize = 0;
let reject: usize = 0;
let versions: usize = 0;
/** The class's node records (CN_* words per node slot), if it has them. */
let nodes: usize = 0;
let cached = false;
let twoPass = false;
let random = false;
let wTaint = 0;
let scratchIdx: usize = 0;
let scratchBase: usize = 0;
let scratchAff: usize = 0;
let scratchTaint: usize = 0;
let extra: usize = 0;
let feasible = 0;
let deferred = 0;
let best = -1;
let bestScore = -1;
let ties: u32 = 0;
let maxAff = 0;
let maxTaint = 0;

/** xorshift32, mirrored by src/scheduler/tie-break.ts. */
function nextRandom(ctx: usize): u32 {
  let x = <u32>word(ctx, H_RNG);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  store<u32>(ctx + (<usize>H_RNG << 2), x);
  return x;
}

/** The highest score, then the lowest index: the node an ordered `score > bestScore` pass keeps. */
@inline function offer(i: i32, score: i32): void {
  if (score > bestScore || (score == bestScore && best >= 0 && i < best)) { best = i; bestScore = score; }
}

/** One node of the first pass: filter (or reuse the class's stored result), then score or defer. */
function visit(ctx: usize, i: i32): void {
  const s = load<u8>(state + <usize>i);
  if ((s & NODE_PRESENT) == 0) return;
  const at = <usize>i << 2;
  let outcome: i32;
  let base: i32;
  let aff = 0;
  let avoid = 0;
  const r = nodes + (<usize>i << (CN_SHIFT + 2));
  if (cached && load<u32>(r, CN_STAMP << 2) == load<u32>(versions + at)) {
    outcome = load<i32>(r, CN_OUTCOME << 2);
    if (outcome != OUTCOME_FEASIBLE) {
      countRejection(reject, outcome, 1);
      return;
    }
    base = load<i32>(r, CN_BASE << 2);
    if (twoPass) {
      aff = load<i32>(r, CN_AFF << 2);
      avoid = load<i32>(r, CN_TAINT << 2);
    }
  } else {
    outcome = evaluate(ctx, i, s);
    base = evalBase;
    aff = evalAffinity;
    avoid = evalAvoid;
    if (cached) {
      store<u32>(r, load<u32>(versions + at), CN_STAMP << 2);
      store<i32>(r, outcome, CN_OUTCOME << 2);
      store<i32>(r, base, CN_BASE << 2);
      store<i32>(r, aff, CN_AFF << 2);
      store<i32>(r, avoid, CN_TAINT << 2);
    }
    if (outcome != OUTCOME_FEASIBLE) {
      countRejection(reject, outcome, 1);
      return;
    }
  }
  feasible++;
  if (!twoPass || (!random && aff == 0 && avoid == 0)) {
    // Affinity normalises to 0 and taints to 100 here, whatever the maxima.
    const score = base + wTaint * 100 + (extra != 0 ? load<i32>(extra + at) : 0);
    if (score > bestScore) { best = i; bestScore = score; ties = 1; }
    else if (random && score == bestScore) { ties++; if (nextRandom(ctx) % ties == 0) best = i; }
    return;
  }
  if (aff > maxAff) maxAff = aff;
  if (avoid > maxTaint) maxTaint = avoid;
  const k = <usize>deferred << 2;
  store<i32>(scratchIdx + k, i);
  store<i32>(scratchBase + k, base);
  store<i32>(scratchAff + k, aff);
  store<i32>(scratchTaint + k, avoid);
  deferred++;
}

/** True when the pod's only per-node checks are its requests (the lanes compute nothing else). */
function requestsOnly(ctx: usize): bool {
  return ptr(ctx, H_Q_REQUIRED_END) == ptr(ctx, H_Q_REQUIRED) && word(ctx, H_Q_TERM_COUNT) < 0 &&
    word(ctx, H_Q_PORT_COUNT) == 0 && word(ctx, H_REQUIRED_NODE) == -1 && word(ctx, H_Q_PREF_COUNT) == 0;
}

const PLAIN = NODE_PRESENT | NODE_READY;

/** floorDiv of _filters.ts in lanes; both corrections cannot apply at once (b > 0). */
@inline function floorDiv2(a: v128, b: v128, one: v128): v128 {
  const q = f64x2.floor(f64x2.div(a, b));
  const down = v128.and(one, f64x2.gt(f64x2.mul(q, b), a));
  const up = v128.and(one, f64x2.le(f64x2.mul(f64x2.add(q, one), b), a));
  return f64x2.add(f64x2.sub(q, down), up);
}

/** leastAllocated / mostAllocated of _filters.ts in lanes. */
@inline export function resourceScore2(r: v128, a: v128, most: bool, zero: v128, one: v128, hundred: v128): v128 {
  const over = f64x2.gt(r, a);
  if (most) return floorDiv2(f64x2.mul(v128.bitselect(a, r, over), hundred), a, one);
  return v128.bitselect(zero, floorDiv2(f64x2.mul(f64x2.sub(a, r), hundred), a, one), over);
}

/**
 * Two lanes' weighted score plus `offset`: NodeResourcesFit over the non-zero requests (`nzCpu`,
 * `nzMem`, the pod's included), the mean of the resources with allocatable > 0, and
 * NodeResourcesBalancedAllocation over the requests (`cpu`, `mem`, the pod's included). The node
 * scan's lanes and the group lanes (_group-lanes.ts) both score with it.
 */
@inline export function weightedScore2(nzCpu: v128, nzMem: v128, cpu: v128, mem: v128, aCpu: v128, aMem: v128, most: bool, wFit: v128, wBalanced: v128, offset: v128): v128 {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const half = f64x2.splat(0.5);
  const hundred = f64x2.splat(100);
  const posCpu = f64x2.gt(aCpu, zero);
  const posMem = f64x2.gt(aMem, zero);
  const fc = resourceScore2(nzCpu, aCpu, most, zero, one, hundred);
  const fm = resourceScore2(nzMem, aMem, most, zero, one, hundred);
  // sum / weights with weights 1 or 2 is sum · 1 or sum · 0.5, exactly (no division needed).
  const sum = f64x2.add(v128.and(fc, posCpu), v128.and(fm, posMem));
  const bothPos = v128.and(posCpu, posMem);
  const fit = v128.and(f64x2.floor(f64x2.mul(sum, v128.bitselect(half, one, bothPos))), v128.or(posCpu, posMem));
  let fcb = f64x2.div(cpu, aCpu);
  let fmb = f64x2.div(mem, aMem);
  fcb = v128.bitselect(one, fcb, f64x2.gt(fcb, one));
  fmb = v128.bitselect(one, fmb, f64x2.gt(fmb, one));
  // Halving is exact, as a division by 2 is.
  const std = f64x2.abs(f64x2.mul(f64x2.sub(fcb, fmb), half));
  const balanced = v128.bitselect(f64x2.trunc(f64x2.mul(f64x2.sub(one, std), hundred)), hundred, bothPos);
  return f64x2.add(f64x2.add(f64x2.mul(wFit, fit), f64x2.mul(wBalanced, balanced)), offset);
}

@inline function laneSum(counts: v128): i32 {
  return <i32>(i64x2.extract_lane(counts, 0) + i64x2.extract_lane(counts, 1));
}

@inline function addCount(reason: i32, counts: v128): void {
  const at = reject + (<usize>reason << 2);
  store<i32>(at, load<i32>(at) + laneSum(counts));
}

/**
 * Scans slots [0, n) two at a time where both are plain nodes (scalar visit() otherwise);
 * returns the first slot not yet visited. Lane results merge into the scan's globals.
 */
function scanPairs(ctx: usize, n: i32): i32 {
  const taintCount = ptr(ctx, H_TAINT_COUNT);
  const allocCpu = ptr(ctx, H_ALLOC_CPU);
  const allocMem = ptr(ctx, H_ALLOC_MEM);
  const allocEph = ptr(ctx, H_ALLOC_EPH);
  const allocPods = ptr(ctx, H_ALLOC_PODS);
  const reqCpu = ptr(ctx, H_REQ_CPU);
  const reqMem = ptr(ctx, H_REQ_MEM);
  const reqEph = ptr(ctx, H_REQ_EPH);
  const reqPods = ptr(ctx, H_REQ_PODS);
  const nzCpu = ptr(ctx, H_NZ_CPU);
  const nzMem = ptr(ctx, H_NZ_MEM);
  const pod = ptr(ctx, H_POD);
  const most = word(ctx, H_MOST_ALLOCATED) != 0;
  const podCpu = f64At(pod, POD_CPU);
  const podMem = f64At(pod, POD_MEM);
  const podEph = f64At(pod, POD_EPH);
  const checkEph = podEph > 0;

  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const two = f64x2.splat(2);
  const minusOne = f64x2.splat(-1);
  const both = i64x2.splat(-1);
  const first = i64x2.replace_lane(i64x2.splat(0), 0, -1);
  const second = i64x2.replace_lane(i64x2.splat(0), 1, -1);
  const vPodCpu = f64x2.splat(podCpu);
  const vPodMem = f64x2.splat(podMem);
  const vPodEph = f64x2.splat(podEph);
  const vNzCpu = f64x2.splat(f64At(pod, POD_NZ_CPU));
  const vNzMem = f64x2.splat(f64At(pod, POD_NZ_MEM));
  const checkCpu = podCpu > 0 ? i64x2.splat(-1) : i64x2.splat(0);
  const checkMem = podMem > 0 ? i64x2.splat(-1) : i64x2.splat(0);
  const wFit = f64x2.splat(<f64>word(ctx, H_W_FIT));
  const wBalanced = f64x2.splat(<f64>word(ctx, H_W_BALANCED));
  const offset = f64x2.splat(<f64>(wTaint * 100));

  let laneScore = minusOne;
  let laneIdx = minusOne;
  let idx = f64x2.replace_lane(zero, 1, 1);
  let shortPods = i64x2.splat(0);
  let shortCpu = i64x2.splat(0);
  let shortMem = i64x2.splat(0);
  let shortEph = i64x2.splat(0);
  let fit2 = i64x2.splat(0);

  let i = 0;
  for (; i + 1 < n; i += 2) {
    // The lanes take plain nodes: present and ready, neither unschedulable nor tainted. A pair
    // with one other node sends that one through visit() and masks its lane off.
    let lanes = both;
    if (load<u16>(state + <usize>i) != <u16>(PLAIN * 0x101) || load<u64>(taintCount + (<usize>i << 2)) != 0) {
      const plain0 = load<u8>(state + <usize>i) == PLAIN && load<i32>(taintCount + (<usize>i << 2)) == 0;
      const plain1 = load<u8>(state + <usize>(i + 1)) == PLAIN && load<i32>(taintCount + (<usize>(i + 1) << 2)) == 0;
      if (!plain0 && !plain1) {
        visit(ctx, i);
        visit(ctx, i + 1);
        idx = f64x2.add(idx, two);
        continue;
      }
      if (plain0) {
        visit(ctx, i + 1);
        lanes = first;
      } else {
        visit(ctx, i);
        lanes = second;
      }
    }
    const o = <usize>i << 3;
    const aCpu = v128.load(allocCpu + o);
    const aMem = v128.load(allocMem + o);
    const rCpu = v128.load(reqCpu + o);
    const rMem = v128.load(reqMem + o);
    const sPods = v128.and(lanes, f64x2.gt(f64x2.add(v128.load(reqPods + o), one), v128.load(allocPods + o)));
    const sCpu = v128.and(lanes, v128.and(checkCpu, f64x2.gt(vPodCpu, f64x2.sub(aCpu, rCpu))));
    const sMem = v128.and(lanes, v128.and(checkMem, f64x2.gt(vPodMem, f64x2.sub(aMem, rMem))));
    const sEph = checkEph ? v128.and(lanes, f64x2.gt(vPodEph, f64x2.sub(v128.load(allocEph + o), v128.load(reqEph + o)))) : zero;
    shortPods = i64x2.sub(shortPods, sPods);
    shortCpu = i64x2.sub(shortCpu, sCpu);
    shortMem = i64x2.sub(shortMem, sMem);
    shortEph = i64x2.sub(shortEph, sEph);
    const ok = v128.andnot(lanes, v128.or(v128.or(sPods, sCpu), v128.or(sMem, sEph)));
    fit2 = i64x2.sub(fit2, ok);

    let score = weightedScore2(f64x2.add(v128.load(nzCpu + o), vNzCpu), f64x2.add(v128.load(nzMem + o), vNzMem), f64x2.add(rCpu, vPodCpu), f64x2.add(rMem, vPodMem), aCpu, aMem, most, wFit, wBalanced, offset);
    if (extra != 0) score = f64x2.add(score, f64x2.convert_low_i32x4_s(v128.load64_zero(extra + (<usize>i << 2))));
    score = v128.bitselect(score, minusOne, ok);
    const better = f64x2.gt(score, laneScore);
    laneScore = v128.bitselect(score, laneScore, better);
    laneIdx = v128.bitselect(idx, laneIdx, better);
    idx = f64x2.add(idx, two);
  }

  addCount(R_TOO_MANY_PODS, shortPods);
  addCount(R_TOO_MANY_PODS + 1, shortCpu);
  addCount(R_TOO_MANY_PODS + 2, shortMem);
  addCount(R_TOO_MANY_PODS + 3, shortEph);
  feasible += laneSum(fit2);
  if (f64x2.extract_lane(laneScore, 0) >= 0) offer(<i32>f64x2.extract_lane(laneIdx, 0), <i32>f64x2.extract_lane(laneScore, 0));
  if (f64x2.extract_lane(laneScore, 1) >= 0) offer(<i32>f64x2.extract_lane(laneIdx, 1), <i32>f64x2.extract_lane(laneScore, 1));
  return i;
}

export function scan(ctx: usize): i32 {
  const n = word(ctx, H_NODE_COUNT);
  state = ptr(ctx, H_STATE);
  reject = ptr(ctx, H_REJECT);
  memory.fill(reject, 0, <usize>word(ctx, H_REASON_COUNT) << 2);
  versions = ptr(ctx, H_NODE_VERSION);
  nodes = ptr(ctx, H_CLASS_STAMP);
  cached = nodes != 0;
  // Normalised scores need the maximum over feasible nodes first: only then two passes.
  twoPass = word(ctx, H_Q_PREF_COUNT) > 0 || word(ctx, H_TAINT_SCORING) != 0;
  random = word(ctx, H_TIE_RANDOM) != 0;
  wTaint = word(ctx, H_W_TAINT);
  scratchIdx = ptr(ctx, H_SCRATCH_IDX);
  scratchBase = ptr(ctx, H_SCRATCH_BASE);
  scratchAff = ptr(ctx, H_SCRATCH_AFF);
  scratchTaint = ptr(ctx, H_SCRATCH_TAINT);
  extra = ptr(ctx, H_EXTRA_SCORES);
  feasible = 0;
  deferred = 0;
  best = -1;
  bestScore = -1;
  ties = 0;
  maxAff = 0;
  maxTaint = 0;

  let i = !cached && !random && requestsOnly(ctx) ? scanPairs(ctx, n) : 0;
  for (; i < n; i++) visit(ctx, i);

  const wAffinity = word(ctx, H_W_AFFINITY);
  for (let k = 0; k < deferred; k++) {
    const aff = i32At(scratchAff, k);
    const avoid = i32At(scratchTaint, k);
    // DefaultNormalizeScore; most nodes have raw 0 and skip the division.
    const affScore = aff == 0 ? 0 : (100 * aff) / maxAff;
    const taintScore = avoid == 0 ? 100 : 100 - (100 * avoid) / maxTaint;
    const i = i32At(scratchIdx, k);
    const score = i32At(scratchBase, k) + wAffinity * affScore + wTaint * taintScore + (extra != 0 ? load<i32>(extra + (<usize>i << 2)) : 0);
    if (random) {
      if (score > bestScore) { best = i; bestScore = score; ties = 1; }
      else if (score == bestScore) { ties++; if (nextRandom(ctx) % ties == 0) best = i; }
    } else offer(i, score);
  }

  store<i32>(ctx + (<usize>H_OUT_SCORE << 2), bestScore);
  store<i32>(ctx + (<usize>H_OUT_FEASIBLE << 2), feasible);
  return best;
}
