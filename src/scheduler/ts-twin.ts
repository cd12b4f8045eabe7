// The TypeScript twin of the wasm scheduler core: wasm/assembly/_scan.ts (full scan), _filters.ts
// (filter chain and raw scores: ts-twin-filters.ts) and _class-index.ts (per-class incremental
// index: ts-twin-index.ts) translated line for line into TypeScript over typed-array views of the
// SAME linear memory and header (src/scheduler/layout.ts) that wasm-scorer.ts fills. It is a
// drop-in for the module's `schedule(header)` export (createWasmScorer's `core` option), so the
// bench can time the same algorithm on the same data in both languages: this file answers "what
// does wasm itself buy", which the object-based reference (ts-scorer.ts) cannot, since it also
// differs in algorithm. Not used by the running scheduler.
//
// Translation notes: byte pointers from the header index the views as ptr >> 2 (i32/u32) or
// ptr >> 3 (f64); i32 divisions truncate with `| 0`; u32 sequence arithmetic uses `>>> 0`. The
// module's scan also runs pairs of plain nodes through f64x2 lanes; that is the same arithmetic
// on two nodes at once (the wasm's own advantage), so the twin visits those nodes one by one.
import {
  H_LOG, H_LOG_MASK, H_NZ_CPU, H_NZ_MEM, H_OUT_REJECTED, H_PENDING, H_PENDING_COUNT, H_REJECT_LIST, H_REQ_CPU,
  H_REQ_EPH, H_REQ_MEM, H_REQ_PODS, PENDING_DOUBLES, H_OUT_LIST_SAME, REC_LIST, REC_WORDS,
  CN_AFF, CN_BASE, CN_OUTCOME, CN_SHIFT, CN_STAMP, CN_TAINT, H_CLASS_STAMP, H_CLASS_TABLE, H_OUT_RECORD, H_EXTRA_SCORES,
  H_GROUPS, H_NODE_COUNT, H_NODE_VERSION, H_OUT_FEASIBLE, H_OUT_SCORE, H_Q_PREF_COUNT, H_REASON_COUNT,
  H_REJECT, H_RNG, H_SCRATCH_AFF, H_SCRATCH_BASE, H_SCRATCH_IDX, H_SCRATCH_TAINT, H_STATE,
  H_TAINT_SCORING, H_TIE_RANDOM, H_W_AFFINITY, H_W_TAINT, NODE_PRESENT, OUTCOME_FEASIBLE,
} from "./layout.ts";
import { TwinMemory, createTwinFilters } from "./ts-twin-filters.ts";
import { createTwinClassKey } from "./ts-twin-class-key.ts";
import { createTwinGroups } from "./ts-twin-groups.ts";
import { createTwinIndex } from "./ts-twin-index.ts";
import type { SchedulerCore } from "./wasm-loader.ts";

