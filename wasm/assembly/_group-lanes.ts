// The group scan in f64x2 lanes (AssemblyScript; the twin, ts-twin-groups.ts, stays scalar).
//
// The group scan (_groups.ts) evaluates each node equivalence group at its lowest-index member.
// Those members are scattered over the node columns, so a scalar loop chases live[k] → head[g] →
// ten columns at a random slot. Here every live group keeps a dense copy, at its position in the
// live list, of what the resource filter and the scores read: its ten f64 node columns, its size,
// its head (lowest member) and whether it is "plain" (present and ready, schedulable, untainted).
// Pairs of positions then go through the resource filter and the score in f64x2 lanes with the
// same IEEE operations in the same order as _filters.ts (the node scan's lanes, _scan.ts), so the
// same outcomes and scores; a group that is not plain has its lane masked off here and takes the
// scalar evaluateGroup() in _groups.ts. Per lane the best score is kept with the lowest head among
// equals, so merging the two lanes and the scalar groups with offer() gives the scan's choice
// (highest score, then lowest node index); rejections and the feasible count add each group's size.
//
// The copies change only when a group's members change (a node joins or leaves: sync() below,
// called by _groups.ts) or its live position does (a freed group's slot taken by the last one).
// They live after the hash buckets in the group block (GROUP_DENSE_BYTES per node slot).
import {
  H_ALLOC_CPU, H_POD, POD_CPU, POD_MEM, POD_EPH, POD_NZ_CPU, POD_NZ_MEM, H_W_FIT, H_W_BALANCED,
  H_MOST_ALLOCATED, H_W_TAINT, NODE_PRESENT, NODE_READY, R_TOO_MANY_PODS,
} from "../../src/scheduler/layout";
import { f64At, ptr, word } from "./_filters";
import { weightedScore2 } from "./_scan";

const PLAIN = NODE_PRESENT | NODE_READY;

// The dense arrays (byte addresses), bound by bindLanes() with the block.
let cols: usize = 0;
let stride: usize = 0;
let sizes: usize = 0;
let heads: usize = 0;
let plains: usize = 0;

/** Binds the dense arrays that start at `end` (the byte after the buckets) for `cap` groups. */
export function bindLanes(end: usize, cap: i32): void {
  cols = (end + 15) & ~(<usize>15);
  stride = <usize>cap << 3;
  sizes = cols + 10 * stride;
  heads = sizes + (<usize>cap << 2);
  plains = heads + (<usize>cap << 2);
}

/**
 * Writes the copy at live position `pos` for a group whose lowest member is `head` and which has
 * `size` members. `columns` is the header's table of column addresses (H_ALLOC_CPU onwards).
 */
export function sync(pos: i32, head: i32, size: i32, columns: usize, state: usize, taintCount: usize): void {
  const o = <usize>pos << 3;
  const n = <usize>head << 3;
  for (let c = 0; c < 10; c++) {
    const col = <usize>load<u32>(columns + (<usize>c << 2));
    store<u64>(cols + <usize>c * stride + o, load<u64>(col + n));
  }
  const w = <usize>pos << 2;
  store<i32>(sizes + w, size);
  store<i32>(heads + w, head);
  const plain = load<u8>(state + <usize>head) == PLAIN && load<i32>(taintCount + (<usize>head << 2)) == 0;
  store<i32>(plains + w, plain ? 1 : 0);
}

/** The group at live position `pos` is plain (the lanes evaluated it; the scalar loop skips it). */
@inline export function isPlain(pos: i32): bool {
  return load<i32>(plains + (<usize>pos << 2)) != 0;
}

// The lanes' result: the best plain group's head and score (-1, -1 when none is feasible).
export let laneBest = -1;
export let laneBestScore = -1;

@inline function laneSum(counts: v128): i32 {
  return <i32>(i64x2.extract_lane(counts, 0) + i64x2.extract_lane(counts, 1));
}

@inline function addCount(reject: usize, reason: i32, counts: v128): void {
  const at = reject + (<usize>reason << 2);
  store<i32>(at, load<i32>(at) + laneSum(counts));
}

/** Take lane (head, score) when it beats laneBest: higher score, or equal score and lower head. */
@inline function take(head: f64, score: f64): void {
  if (score < 0) return;
  const i = <i32>head;
  const s = <i32>score;
  if (s > laneBestScore || (s == laneBestScore && i < laneBest)) { laneBest = i; laneBestScore = s; }
}

/**
 * Evaluates the plain groups at live positions [0, end) (end even) in pairs, for a label-free pod
 * without host ports; adds their rejections to `reject`, returns their feasible node count and
 * leaves the best in laneBest / laneBestScore.
 */
