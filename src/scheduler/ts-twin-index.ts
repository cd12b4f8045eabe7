// The TypeScript twin of wasm/assembly/_class-index.ts: per pod class, a max tournament tree of
// the combined score over node slots, max trees of the raw scores normalisation divides by, the
// rejection histogram and the feasible count, brought up to date from the change log. Line for
// line the module's algorithm over the same memory (ts-twin.ts explains the translation).
//
// The tree's i64 key (score + 1) << 32 | ~index is kept as the exactly equal f64
// (score + 1) · 2^32 + ~index in the same 8 bytes: scores stay below 2^20 (weights ≤ 100), so the
// key is an exact integer below 2^53 and orders exactly as the i64 does, without BigInt.
import {
  CN_AFF, CN_BASE, CN_KEY, CN_OUTCOME, CN_SHIFT, CN_STAMP, CN_TAINT, H_CLASS_AFF_MAX, H_CLASS_HIST, H_CLASS_META,
  H_CLASS_STAMP, H_CLASS_TAINT_MAX, H_CLASS_TREE, H_LOG, H_LOG_MASK, H_LOG_SEQ,
  H_NODE_COUNT, H_NODE_VERSION, H_OUT_FEASIBLE, H_OUT_SCORE, H_REASON_COUNT, H_REJECT,
  H_TREE_LEAVES, H_Q_PREF_COUNT, H_W_AFFINITY, H_W_TAINT, META_FEASIBLE, META_MAX_AFF, META_MAX_TAINT, META_SEEN,
  META_VALID, OUTCOME_ABSENT, OUTCOME_FEASIBLE,
} from "./layout.ts";
import type { TwinFilters, TwinMemory } from "./ts-twin-filters.ts";

const TWO_32 = 4294967296;

