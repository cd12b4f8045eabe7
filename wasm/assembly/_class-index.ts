// Per equivalence class, an index that answers "best node" without visiting every node: a max
// tournament tree over node slots of the combined score, max trees of the raw scores that
// normalisation divides by, the rejection histogram and the feasible count. Between two pods of
// one class only the nodes named in the change log since the class last looked are evaluated
// again; everything else in the index is still what a full scan would compute.
import {
  H_NODE_COUNT, H_REJECT, H_REASON_COUNT, H_W_AFFINITY, H_W_TAINT, H_OUT_SCORE, H_OUT_FEASIBLE,
  H_NODE_VERSION, H_CLASS_STAMP, CN_STAMP, CN_OUTCOME, CN_BASE, CN_AFF, CN_TAINT, CN_KEY, CN_SHIFT,
  H_CLASS_META, H_CLASS_TREE, H_CLASS_AFF_MAX, H_CLASS_TAINT_MAX, H_CLASS_HIST, H_TREE_LEAVES, H_Q_PREF_COUNT,
  H_LOG, H_LOG_MASK, H_LOG_SEQ, META_VALID, META_SEEN, META_FEASIBLE, META_MAX_AFF, META_MAX_TAINT,
  OUTCOME_FEASIBLE, OUTCOME_ABSENT,
} from "../../src/scheduler/layout";
import { countRejection, evalAffinity, evalAvoid, evalBase, evaluateSlot, i32At, ptr, word } from "./_filters";

// The class being served, read from the header once per schedule() (globals: no tuples here).
// The class's node records (CN_* words each, one per node slot).
let nodes: usize = 0;
let versions: usize = 0;
let hist: usize = 0;
let tree: usize = 0;
let affMax: usize = 0;
let taintMax: usize = 0;
let leaves: i32 = 0;
/** The node count (slots at or beyond it are leaves of 0). */
let count: i32 = 0;
let wAffinity: i32 = 0;
let wTaint: i32 = 0;
let maxAff: i32 = 0;
// Whether the class has preferred terms: without them every raw affinity is 0, so its maximum is
// 0 and the affinity tree is neither kept nor read (the class key holds the term count).
let prefs = false;
let maxTaint: i32 = 0;

