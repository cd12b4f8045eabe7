// Equivalence groups of nodes (AssemblyScript): nodes equal in state, allocatable, usage, taints
// and used host ports form one group. For a pod whose filters and scores read nothing else (no
// node selector or affinity terms, no preferred terms, no node name: a "label-free" pod), every
// member of a group has the same outcome and the same score, so the full scan evaluates each group
// once, at its lowest-index member, and counts it `size` times. A cluster of a few node shapes
// then costs a class-cache miss one evaluation per shape plus one per node that pods made
// different, instead of one per node.
//
// Why the choice equals the node-by-node scan's: that scan keeps the highest score and, among
// equal scores, the lowest index. A group's best member is its lowest index (members share the
// score), and offer() keeps the highest score, then the lowest index, over the groups in any
// order; the histogram and feasible count add `size` per group as the scan adds 1 per node.
//
// The groups follow the node change log as a class index does: before a group scan the nodes
// written since the groups last looked leave their group and join the one of their new state (a
// hash table of group signatures; a signature compares equal bit for bit). Members are kept in a
// doubly linked list in index order, so the first member is the lowest index. A log that wrapped,
// or a new block (the node table grew), rebuilds every group in index order.
import {
  H_STATE, H_NODE_VERSION, H_LOG, H_LOG_MASK, H_LOG_SEQ, H_GROUPS, H_NODE_COUNT, H_ALLOC_CPU,
  H_TAINT_COUNT, H_TAINTS, H_TAINT_STRIDE, H_PORT_COUNT, H_PORTS, H_PORT_STRIDE, H_REJECT,
  H_REASON_COUNT, H_TAINT_SCORING, H_W_TAINT, H_SCRATCH_IDX, H_SCRATCH_BASE, H_SCRATCH_TAINT,
  H_OUT_SCORE, H_OUT_FEASIBLE, H_Q_REQUIRED, H_Q_REQUIRED_END, H_Q_TERM_COUNT, H_Q_PREF_COUNT,
  H_REQUIRED_NODE, H_POD, H_TAINT_FLAGS, H_TOLERATE_UNSCHEDULABLE, H_Q_PORT_COUNT, H_MOST_ALLOCATED,
  H_W_FIT, H_W_BALANCED, POD_CPU, POD_MEM, POD_EPH, POD_NZ_CPU, POD_NZ_MEM, NODE_READY,
  NODE_UNSCHEDULABLE, TAINT_BLOCKS, TAINT_PREFER_AVOID, R_NOT_READY, R_UNSCHEDULABLE, R_TAINT_BASE,
  OUTCOME_RESOURCES, G_VALID, G_SEEN, G_LIVE, G_FREE, G_CAPACITY, G_BUCKETS, G_WORDS,
  NODE_PRESENT, OUTCOME_FEASIBLE,
} from "../../src/scheduler/layout";
import {
  balancedScore, countRejection, evalAvoid, evalBase, evaluate, f64At, fitScore, i32At, ptr, word,
} from "./_filters";

// The block's arrays (byte addresses), bound by bind() once per call.
let meta: usize = 0;
let cap = 0;
let groupOf: usize = 0;
let next: usize = 0;
let prev: usize = 0;
let stamp: usize = 0;
let head: usize = 0;
let tail: usize = 0;
let size: usize = 0;
let hashes: usize = 0;
let chain: usize = 0;
let live: usize = 0;
let liveAt: usize = 0;
let free: usize = 0;
let buckets: usize = 0;
let mask: u32 = 0;
// Node columns the signature covers.
let state: usize = 0;
let versions: usize = 0;
let columns: usize = 0;
let taintCount: usize = 0;
let taints: usize = 0;
let taintStride = 0;
let portCount: usize = 0;
let ports: usize = 0;
let portStride = 0;

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

@inline function get(base: usize, i: i32): i32 {
  return load<i32>(at(base, i));
}

@inline function put(base: usize, i: i32, v: i32): void {
  store<i32>(at(base, i), v);
}

function bind(ctx: usize): void {
  meta = ptr(ctx, H_GROUPS);
  cap = load<i32>(at(meta, G_CAPACITY));
  const a = <usize>cap << 2;
  groupOf = meta + (<usize>G_WORDS << 2);
  next = groupOf + a;
  prev = next + a;
  stamp = prev + a;
  head = stamp + a;
  tail = head + a;
  size = tail + a;
  hashes = size + a;
  chain = hashes + a;
  live = chain + a;
  liveAt = live + a;
  free = liveAt + a;
  buckets = free + a;
  mask = <u32>load<i32>(at(meta, G_BUCKETS)) - 1;
  state = ptr(ctx, H_STATE);
  versions = ptr(ctx, H_NODE_VERSION);
  // The ten f64 node columns sit at consecutive header words from H_ALLOC_CPU.
  columns = ctx + (<usize>H_ALLOC_CPU << 2);
  taintCount = ptr(ctx, H_TAINT_COUNT);
  taints = ptr(ctx, H_TAINTS);
  taintStride = word(ctx, H_TAINT_STRIDE);
  portCount = ptr(ctx, H_PORT_COUNT);
  ports = ptr(ctx, H_PORTS);
  portStride = word(ctx, H_PORT_STRIDE);
}

