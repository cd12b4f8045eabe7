// String-level predicates with kube-scheduler's semantics. The TS reference evaluates them per
// node; the wasm encoder evaluates the taint ones once per pod against the interned taint table.
import { toleratedBy } from "../apis/core/taints.ts";
import type { Taint, Toleration } from "./types.ts";

// Toleration and node-affinity matching are core/v1's (src/apis/core), shared with node eviction
// and the DaemonSet controller, which decide the same questions about a node.
export { firstUntoleratedTaint, toleratedBy, toleratesTaint } from "../apis/core/taints.ts";
export { isEmptyTerm, matchesField, matchesNodeSelector, matchesRequirement, matchesTerm, parseLabelInt } from "../apis/core/node-affinity.ts";

export const UNSCHEDULABLE_TAINT: Taint = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" };

/** TaintToleration Score input: PreferNoSchedule taints the pod does not tolerate. */
export function countAvoidableTaints(taints: Taint[], tolerations: Toleration[]): number {
  let n = 0;
  for (const taint of taints) if (taint.effect === "PreferNoSchedule" && !toleratedBy(tolerations, taint)) n++;
  return n;
}

export function taintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`;
}