/** scheduleIndexed() of the module, for the header `m` serves. */
export function createTwinIndex(m: TwinMemory, filters: TwinFilters): () => number {
  let i32 = m.i32;
  let u32 = m.u32;
  let f64 = m.f64;
  let h = 0;
  const word = (field: number) => i32[h + field]!;
  const p4 = (field: number) => i32[h + field]! >> 2;
  const p8 = (field: number) => i32[h + field]! >> 3;
  /** Takes the current views and header from `m` (once per schedule() call). */
  function sync(): void {
    i32 = m.i32;
    u32 = m.u32;
    f64 = m.f64;
    h = m.h;
  }

  // All as word indexes (i32/u32), except `tree` (an f64 index).

  /** The class's node records: slot i's at nodes + (i << CN_SHIFT), its fields at + CN_*. */
  let nodes = 0;
  /** f64 index of slot 0's CN_KEY (records are 64-byte aligned, so it is whole). */
  let keys = 0;
  /** The node count (slots at or beyond it are leaves of 0). */
  let count = 0;
  let versions = 0;
  let hist = 0;
  let tree = 0;
  let affMax = 0;
  let taintMax = 0;
  let leaves = 0;
  let wAffinity = 0;
  let wTaint = 0;
  let maxAff = 0;
  let prefs = false;
  let maxTaint = 0;

  function refresh(i: number): void {
    const outcome = filters.evaluateSlot(i);
    const r = nodes + (i << CN_SHIFT);
    u32[r + CN_STAMP] = u32[versions + i]!;
    i32[r + CN_OUTCOME] = outcome;
    i32[r + CN_BASE] = filters.last.base;
    i32[r + CN_AFF] = filters.last.affinity;
    i32[r + CN_TAINT] = filters.last.avoid;
  }

  function account(i: number, delta: number): number {
    const outcome = i32[nodes + (i << CN_SHIFT) + CN_OUTCOME]!;
    if (outcome === OUTCOME_FEASIBLE) return delta;
    if (outcome !== OUTCOME_ABSENT) filters.countRejection(hist, outcome, delta);
    return 0;
  }

  function leafKey(i: number): number {
    const r = nodes + (i << CN_SHIFT);
    if (i32[r + CN_OUTCOME] !== OUTCOME_FEASIBLE) return 0;
    const aff = i32[r + CN_AFF]!;
    const avoid = i32[r + CN_TAINT]!;
    const affScore = aff === 0 ? 0 : ((100 * aff) / maxAff) | 0;
    const taintScore = avoid === 0 ? 100 : 100 - (((100 * avoid) / maxTaint) | 0);
    const score = i32[r + CN_BASE]! + wAffinity * affScore + wTaint * taintScore;
    return (score + 1) * TWO_32 + (0xffffffff - i);
  }

  function affLeaf(i: number): number {
    const r = nodes + (i << CN_SHIFT);
    return i32[r + CN_OUTCOME] === OUTCOME_FEASIBLE ? i32[r + CN_AFF]! : 0;
  }

  function avoidLeaf(i: number): number {
    const r = nodes + (i << CN_SHIFT);
    return i32[r + CN_OUTCOME] === OUTCOME_FEASIBLE ? i32[r + CN_TAINT]! : 0;
  }

  // As in the module: the score tree's leaves are the keys in the node records (CN_KEY, an f64
  // at f64 index keys + 4i), a maximum tree's leaves are read from the records, and the tree
  // arrays hold the inner nodes only.
  function keyAt(i: number): number {
    return i < count ? f64[keys + (i << (CN_SHIFT - 1))]! : 0;
  }

  function maxLeafAt(aff: boolean, i: number): number {
    return i >= count ? 0 : aff ? affLeaf(i) : avoidLeaf(i);
  }

  function setMax(t: number, aff: boolean, i: number, v: number): void {
    const sibling = maxLeafAt(aff, i ^ 1);
    let top = v > sibling ? v : sibling;
    let k = (leaves + i) >> 1;
    while (true) {
      if (i32[t + k] === top) return;
      i32[t + k] = top;
      if (k === 1) return;
      const other = i32[t + (k ^ 1)]!;
      if (other > top) top = other;
      k >>= 1;
    }
  }

  function setScore(i: number): void {
    const v = leafKey(i);
    f64[keys + (i << (CN_SHIFT - 1))] = v;
    const sibling = keyAt(i ^ 1);
    let top = v > sibling ? v : sibling;
    let k = (leaves + i) >> 1;
    while (true) {
      if (f64[tree + k] === top) return;
      f64[tree + k] = top;
      if (k === 1) return;
      const other = f64[tree + (k ^ 1)]!;
      if (other > top) top = other;
      k >>= 1;
    }
  }

  function buildMax(t: number, aff: boolean): void {
    const half = leaves >> 1;
    for (let k = leaves - 1; k >= half; k--) {
      const i = (k << 1) - leaves;
      const l = maxLeafAt(aff, i);
      const r = maxLeafAt(aff, i + 1);
      i32[t + k] = l > r ? l : r;
    }
    for (let k = half - 1; k >= 1; k--) {
      const l = i32[t + 2 * k]!;
      const r = i32[t + 2 * k + 1]!;
      i32[t + k] = l > r ? l : r;
    }
  }

  function buildScores(n: number): void {
    for (let i = 0; i < n; i++) f64[keys + (i << (CN_SHIFT - 1))] = leafKey(i);
    const half = leaves >> 1;
    for (let k = leaves - 1; k >= half; k--) {
      const i = (k << 1) - leaves;
      const l = keyAt(i);
      const r = keyAt(i + 1);
      f64[tree + k] = l > r ? l : r;
    }
    for (let k = half - 1; k >= 1; k--) {
      const l = f64[tree + 2 * k]!;
      const r = f64[tree + 2 * k + 1]!;
      f64[tree + k] = l > r ? l : r;
    }
  }

  function rebuild(meta: number, n: number): void {
    i32.fill(0, hist, hist + word(H_REASON_COUNT));
    let feasible = 0;
    for (let i = 0; i < n; i++) {
      if (u32[nodes + (i << CN_SHIFT) + CN_STAMP] !== u32[versions + i]) refresh(i);
      feasible += account(i, 1);
    }
    if (prefs) buildMax(affMax, true);
    buildMax(taintMax, false);
    maxAff = prefs ? i32[affMax + 1]! : 0;
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
      if (i >= n) continue;
      const stamp = u32[nodes + (i << CN_SHIFT) + CN_STAMP]!;
      if (stamp === u32[versions + i]) continue;
      if (stamp !== 0) feasible += account(i, -1);
      refresh(i);
      feasible += account(i, 1);
      if (prefs) setMax(affMax, true, i, affLeaf(i));
      setMax(taintMax, false, i, avoidLeaf(i));
    }
    i32[meta + META_FEASIBLE] = feasible;
    const newAff = prefs ? i32[affMax + 1]! : 0;
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
    sync();
    const n = word(H_NODE_COUNT);
    count = n;
    const meta = p4(H_CLASS_META);
    nodes = p4(H_CLASS_STAMP);
    keys = (nodes + CN_KEY) >> 1;
    versions = p4(H_NODE_VERSION);
    hist = p4(H_CLASS_HIST);
    tree = p8(H_CLASS_TREE);
    affMax = p4(H_CLASS_AFF_MAX);
    taintMax = p4(H_CLASS_TAINT_MAX);
    leaves = word(H_TREE_LEAVES);
    wAffinity = word(H_W_AFFINITY);
    wTaint = word(H_W_TAINT);
    prefs = word(H_Q_PREF_COUNT) > 0;
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

  return scheduleIndexed;
}
