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
//
// Plain groups (present and ready, schedulable, untainted) are evaluated in f64x2 lanes over
// dense per-group copies of the columns (_group-lanes.ts, kept current by resync() below); the
// others one at a time by evaluateGroup() (_group-eval.ts). The twin does all of them one at a time.
import {
  H_STATE, H_NODE_VERSION, H_LOG, H_LOG_MASK, H_LOG_SEQ, H_GROUPS, H_NODE_COUNT, H_ALLOC_CPU,
  H_TAINT_COUNT, H_TAINTS, H_TAINT_STRIDE, H_PORT_COUNT, H_PORTS, H_PORT_STRIDE, H_REJECT,
  H_REASON_COUNT, H_TAINT_SCORING, H_W_TAINT, H_SCRATCH_IDX, H_SCRATCH_BASE, H_SCRATCH_TAINT,
  H_OUT_SCORE, H_OUT_FEASIBLE, H_Q_REQUIRED, H_Q_REQUIRED_END, H_Q_TERM_COUNT, H_Q_PREF_COUNT,
  H_REQUIRED_NODE, G_VALID, G_SEEN, G_LIVE, G_FREE, G_CAPACITY, G_BUCKETS, G_WORDS, NODE_PRESENT,
  OUTCOME_FEASIBLE,
} from "../../src/scheduler/layout";
import { countRejection, i32At, ptr, word } from "./_filters";
import { bindPod, evaluateGroup, groupAvoid, groupBase, withPorts } from "./_group-eval";
import { bindLanes, isPlain, laneBest, laneBestScore, scanGroupLanes, sync } from "./_group-lanes";

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
  bindLanes(buckets + ((<usize>mask + 1) << 2), cap);
}

/** Refreshes group g's dense copy for the lanes (_group-lanes.ts) at its live position. */
function resync(g: i32): void {
  sync(get(liveAt, g), get(head, g), get(size, g), columns, state, taintCount);
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
  if (left > 0) {
    resync(g);
    return;
  }
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
  if (moved != g) resync(moved);
  const freeCount = get(meta, G_FREE);
  put(free, freeCount, g);
  put(meta, G_FREE, freeCount + 1);
}

/** Puts present node i into the group of its signature, then refreshes that group's copy. */
function join(i: i32): void {
  if ((load<u8>(state + <usize>i) & NODE_PRESENT) == 0) return;
  place(i);
  resync(get(groupOf, i));
}

/** Puts node i into the group of its signature (a new one if none), in index order. */
function place(i: i32): void {
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
  bindPod(ctx);
  let feasible = 0;
  let deferred = 0;
  let best = -1;
  let bestScore = -1;
  let maxTaint = 0;
  const liveCount = get(meta, G_LIVE);
  // Plain groups at even-paired positions go through the lanes; the rest (and all of a pod with
  // host ports) through evaluateGroup() below.
  const lanesEnd = withPorts ? 0 : liveCount & ~1;
  if (lanesEnd > 0) {
    feasible = scanGroupLanes(ctx, lanesEnd, reject);
    best = laneBest;
    bestScore = laneBestScore;
  }
  for (let k = 0; k < liveCount; k++) {
    if (k < lanesEnd && isPlain(k)) continue;
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
