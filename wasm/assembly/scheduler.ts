// Scheduler filter+score core (AssemblyScript). The TypeScript side (src/scheduler/wasm-scorer.ts)
// owns the memory layout: node state as struct-of-arrays, the per-pod query program, the change
// log and the per-class caches, all described by a header of i32 words (src/scheduler/layout.ts).
// One call to schedule() picks the node for one pod; only integer/float work happens here, every
// string has been interned on the TypeScript side. src/scheduler/ts-scorer.ts is the reference:
// any change here must keep the two choosing the same node (see property.test.ts), and
// src/scheduler/ts-twin.ts is this module line for line in TypeScript (the bench's baseline).
//
// Why the incremental path (_class-index.ts) equals a full scan (_scan.ts): a node's filter
// outcome and raw scores for one pod class depend only on that node's state, and every change of
// that state bumps its version and lands in the change log, so after replaying the log the
// class's stored per-node results, histogram, feasible count and maxima are exactly those a scan
// would compute now. The combined score of each feasible node is then the same integer formula
// (recomputed for all nodes whenever a normalisation maximum moves), and the tournament tree's
// root is the maximum score with the lowest index among equals, which is the node the scan keeps.
//
// A pod without an index whose checks read no label (_groups.ts) is scanned over equivalence
// groups of nodes rather than node by node, with the same result.
import {
  H_CLASS_STAMP, H_CLASS_TABLE, H_EXTRA_SCORES, H_GROUPS, H_OUT_RECORD, H_TIE_RANDOM,
} from "../../src/scheduler/layout";
import { scheduleIndexed } from "./_class-index";
import { findClass } from "./_class-key";
import { ptr, word } from "./_filters";
import { labelFree, scanGroups } from "./_groups";
import { applyPending, listRejections } from "./_outputs";
import { scan } from "./_scan";

/** Applies the pods assumed or forgotten since the last call (before the TypeScript side changes a node). */
export function flush(ctx: usize): void {
  applyPending(ctx);
}

/** Where the TypeScript side may start allocating. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Applies the pods assumed since the last call, then filters and scores every node for the pod
 * described in the header; returns the chosen node index or -1, with the rejection histogram (and
 * its non-zero entries as a list), best score and feasible count in the header.
 */
export function schedule(ctx: usize): i32 {
  applyPending(ctx);
  const best = choose(ctx);
  listRejections(ctx);
  return best;
}

function choose(ctx: usize): i32 {
  // The pod's class (a pod with plugin scores of its own has none).
  if (ptr(ctx, H_CLASS_TABLE) != 0 && ptr(ctx, H_EXTRA_SCORES) == 0) findClass(ctx);
  else {
    store<i32>(ctx + (<usize>H_CLASS_STAMP << 2), 0);
    store<i32>(ctx + (<usize>H_OUT_RECORD << 2), -1);
  }
  const simple = word(ctx, H_TIE_RANDOM) == 0 && ptr(ctx, H_EXTRA_SCORES) == 0;
  if (ptr(ctx, H_CLASS_STAMP) != 0 && simple) return scheduleIndexed(ctx);
  if (ptr(ctx, H_CLASS_STAMP) == 0 && simple && ptr(ctx, H_GROUPS) != 0 && labelFree(ctx)) return scanGroups(ctx);
  return scan(ctx);
}