/** schedule(header) and flush(header) over the module's memory, doing what the module's own exports do. */
export function createTsTwin({ memory }: { memory: WebAssembly.Memory }): SchedulerCore {
  const m = new TwinMemory(memory);
  const filters = createTwinFilters(m);
  const { last, evaluate, countRejection } = filters;
  const scheduleIndexed = createTwinIndex(m, filters);
  const groups = createTwinGroups(m, filters);
  const findClass = createTwinClassKey(m);
  let u8 = m.u8;
  let i32 = m.i32;
  let u32 = m.u32;
  let h = 0;
  const word = (field: number) => i32[h + field]!;
  const p4 = (field: number) => i32[h + field]! >> 2;

  // ---- _scan.ts: the full scan ----

  let state = 0;
  let reject = 0;
  let versions = 0;
  /** The class's node records (CN_* words per node slot), if it has them. */
  let nodes = 0;
  let cached = false;
  let twoPass = false;
  let random = false;
  let wTaint = 0;
  let scratchIdx = 0;
  let scratchBase = 0;
  let scratchAff = 0;
  let scratchTaint = 0;
  let extra = 0;
  let feasible = 0;
  let deferred = 0;
  let best = -1;
  let bestScore = -1;
  let ties = 0;
  let maxAff = 0;
  let maxTaint = 0;

  function nextRandom(): number {
    let x = i32[h + H_RNG]! >>> 0;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    i32[h + H_RNG] = x | 0;
    return x;
  }

  function offer(i: number, score: number): void {
    if (score > bestScore || (score === bestScore && best >= 0 && i < best)) { best = i; bestScore = score; }
  }

  function visit(i: number): void {
    const s = u8[state + i]!;
    if ((s & NODE_PRESENT) === 0) return;
    let outcome: number;
    let base: number;
    let aff = 0;
    let avoid = 0;
    const r = nodes + (i << CN_SHIFT);
    if (cached && u32[r + CN_STAMP] === u32[versions + i]) {
      outcome = i32[r + CN_OUTCOME]!;
      if (outcome !== OUTCOME_FEASIBLE) {
        countRejection(reject, outcome, 1);
        return;
      }
      base = i32[r + CN_BASE]!;
      if (twoPass) {
        aff = i32[r + CN_AFF]!;
        avoid = i32[r + CN_TAINT]!;
      }
    } else {
      outcome = evaluate(i, s);
      base = last.base;
      aff = last.affinity;
      avoid = last.avoid;
      if (cached) {
        u32[r + CN_STAMP] = u32[versions + i]!;
        i32[r + CN_OUTCOME] = outcome;
        i32[r + CN_BASE] = base;
        i32[r + CN_AFF] = aff;
        i32[r + CN_TAINT] = avoid;
      }
      if (outcome !== OUTCOME_FEASIBLE) {
        countRejection(reject, outcome, 1);
        return;
      }
    }
    feasible++;
    if (!twoPass || (!random && aff === 0 && avoid === 0)) {
      const score = base + wTaint * 100 + (extra !== 0 ? i32[extra + i]! : 0);
      if (score > bestScore) { best = i; bestScore = score; ties = 1; }
      else if (random && score === bestScore) { ties++; if (nextRandom() % ties === 0) best = i; }
      return;
    }
    if (aff > maxAff) maxAff = aff;
    if (avoid > maxTaint) maxTaint = avoid;
    i32[scratchIdx + deferred] = i;
    i32[scratchBase + deferred] = base;
    i32[scratchAff + deferred] = aff;
    i32[scratchTaint + deferred] = avoid;
    deferred++;
  }

  function scan(): number {
    const n = word(H_NODE_COUNT);
    state = word(H_STATE);
    reject = p4(H_REJECT);
    i32.fill(0, reject, reject + word(H_REASON_COUNT));
    versions = p4(H_NODE_VERSION);
    nodes = p4(H_CLASS_STAMP);
    cached = nodes !== 0;
    twoPass = word(H_Q_PREF_COUNT) > 0 || word(H_TAINT_SCORING) !== 0;
    random = word(H_TIE_RANDOM) !== 0;
    wTaint = word(H_W_TAINT);
    scratchIdx = p4(H_SCRATCH_IDX);
    scratchBase = p4(H_SCRATCH_BASE);
    scratchAff = p4(H_SCRATCH_AFF);
    scratchTaint = p4(H_SCRATCH_TAINT);
    extra = p4(H_EXTRA_SCORES);
    feasible = 0;
    deferred = 0;
    best = -1;
    bestScore = -1;
    ties = 0;
    maxAff = 0;
    maxTaint = 0;

    for (let i = 0; i < n; i++) visit(i);

    const wAffinity = word(H_W_AFFINITY);
    for (let k = 0; k < deferred; k++) {
      const aff = i32[scratchAff + k]!;
      const avoid = i32[scratchTaint + k]!;
      const affScore = aff === 0 ? 0 : ((100 * aff) / maxAff) | 0;
      const taintScore = avoid === 0 ? 100 : 100 - (((100 * avoid) / maxTaint) | 0);
      const i = i32[scratchIdx + k]!;
      const score = i32[scratchBase + k]! + wAffinity * affScore + wTaint * taintScore + (extra !== 0 ? i32[extra + i]! : 0);
      if (random) {
        if (score > bestScore) { best = i; bestScore = score; ties = 1; }
        else if (score === bestScore) { ties++; if (nextRandom() % ties === 0) best = i; }
      } else offer(i, score);
    }

    i32[h + H_OUT_SCORE] = bestScore;
    i32[h + H_OUT_FEASIBLE] = feasible;
    return best;
  }

  function choose(): number {
    if (word(H_CLASS_TABLE) !== 0 && word(H_EXTRA_SCORES) === 0) findClass();
    else {
      i32[h + H_CLASS_STAMP] = 0;
      i32[h + H_OUT_RECORD] = -1;
    }
    const simple = word(H_TIE_RANDOM) === 0 && word(H_EXTRA_SCORES) === 0;
    if (word(H_CLASS_STAMP) !== 0 && simple) return scheduleIndexed();
    if (word(H_CLASS_STAMP) === 0 && simple && word(H_GROUPS) !== 0 && groups.labelFree()) return groups.scanGroups();
    return scan();
  }

  // ---- _outputs.ts: the rejection list and the pending accounts ----

  function listRejections(): void {
    const reject = p4(H_REJECT);
    const n = word(H_REASON_COUNT);
    let out = p4(H_REJECT_LIST);
    let pairs = 0;
    for (let r = 0; r < n; r++) {
      const count = i32[reject + r]!;
      if (count === 0) continue;
      i32[out] = r;
      i32[out + 1] = count;
      out += 2;
      pairs++;
    }
    i32[h + H_OUT_REJECTED] = pairs;
    const record = i32[h + H_OUT_RECORD]!;
    let same = 0;
    if (record >= 0) {
      const prev = i32[p4(H_CLASS_TABLE) + record * REC_WORDS + REC_LIST]! >> 2;
      const list = p4(H_REJECT_LIST);
      if (i32[prev] === pairs && samePairs(prev + 1, list, pairs)) same = 1;
      else {
        i32[prev] = pairs;
        i32.copyWithin(prev + 1, list, list + 2 * pairs);
      }
    }
    i32[h + H_OUT_LIST_SAME] = same;
  }

  /** Whether `n` (reason, count) pairs at word indexes a and b are equal. */
  function samePairs(a: number, b: number, n: number): boolean {
    for (let k = 0; k < 2 * n; k += 2) if (i32[a + k] !== i32[b + k] || i32[a + k + 1] !== i32[b + k + 1]) return false;
    return true;
  }

  function schedule(ctx: number): number {
    serve(ctx);
    filters.sync();
    applyPending();
    const best = choose();
    listRejections();
    return best;
  }

  function applyPending(): void {
    const count = i32[h + H_PENDING_COUNT]!;
    if (count === 0) return;
    const f = m.f64;
    const versions = p4(H_NODE_VERSION);
    const log = p4(H_LOG);
    const mask = word(H_LOG_MASK);
    const reqCpu = i32[h + H_REQ_CPU]! >> 3;
    const reqMem = i32[h + H_REQ_MEM]! >> 3;
    const reqEph = i32[h + H_REQ_EPH]! >> 3;
    const reqPods = i32[h + H_REQ_PODS]! >> 3;
    const nzCpu = i32[h + H_NZ_CPU]! >> 3;
    const nzMem = i32[h + H_NZ_MEM]! >> 3;
    let e = i32[h + H_PENDING]! >> 3;
    for (let k = 0; k < count; k++, e += PENDING_DOUBLES) {
      const i = f[e]!;
      const sign = f[e + 1]!;
      u32[versions + i] = u32[versions + i]! + 1;
      i32[log + (f[e + 7]! & mask)] = i;
      f[reqCpu + i]! += sign * f[e + 2]!;
      f[reqMem + i]! += sign * f[e + 3]!;
      f[reqEph + i]! += sign * f[e + 4]!;
      f[reqPods + i]! += sign;
      f[nzCpu + i]! += sign * f[e + 5]!;
      f[nzMem + i]! += sign * f[e + 6]!;
    }
    i32[h + H_PENDING_COUNT] = 0;
  }

  function serve(ctx: number): void {
    m.serve(ctx);
    u8 = m.u8;
    i32 = m.i32;
    u32 = m.u32;
    h = m.h;
  }

  function flush(ctx: number): void {
    serve(ctx);
    applyPending();
  }

  return { schedule, flush };
}
