// Scheduler filter+score core (AssemblyScript). The TypeScript side (src/scheduler/wasm-scorer.ts)
// owns the memory layout: node state as struct-of-arrays, the per-pod query program, the change
// log and the per-class caches, all described by a header of i32 words (src/scheduler/layout.ts).
// One call to schedule() picks the node for one pod; only integer/float work happens here, every
// string has been interned on the TypeScript side. src/scheduler/ts-scorer.ts is the reference:
// any change here must keep the two choosing the same node (see property.test.ts).
//
// Why the incremental path (_class-index.ts) equals a full scan: a node's filter outcome and raw
// scores for one pod class depend only on that node's state, and every change of that state bumps
// its version and lands in the change log, so after replaying the log the class's stored per-node
// results, histogram, feasible count and maxima are exactly those a scan would compute now. The
// combined score of each feasible node is then the same integer formula (recomputed for all
// nodes whenever a normalisation maximum moves), and the tournament tree's root is the maximum
// score with the lowest index among equals, which is the node `score > bestScore` keeps.
import {
  H_NODE_COUNT, H_STATE, H_REJECT, H_REASON_COUNT, H_SCRATCH_IDX, H_SCRATCH_BASE, H_SCRATCH_AFF,
  H_SCRATCH_TAINT, H_W_AFFINITY, H_W_TAINT, H_TIE_RANDOM, H_RNG, H_TAINT_SCORING, H_Q_PREF_COUNT,
  H_OUT_SCORE, H_OUT_FEASIBLE, NODE_PRESENT, H_NODE_VERSION, H_CLASS_STAMP, H_CLASS_OUTCOME,
  H_CLASS_BASE, H_CLASS_AFF, H_CLASS_TAINT, OUTCOME_FEASIBLE, H_EXTRA_SCORES,
} from "../../src/scheduler/layout";
import { scheduleIndexed } from "./_class-index";
import { countRejection, evalAffinity, evalAvoid, evalBase, evaluate, i32At, ptr, word } from "./_filters";

/** Where the TypeScript side may start allocating. */
export function heapBase(): usize {
  return __heap_base;
}

/** xorshift32, mirrored by src/scheduler/tie-break.ts. */
function nextRandom(ctx: usize): u32 {
  let x = <u32>word(ctx, H_RNG);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  store<u32>(ctx + (<usize>H_RNG << 2), x);
  return x;
}


/**
 * The full scan: filters then scores every node slot. With the equivalence cache on, a node whose
 * version is unchanged since this pod class last saw it reuses the stored outcome and raw scores
 * (kube-scheduler once had the same cache). Serves random tie-breaking, whose reservoir sampling
 * draws one number per tie in index order, and scorers without the cache.
 */