export function scanGroupLanes(ctx: usize, end: i32, reject: usize): i32 {
  const pod = ptr(ctx, H_POD);
  const most = word(ctx, H_MOST_ALLOCATED) != 0;
  const podCpu = f64At(pod, POD_CPU);
  const podMem = f64At(pod, POD_MEM);
  const podEph = f64At(pod, POD_EPH);
  const checkEph = podEph > 0;
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const minusOne = f64x2.splat(-1);
  const vPodCpu = f64x2.splat(podCpu);
  const vPodMem = f64x2.splat(podMem);
  const vPodEph = f64x2.splat(podEph);
  const vNzCpu = f64x2.splat(f64At(pod, POD_NZ_CPU));
  const vNzMem = f64x2.splat(f64At(pod, POD_NZ_MEM));
  const checkCpu = podCpu > 0 ? i64x2.splat(-1) : i64x2.splat(0);
  const checkMem = podMem > 0 ? i64x2.splat(-1) : i64x2.splat(0);
  const wFit = f64x2.splat(<f64>word(ctx, H_W_FIT));
  const wBalanced = f64x2.splat(<f64>word(ctx, H_W_BALANCED));
  // A plain group has no avoided taint: its taint score normalises to 100 whatever the maximum.
  const offset = f64x2.splat(<f64>(word(ctx, H_W_TAINT) * 100));
  const allocCpu = cols;
  const allocMem = cols + stride;
  const allocEph = cols + 2 * stride;
  const allocPods = cols + 3 * stride;
  const reqCpu = cols + 4 * stride;
  const reqMem = cols + 5 * stride;
  const reqEph = cols + 6 * stride;
  const reqPods = cols + 7 * stride;
  const nzCpu = cols + 8 * stride;
  const nzMem = cols + 9 * stride;

  let laneScore = minusOne;
  let laneHead = minusOne;
  let shortPods = i64x2.splat(0);
  let shortCpu = i64x2.splat(0);
  let shortMem = i64x2.splat(0);
  let shortEph = i64x2.splat(0);
  let fit2 = i64x2.splat(0);

  for (let p = 0; p < end; p += 2) {
    const w = <usize>p << 2;
    const plain2 = v128.load64_zero(plains + w);
    if (i64x2.extract_lane(plain2, 0) == 0) continue;
    // Lane masks (all ones where the group is plain) and sizes as 64-bit lanes.
    const lanes = i64x2.ne(i64x2.extend_low_i32x4_s(plain2), i64x2.splat(0));
    const size2 = i64x2.extend_low_i32x4_s(v128.load64_zero(sizes + w));
    const head2 = f64x2.convert_low_i32x4_s(v128.load64_zero(heads + w));
    const o = <usize>p << 3;
    const aCpu = v128.load(allocCpu + o);
    const aMem = v128.load(allocMem + o);
    const rCpu = v128.load(reqCpu + o);
    const rMem = v128.load(reqMem + o);
    const sPods = v128.and(lanes, f64x2.gt(f64x2.add(v128.load(reqPods + o), one), v128.load(allocPods + o)));
    const sCpu = v128.and(lanes, v128.and(checkCpu, f64x2.gt(vPodCpu, f64x2.sub(aCpu, rCpu))));
    const sMem = v128.and(lanes, v128.and(checkMem, f64x2.gt(vPodMem, f64x2.sub(aMem, rMem))));
    const sEph = checkEph ? v128.and(lanes, f64x2.gt(vPodEph, f64x2.sub(v128.load(allocEph + o), v128.load(reqEph + o)))) : zero;
    shortPods = i64x2.add(shortPods, v128.and(sPods, size2));
    shortCpu = i64x2.add(shortCpu, v128.and(sCpu, size2));
    shortMem = i64x2.add(shortMem, v128.and(sMem, size2));
    shortEph = i64x2.add(shortEph, v128.and(sEph, size2));
    const ok = v128.andnot(lanes, v128.or(v128.or(sPods, sCpu), v128.or(sMem, sEph)));
    fit2 = i64x2.add(fit2, v128.and(ok, size2));
    // Neither group fits (a full node, a large pod): nothing to score.
    if (!v128.any_true(ok)) continue;

    // NodeResourcesFit and NodeResourcesBalancedAllocation, as _scan.ts's lanes compute them.
    let score = weightedScore2(f64x2.add(v128.load(nzCpu + o), vNzCpu), f64x2.add(v128.load(nzMem + o), vNzMem), f64x2.add(rCpu, vPodCpu), f64x2.add(rMem, vPodMem), aCpu, aMem, most, wFit, wBalanced, offset);
    score = v128.bitselect(score, minusOne, ok);
    // Per lane: the higher score, or the equal score of a lower head (groups are not in index order).
    const better = v128.or(f64x2.gt(score, laneScore), v128.and(f64x2.eq(score, laneScore), f64x2.lt(head2, laneHead)));
    laneScore = v128.bitselect(score, laneScore, better);
    laneHead = v128.bitselect(head2, laneHead, better);
  }

  addCount(reject, R_TOO_MANY_PODS, shortPods);
  addCount(reject, R_TOO_MANY_PODS + 1, shortCpu);
  addCount(reject, R_TOO_MANY_PODS + 2, shortMem);
  addCount(reject, R_TOO_MANY_PODS + 3, shortEph);
  laneBest = -1;
  laneBestScore = -1;
  take(f64x2.extract_lane(laneHead, 0), f64x2.extract_lane(laneScore, 0));
  take(f64x2.extract_lane(laneHead, 1), f64x2.extract_lane(laneScore, 1));
  return laneSum(fit2);
}