/** True when the pod's checks and scores read no label and no node name (groups apply). */
export function labelFree(ctx: usize): bool {
  return ptr(ctx, H_Q_REQUIRED_END) == ptr(ctx, H_Q_REQUIRED) && word(ctx, H_Q_TERM_COUNT) < 0 &&
    word(ctx, H_Q_PREF_COUNT) == 0 && word(ctx, H_REQUIRED_NODE) == -1;
}

@inline function mix(h: u32, w: u32): u32 {
  return (h ^ w) * 0x01000193;
}

/** FNV-1a over the signature's 32-bit words (mirrored by the twin, ts-twin-groups.ts). */
function signatureHash(i: i32): u32 {
  let h: u32 = mix(0x811c9dc5, <u32>load<u8>(state + <usize>i));
  for (let c = 0; c < 10; c++) {
    const p = <usize>load<u32>(columns + (<usize>c << 2)) + (<usize>i << 3);
    h = mix(mix(h, load<u32>(p)), load<u32>(p, 4));
  }
  const tc = get(taintCount, i);
  h = mix(h, <u32>tc);
  const t = taints + (<usize>(i * taintStride) << 2);
  for (let k = 0; k < tc; k++) h = mix(h, load<u32>(at(t, k)));
  const pc = get(portCount, i);
  h = mix(h, <u32>pc);
  const p = ports + (<usize>(i * portStride) << 3);
  for (let k = 0; k < 2 * pc; k++) h = mix(h, load<u32>(at(p, k)));
  return h;
}

/** Nodes a and b have the same signature, bit for bit. */
function sameSignature(a: i32, b: i32): bool {
  if (load<u8>(state + <usize>a) != load<u8>(state + <usize>b)) return false;
  for (let c = 0; c < 10; c++) {
    const col = <usize>load<u32>(columns + (<usize>c << 2));
    if (load<u64>(col + (<usize>a << 3)) != load<u64>(col + (<usize>b << 3))) return false;
  }
  const tc = get(taintCount, a);
  if (tc != get(taintCount, b)) return false;
  const ta = taints + (<usize>(a * taintStride) << 2);
  const tb = taints + (<usize>(b * taintStride) << 2);
  for (let k = 0; k < tc; k++) if (get(ta, k) != get(tb, k)) return false;
  const pc = get(portCount, a);
  if (pc != get(portCount, b)) return false;
  const pa = ports + (<usize>(a * portStride) << 3);
  const pb = ports + (<usize>(b * portStride) << 3);
  for (let k = 0; k < 2 * pc; k++) if (get(pa, k) != get(pb, k)) return false;
  return true;
}

/** Takes node i out of its group; a group left empty is unhashed, unlisted and freed. */
function leave(i: i32): void {
  const g = get(groupOf, i);
  if (g < 0) return;
  put(groupOf, i, -1);
  const p = get(prev, i);
  const n = get(next, i);
  if (p >= 0) put(next, p, n);
  else put(head, g, n);
  if (n >= 0) put(prev, n, p);
  else put(tail, g, p);
  const left = get(size, g) - 1;
  put(size, g, left);
  if (left > 0) return;
  const b = <i32>(<u32>get(hashes, g) & mask);
  let k = get(buckets, b);
  if (k == g) put(buckets, b, get(chain, g));
  else {
    while (get(chain, k) != g) k = get(chain, k);
    put(chain, k, get(chain, g));
  }
  const liveCount = get(meta, G_LIVE) - 1;
  const moved = get(live, liveCount);
  const pos = get(liveAt, g);
  put(live, pos, moved);
  put(liveAt, moved, pos);
  put(meta, G_LIVE, liveCount);
  const freeCount = get(meta, G_FREE);
  put(free, freeCount, g);
  put(meta, G_FREE, freeCount + 1);
}

/** Puts present node i into the group of its signature (a new one if none), in index order. */
function join(i: i32): void {
  if ((load<u8>(state + <usize>i) & NODE_PRESENT) == 0) return;
  const h = signatureHash(i);
  const b = <i32>(h & mask);
  let g = get(buckets, b);
  while (g >= 0 && !(<u32>get(hashes, g) == h && sameSignature(get(head, g), i))) g = get(chain, g);
  put(groupOf, i, g < 0 ? (g = open(h, b)) : g);
  const count = get(size, g);
  put(size, g, count + 1);
  if (count == 0) {
    put(head, g, i);
    put(tail, g, i);
    put(prev, i, -1);
    put(next, i, -1);
    return;
  }
  const last = get(tail, g);
  if (i > last) {
    put(next, last, i);
    put(prev, i, last);
    put(next, i, -1);
    put(tail, g, i);
    return;
  }
  let m = get(head, g);
  while (m < i) m = get(next, m);
  const p = get(prev, m);
  put(prev, i, p);
  put(next, i, m);
  put(prev, m, i);
  if (p >= 0) put(next, p, i);
  else put(head, g, i);
}