function scan(ctx: usize): i32 {
  const n = word(ctx, H_NODE_COUNT);
  const state = ptr(ctx, H_STATE);
  const reject = ptr(ctx, H_REJECT);
  memory.fill(reject, 0, <usize>word(ctx, H_REASON_COUNT) << 2);

  const versions = ptr(ctx, H_NODE_VERSION);
  const stamps = ptr(ctx, H_CLASS_STAMP);
  const cached = stamps != 0;
  const outcomes = ptr(ctx, H_CLASS_OUTCOME);
  const bases = ptr(ctx, H_CLASS_BASE);
  const affs = ptr(ctx, H_CLASS_AFF);
  const avoids = ptr(ctx, H_CLASS_TAINT);

  // Normalised scores need the maximum over feasible nodes first: only then two passes.
  const twoPass = word(ctx, H_Q_PREF_COUNT) > 0 || word(ctx, H_TAINT_SCORING) != 0;
  const wAffinity = word(ctx, H_W_AFFINITY);
  const wTaint = word(ctx, H_W_TAINT);
  const random = word(ctx, H_TIE_RANDOM) != 0;
  const scratchIdx = ptr(ctx, H_SCRATCH_IDX);
  const scratchBase = ptr(ctx, H_SCRATCH_BASE);
  const scratchAff = ptr(ctx, H_SCRATCH_AFF);
  const scratchTaint = ptr(ctx, H_SCRATCH_TAINT);
  const extra = ptr(ctx, H_EXTRA_SCORES);

  let feasible = 0;
  let best = -1;
  let bestScore = -1;
  let ties: u32 = 0;
  let maxAff = 0;
  let maxTaint = 0;

  for (let i = 0; i < n; i++) {
    const s = load<u8>(state + <usize>i);
    if ((s & NODE_PRESENT) == 0) continue;
    const at = <usize>i << 2;
    let outcome: i32;
    let base: i32;
    let aff = 0;
    let avoid = 0;
    if (cached && load<u32>(stamps + at) == load<u32>(versions + at)) {
      outcome = load<i32>(outcomes + at);
      if (outcome != OUTCOME_FEASIBLE) {
        countRejection(reject, outcome, 1);
        continue;
      }
      base = load<i32>(bases + at);
      if (twoPass) {
        aff = load<i32>(affs + at);
        avoid = load<i32>(avoids + at);
      }
    } else {
      outcome = evaluate(ctx, i, s);
      base = evalBase;
      aff = evalAffinity;
      avoid = evalAvoid;
      if (cached) {
        store<u32>(stamps + at, load<u32>(versions + at));
        store<i32>(outcomes + at, outcome);
        store<i32>(bases + at, base);
        store<i32>(affs + at, aff);
        store<i32>(avoids + at, avoid);
      }
      if (outcome != OUTCOME_FEASIBLE) {
        countRejection(reject, outcome, 1);
        continue;
      }
    }
    if (twoPass) {
      if (aff > maxAff) maxAff = aff;
      if (avoid > maxTaint) maxTaint = avoid;
      const k = <usize>feasible << 2;
      store<i32>(scratchIdx + k, i);
      store<i32>(scratchBase + k, base);
      store<i32>(scratchAff + k, aff);
      store<i32>(scratchTaint + k, avoid);
    } else {
      // No preferred terms and no avoidable taints: affinity normalises to 0, taints to 100.
      const score = base + wTaint * 100 + (extra != 0 ? load<i32>(extra + at) : 0);
      if (score > bestScore) { best = i; bestScore = score; ties = 1; }
      else if (random && score == bestScore) { ties++; if (nextRandom(ctx) % ties == 0) best = i; }
    }
    feasible++;
  }

  if (twoPass) {
    for (let k = 0; k < feasible; k++) {
      const aff = i32At(scratchAff, k);
      const avoid = i32At(scratchTaint, k);
      // DefaultNormalizeScore; most nodes have raw 0 and skip the division.
      const affScore = aff == 0 ? 0 : (100 * aff) / maxAff;
      const taintScore = avoid == 0 ? 100 : 100 - (100 * avoid) / maxTaint;
      const i = i32At(scratchIdx, k);
      const score = i32At(scratchBase, k) + wAffinity * affScore + wTaint * taintScore + (extra != 0 ? load<i32>(extra + (<usize>i << 2)) : 0);
      if (score > bestScore) { best = i; bestScore = score; ties = 1; }
      else if (random && score == bestScore) { ties++; if (nextRandom(ctx) % ties == 0) best = i; }
    }
  }

  store<i32>(ctx + (<usize>H_OUT_SCORE << 2), bestScore);
  store<i32>(ctx + (<usize>H_OUT_FEASIBLE << 2), feasible);
  return best;
}

/**
 * Filters then scores every node for the pod described in the header; returns the chosen node
 * index or -1, with the rejection histogram, best score and feasible count in the header.
 */
export function schedule(ctx: usize): i32 {
  if (ptr(ctx, H_CLASS_STAMP) != 0 && word(ctx, H_TIE_RANDOM) == 0 && ptr(ctx, H_EXTRA_SCORES) == 0) return scheduleIndexed(ctx);
  return scan(ctx);
}