@inline function at4(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Slot i's record; its fields are loaded at constant offsets (CN_* × 4). */
@inline function rec(i: i32): usize {
  return nodes + (<usize>i << (CN_SHIFT + 2));
}

@inline function metaAt(meta: usize, field: i32): usize {
  return meta + (<usize>field << 2);
}

/** Re-runs the filters on slot i and stores the outcome and raw scores at the node's version. */
function refresh(ctx: usize, i: i32): void {
  const outcome = evaluateSlot(ctx, i);
  const r = rec(i);
  store<u32>(r, load<u32>(at4(versions, i)), CN_STAMP << 2);
  store<i32>(r, outcome, CN_OUTCOME << 2);
  store<i32>(r, evalBase, CN_BASE << 2);
  store<i32>(r, evalAffinity, CN_AFF << 2);
  store<i32>(r, evalAvoid, CN_TAINT << 2);
}

/** Adds (delta 1) or removes (delta -1) slot i's stored outcome from the histogram; returns the feasible delta. */
function account(i: i32, delta: i32): i32 {
  const outcome = load<i32>(rec(i), CN_OUTCOME << 2);
  if (outcome == OUTCOME_FEASIBLE) return delta;
  if (outcome != OUTCOME_ABSENT) countRejection(hist, outcome, delta);
  return 0;
}

/**
 * Leaf key of slot i: (score + 1) in the high word and the complement of the index in the low
 * one, so the larger key is the higher score and, among equal scores, the lower index, which is
 * the node the scan's `score > bestScore` keeps. 0 = not feasible.
 */
function leafKey(i: i32): i64 {
  const r = rec(i);
  if (load<i32>(r, CN_OUTCOME << 2) != OUTCOME_FEASIBLE) return 0;
  const aff = load<i32>(r, CN_AFF << 2);
  const avoid = load<i32>(r, CN_TAINT << 2);
  // Same DefaultNormalizeScore arithmetic as the scan in scheduler.ts.
  const affScore = aff == 0 ? 0 : (100 * aff) / maxAff;
  const taintScore = avoid == 0 ? 100 : 100 - (100 * avoid) / maxTaint;
  const score = load<i32>(r, CN_BASE << 2) + wAffinity * affScore + wTaint * taintScore;
  return (<i64>(score + 1) << 32) | <i64>(0xffffffff - <u32>i);
}

/** The raw affinity of slot i if it is feasible, else 0: a leaf of the affinity maximum's tree. */
@inline function affLeaf(i: i32): i32 {
  const r = rec(i);
  return load<i32>(r, CN_OUTCOME << 2) == OUTCOME_FEASIBLE ? load<i32>(r, CN_AFF << 2) : 0;
}

/** The same for the PreferNoSchedule count. */
@inline function avoidLeaf(i: i32): i32 {
  const r = rec(i);
  return load<i32>(r, CN_OUTCOME << 2) == OUTCOME_FEASIBLE ? load<i32>(r, CN_TAINT << 2) : 0;
}

// The trees' leaves are not stored in the trees: the score tree's leaf of slot i is the key in
// its node record (CN_KEY), written by setScore/buildScores, and a maximum tree's leaf is read
// from the record (affLeaf/avoidLeaf). The tree arrays hold the inner nodes 1 .. leaves - 1 (at
// least two leaves, so the root is inner). Slots at or beyond the node count are leaves of 0.
// So a changed node's leaves are its record's cache line, its pair's sibling leaf too.

@inline function keyAt(i: i32): i64 {
  return i < count ? load<i64>(rec(i), CN_KEY << 2) : 0;
}

@inline function maxLeafAt(aff: bool, i: i32): i32 {
  return i >= count ? 0 : aff ? affLeaf(i) : avoidLeaf(i);
}

/** Fixes the ancestors of slot i's leaf (value v) in a max tree, stopping where nothing changes. */
function setMax(t: usize, aff: bool, i: i32, v: i32): void {
  const sibling = maxLeafAt(aff, i ^ 1);
  let top = v > sibling ? v : sibling;
  let k = (leaves + i) >> 1;
  while (true) {
    if (load<i32>(at4(t, k)) == top) return;
    store<i32>(at4(t, k), top);
    if (k == 1) return;
    const other = load<i32>(at4(t, k ^ 1));
    if (other > top) top = other;
    k >>= 1;
  }
}

function setScore(i: i32): void {
  const v = leafKey(i);
  store<i64>(rec(i), v, CN_KEY << 2);
  const sibling = keyAt(i ^ 1);
  let top = v > sibling ? v : sibling;
  let k = (leaves + i) >> 1;
  while (true) {
    const at = tree + (<usize>k << 3);
    if (load<i64>(at) == top) return;
    store<i64>(at, top);
    if (k == 1) return;
    const other = load<i64>(tree + (<usize>(k ^ 1) << 3));
    if (other > top) top = other;
    k >>= 1;
  }
}

function buildMax(t: usize, aff: bool): void {
  const half = leaves >> 1;
  for (let k = leaves - 1; k >= half; k--) {
    const i = (k << 1) - leaves;
    const l = maxLeafAt(aff, i);
    const r = maxLeafAt(aff, i + 1);
    store<i32>(at4(t, k), l > r ? l : r);
  }
  for (let k = half - 1; k >= 1; k--) {
    const l = load<i32>(at4(t, 2 * k));
    const r = load<i32>(at4(t, 2 * k + 1));
    store<i32>(at4(t, k), l > r ? l : r);
  }
}

/** Every leaf of the score tree, then the inner nodes bottom-up: needed when a maximum moved. */
function buildScores(n: i32): void {
  for (let i = 0; i < n; i++) store<i64>(rec(i), leafKey(i), CN_KEY << 2);
  const half = leaves >> 1;
  for (let k = leaves - 1; k >= half; k--) {
    const i = (k << 1) - leaves;
    const l = keyAt(i);
    const r = keyAt(i + 1);
    store<i64>(tree + (<usize>k << 3), l > r ? l : r);
  }
  for (let k = half - 1; k >= 1; k--) {
    const l = load<i64>(tree + (<usize>(2 * k) << 3));
    const r = load<i64>(tree + (<usize>(2 * k + 1) << 3));
    store<i64>(tree + (<usize>k << 3), l > r ? l : r);
  }
}

/** From scratch (new class, or the log wrapped since it last looked); reuses still-valid results. */
function rebuild(ctx: usize, meta: usize, n: i32): void {
  memory.fill(hist, 0, <usize>word(ctx, H_REASON_COUNT) << 2);
  let feasible = 0;
  for (let i = 0; i < n; i++) {
    if (load<u32>(rec(i), CN_STAMP << 2) != load<u32>(at4(versions, i))) refresh(ctx, i);
    feasible += account(i, 1);
  }
  if (prefs) buildMax(affMax, true);
  buildMax(taintMax, false);
  maxAff = prefs ? load<i32>(at4(affMax, 1)) : 0;
  maxTaint = load<i32>(at4(taintMax, 1));
  buildScores(n);
  store<i32>(metaAt(meta, META_FEASIBLE), feasible);
  store<i32>(metaAt(meta, META_VALID), 1);
}

/** Replays the change log entries [seen, seq): only those nodes can differ from the index. */
function catchUp(ctx: usize, meta: usize, n: i32, seen: u32, seq: u32): void {
  const log = ptr(ctx, H_LOG);
  const mask = <u32>word(ctx, H_LOG_MASK);
  let feasible = load<i32>(metaAt(meta, META_FEASIBLE));
  for (let s = seen; s != seq; s++) {
    const i = i32At(log, <i32>(s & mask));
    if (i >= n) continue;
    const stamp = load<u32>(rec(i), CN_STAMP << 2);
    if (stamp == load<u32>(at4(versions, i))) continue;
    // Stamps are 0 only for slots no rebuild covered, which are therefore not in the index yet.
    if (stamp != 0) feasible += account(i, -1);
    refresh(ctx, i);
    feasible += account(i, 1);
    if (prefs) setMax(affMax, true, i, affLeaf(i));
    setMax(taintMax, false, i, avoidLeaf(i));
  }
  store<i32>(metaAt(meta, META_FEASIBLE), feasible);
  const newAff = prefs ? load<i32>(at4(affMax, 1)) : 0;
  const newTaint = load<i32>(at4(taintMax, 1));
  if (newAff != maxAff || newTaint != maxTaint) {
    // Normalised scores of every node depend on the maxima: rare, O(node slots).
    maxAff = newAff;
    maxTaint = newTaint;
    buildScores(n);
    return;
  }
  for (let s = seen; s != seq; s++) {
    const i = i32At(log, <i32>(s & mask));
    if (i < n) setScore(i);
  }
}

/**
 * schedule() for a class with an index (equivalence cache on, lowest-index tie-break): brings
 * the index up to date with the change log, then reads the root.
 */
export function scheduleIndexed(ctx: usize): i32 {
  const n = word(ctx, H_NODE_COUNT);
  count = n;
  const meta = ptr(ctx, H_CLASS_META);
  nodes = ptr(ctx, H_CLASS_STAMP);
  versions = ptr(ctx, H_NODE_VERSION);
  hist = ptr(ctx, H_CLASS_HIST);
  tree = ptr(ctx, H_CLASS_TREE);
  affMax = ptr(ctx, H_CLASS_AFF_MAX);
  taintMax = ptr(ctx, H_CLASS_TAINT_MAX);
  leaves = word(ctx, H_TREE_LEAVES);
  wAffinity = word(ctx, H_W_AFFINITY);
  wTaint = word(ctx, H_W_TAINT);
  prefs = word(ctx, H_Q_PREF_COUNT) > 0;
  maxAff = load<i32>(metaAt(meta, META_MAX_AFF));
  maxTaint = load<i32>(metaAt(meta, META_MAX_TAINT));

  const seq = <u32>word(ctx, H_LOG_SEQ);
  const seen = load<u32>(metaAt(meta, META_SEEN));
  const logSize = <u32>word(ctx, H_LOG_MASK) + 1;
  if (load<i32>(metaAt(meta, META_VALID)) == 0 || seq - seen > logSize) rebuild(ctx, meta, n);
  else if (seq != seen) catchUp(ctx, meta, n, seen, seq);
  store<u32>(metaAt(meta, META_SEEN), seq);
  store<i32>(metaAt(meta, META_MAX_AFF), maxAff);
  store<i32>(metaAt(meta, META_MAX_TAINT), maxTaint);

  memory.copy(ptr(ctx, H_REJECT), hist, <usize>word(ctx, H_REASON_COUNT) << 2);
  const feasible = load<i32>(metaAt(meta, META_FEASIBLE));
  const top = load<i64>(tree + 8);
  store<i32>(ctx + (<usize>H_OUT_FEASIBLE << 2), feasible);
  if (top == 0) {
    store<i32>(ctx + (<usize>H_OUT_SCORE << 2), -1);
    return -1;
  }
  store<i32>(ctx + (<usize>H_OUT_SCORE << 2), <i32>(top >> 32) - 1);
  return <i32>(0xffffffff - <u32>top);
}