/** A group from the free list, hashed into bucket b and listed live, with no members yet. */
function open(h: u32, b: i32): i32 {
  const freeCount = get(meta, G_FREE) - 1;
  const g = get(free, freeCount);
  put(meta, G_FREE, freeCount);
  put(hashes, g, <i32>h);
  put(size, g, 0);
  put(chain, g, get(buckets, b));
  put(buckets, b, g);
  const liveCount = get(meta, G_LIVE);
  put(live, liveCount, g);
  put(liveAt, g, liveCount);
  put(meta, G_LIVE, liveCount + 1);
  return g;
}

function rebuild(n: i32): void {
  for (let b: u32 = 0; b <= mask; b++) put(buckets, <i32>b, -1);
  for (let g = 0; g < cap; g++) put(free, g, cap - 1 - g);
  put(meta, G_FREE, cap);
  put(meta, G_LIVE, 0);
  for (let i = 0; i < cap; i++) put(groupOf, i, -1);
  for (let i = 0; i < n; i++) {
    put(stamp, i, get(versions, i));
    join(i);
  }
  put(meta, G_VALID, 1);
}

/** Brings the groups up to date with the change log. */
function catchUp(ctx: usize): void {
  const seq = <u32>word(ctx, H_LOG_SEQ);
  const seen = <u32>get(meta, G_SEEN);
  const logMask = <u32>word(ctx, H_LOG_MASK);
  if (get(meta, G_VALID) == 0 || seq - seen > logMask + 1) rebuild(word(ctx, H_NODE_COUNT));
  else {
    const log = ptr(ctx, H_LOG);
    for (let s = seen; s != seq; s++) {
      const i = i32At(log, <i32>(s & logMask));
      const v = get(versions, i);
      if (get(stamp, i) == v) continue;
      put(stamp, i, v);
      leave(i);
      join(i);
    }
  }
  put(meta, G_SEEN, <i32>seq);
}

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
let withPorts = false;
let groupBase = 0;
let groupAvoid = 0;

@inline function column(ctx: usize, c: i32): usize {
  return <usize>load<u32>(columns + (<usize>c << 2));
}

/**
 * _filters.ts's evaluate() for a label-free pod with the pod's values hoisted out of the loop
 * (the same checks in the same order, the same arithmetic); a pod with host ports takes evaluate().
 */
function evaluateGroup(ctx: usize, i: i32, s: u8): i32 {
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

/**
 * The full scan for a label-free pod over groups instead of nodes: the same outcome, histogram,
 * feasible count, best score and node as _scan.ts's scan() (first tie-break, no plugin scores).
 */
export function scanGroups(ctx: usize): i32 {
  bind(ctx);
  catchUp(ctx);
  const reject = ptr(ctx, H_REJECT);
  memory.fill(reject, 0, <usize>word(ctx, H_REASON_COUNT) << 2);
  const twoPass = word(ctx, H_TAINT_SCORING) != 0;
  const wTaint = word(ctx, H_W_TAINT);
  const scratchIdx = ptr(ctx, H_SCRATCH_IDX);
  const scratchBase = ptr(ctx, H_SCRATCH_BASE);
  const scratchTaint = ptr(ctx, H_SCRATCH_TAINT);
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
  let feasible = 0;
  let deferred = 0;
  let best = -1;
  let bestScore = -1;
  let maxTaint = 0;
  const liveCount = get(meta, G_LIVE);
  for (let k = 0; k < liveCount; k++) {
    const g = get(live, k);
    const i = get(head, g);
    const count = get(size, g);
    const outcome = evaluateGroup(ctx, i, load<u8>(state + <usize>i));
    if (outcome != OUTCOME_FEASIBLE) {
      countRejection(reject, outcome, count);
      continue;
    }
    feasible += count;
    const avoid = groupAvoid;
    if (twoPass && avoid != 0) {
      if (avoid > maxTaint) maxTaint = avoid;
      put(scratchIdx, deferred, i);
      put(scratchBase, deferred, groupBase);
      put(scratchTaint, deferred, avoid);
      deferred++;
      continue;
    }
    // No avoided taint: the taint score normalises to 100 whatever the maximum.
    const score = groupBase + wTaint * 100;
    if (score > bestScore || (score == bestScore && i < best)) { best = i; bestScore = score; }
  }
  for (let k = 0; k < deferred; k++) {
    const i = get(scratchIdx, k);
    const score = get(scratchBase, k) + wTaint * (100 - (100 * get(scratchTaint, k)) / maxTaint);
    if (score > bestScore || (score == bestScore && i < best)) { best = i; bestScore = score; }
  }
  store<i32>(ctx + (<usize>H_OUT_SCORE << 2), bestScore);
  store<i32>(ctx + (<usize>H_OUT_FEASIBLE << 2), feasible);
  return best;
}
