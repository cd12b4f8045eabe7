// Which PodDisruptionBudgets cover a pod, and whether disrupting it now would break one: the
// rules of kube-apiserver's eviction subresource (pkg/registry/core/pod/storage/eviction.go),
// kept here, beside the types, so that the eviction handler and the scheduler's preemption
// (which upstream also prefers victims whose eviction breaks no budget) decide alike.
// Pure functions over objects; the callers fetch the PDBs and write the results.
import type { Pod } from "../core/pod.ts";
import { isPodReady } from "../core/pod.ts";
import { selectorMatches } from "../selector.ts";
import {
  DISRUPTION_ALLOWED, INSUFFICIENT_PODS, SUFFICIENT_PODS,
  type MetaCondition, type PodDisruptionBudget, type PodDisruptionBudgetStatus,
} from "./poddisruptionbudget.ts";

/** Past this many unconfirmed evictions a budget refuses more (eviction.go's MaxDisruptedPodSize). */
export const MAX_DISRUPTED_POD_SIZE = 2000;

export const EVICTION_VIOLATES_BUDGET = "Cannot evict pod as it would violate the pod's disruption budget.";

/**
 * The budgets covering a pod for eviction: same namespace, a selector that matches its labels.
 * A budget with no selector or an empty one covers nothing here, as upstream's eviction says
 * ("if a PDB with a nil or empty selector creeps in, it should match nothing, not everything").
 */
export function pdbsCoveringPod(pod: Pod, pdbs: Iterable<PodDisruptionBudget>): PodDisruptionBudget[] {
  const out: PodDisruptionBudget[] = [];
  for (const pdb of pdbs) {
    if (pdb.metadata.namespace !== pod.metadata.namespace) continue;
    const sel = pdb.spec?.selector;
    if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) continue;
    if (selectorMatches(sel, pod.metadata.labels ?? {})) out.push(pdb);
  }
  return out;
}

/** Pods whose eviction needs no budget: already finished, not yet running, or already going. */
export function canIgnorePDB(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed" || phase === "Pending" || !!pod.metadata.deletionTimestamp;
}

export type EvictionVerdict =
  /** Evict; `decrement` when the budget's disruptionsAllowed must go down by one (and the pod be recorded in disruptedPods). */
  | { allowed: true; decrement: boolean }
  /** Refused with 429 TooManyRequests; `retryAfterSeconds` and a DisruptionBudget cause as upstream. */
  | { allowed: false; code: 429; message: string; cause: string; retryAfterSeconds: number }
  /** Refused with 403 Forbidden (a budget in a state no eviction may pass). */
  | { allowed: false; code: 403; message: string };

/**
 * Whether `pod` may be evicted under `pdb` now (checkAndDecrement and the unhealthy-pod policy).
 * An unready pod passes without spending the budget under AlwaysAllow, or under the default
 * IfHealthyBudget while the budget already has its desired healthy pods.
 */
export function evictionVerdict(pod: Pod, pdb: PodDisruptionBudget): EvictionVerdict {
  const status = pdb.status ?? { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  if (!isPodReady(pod)) {
    if (pdb.spec?.unhealthyPodEvictionPolicy === "AlwaysAllow") return { allowed: true, decrement: false };
    if (status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0) return { allowed: true, decrement: false };
  }
  const name = pdb.metadata.name;
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) {
    return { allowed: false, code: 429, message: EVICTION_VIOLATES_BUDGET, cause: `The disruption budget ${name} is still being processed by the server.`, retryAfterSeconds: 10 };
  }
  if (status.disruptionsAllowed < 0) return { allowed: false, code: 403, message: "pdb disruptions allowed is negative" };
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
    return { allowed: false, code: 403, message: "DisruptedPods map too big - too many evictions not confirmed by PDB controller" };
  }
  if (status.disruptionsAllowed === 0) {
    const cause = `The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`;
    return { allowed: false, code: 429, message: EVICTION_VIOLATES_BUDGET, cause, retryAfterSeconds: 0 };
  }
  return { allowed: true, decrement: true };
}

/** Whether evicting `pod` now would break one of the budgets in `pdbs` (for preemption's victim choice). */
export function evictionBreaksBudget(pod: Pod, pdbs: Iterable<PodDisruptionBudget>): boolean {
  if (canIgnorePDB(pod)) return false;
  return pdbsCoveringPod(pod, pdbs).some((pdb) => !evictionVerdict(pod, pdb).allowed);
}

/** The status after one eviction spent the budget: one disruption fewer, the pod recorded as disrupted at `now`. */
export function spendDisruption(status: PodDisruptionBudgetStatus, podName: string, now: string): PodDisruptionBudgetStatus {
  const next: PodDisruptionBudgetStatus = { ...status, disruptionsAllowed: status.disruptionsAllowed - 1, disruptedPods: { ...status.disruptedPods, [podName]: now } };
  if (next.disruptionsAllowed === 0) next.conditions = withDisruptionAllowedCondition(next, now);
  return next;
}

/** The conditions with DisruptionAllowed set from disruptionsAllowed (pdbhelper.UpdateDisruptionAllowedCondition). */
export function withDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, now: string, failed?: { reason: string; message: string }): MetaCondition[] {
  const allowed = status.disruptionsAllowed > 0 && !failed;
  const want = {
    type: DISRUPTION_ALLOWED,
    status: allowed ? ("True" as const) : ("False" as const),
    reason: failed?.reason ?? (allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS),
    message: failed?.message ?? "",
    observedGeneration: status.observedGeneration,
  };
  const others = (status.conditions ?? []).filter((c) => c.type !== DISRUPTION_ALLOWED);
  const old = (status.conditions ?? []).find((c) => c.type === DISRUPTION_ALLOWED);
  const lastTransitionTime = old && old.status === want.status ? old.lastTransitionTime : now;
  return [...others, { ...want, lastTransitionTime }];
}
