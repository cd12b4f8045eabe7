// The status of a PodDisruptionBudget as a pure function of the budget, its pods and their
// controllers' scale (pkg/controller/disruption: getExpectedPodCount, countHealthyPods,
// buildDisruptedPodMap). The controller (disruption.ts) feeds it from informer caches; tests
// call it with plain objects.
import type { KubeObject, OwnerReference } from "../apis/meta.ts";
import { type Pod, isPodReady } from "../apis/core/pod.ts";
import { selectorMatches } from "../apis/selector.ts";
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from "../apis/policy/poddisruptionbudget.ts";
import { SYNC_FAILED } from "../apis/policy/poddisruptionbudget.ts";
import { withDisruptionAllowedCondition } from "../apis/policy/disruption.ts";
import { formatTime } from "../apis/time.ts";
import { controllerRef } from "./controller-utils.ts";
import { scaledValue } from "./deployment-util.ts";

/** How long an eviction may stay unconfirmed before its pod counts again (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/** A controller's desired replicas: found by its owner reference (the finders upstream). */
export interface ScaleFinder {
  /** uid and replicas of the controller that owns pods through `ref`, or undefined when none is found. */
  (namespace: string, ref: OwnerReference): { uid: string; replicas: number } | undefined;
}

/** The pods a budget counts: its namespace, its selector (an empty one selects all, none selects none). */
export function podsForPdb(pdb: PodDisruptionBudget, pods: Iterable<Pod>): Pod[] {
  const sel = pdb.spec?.selector;
  if (!sel) return [];
  const out: Pod[] = [];
  for (const p of pods) if (p.metadata.namespace === pdb.metadata.namespace && selectorMatches(sel, p.metadata.labels ?? {})) out.push(p);
  return out;
}

export class ExpectedScaleError extends Error {}

/** The sum of the pods' controllers' replicas, each controller once; pods without one are skipped and counted. */
export function expectedScale(pdb: PodDisruptionBudget, pods: Pod[], find: ScaleFinder): { expected: number; unmanaged: string[] } {
  const seen = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerRef(pod as KubeObject);
    if (!ref) {
      unmanaged.push(pod.metadata.name!);
      continue;
    }
    const found = find(pdb.metadata.namespace!, ref);
    if (!found) throw new ExpectedScaleError(`found no controllers for pod "${pod.metadata.name}"`);
    seen.set(found.uid, found.replicas);
  }
  let expected = 0;
  for (const n of seen.values()) expected += n;
  return { expected, unmanaged };
}

/** expectedPods and desiredHealthy from minAvailable / maxUnavailable (getExpectedPodCount). */
export function expectedPodCount(pdb: PodDisruptionBudget, pods: Pod[], find: ScaleFinder): { expected: number; desired: number; unmanaged: string[] } {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expected, unmanaged } = expectedScale(pdb, pods, find);
    const desired = Math.max(0, expected - scaledValue(maxUnavailable, expected, true));
    return { expected, desired, unmanaged };
  }
  if (typeof minAvailable === "number") return { expected: pods.length, desired: minAvailable, unmanaged: [] };
  if (typeof minAvailable === "string") {
    const { expected, unmanaged } = expectedScale(pdb, pods, find);
    return { expected, desired: scaledValue(minAvailable, expected, true), unmanaged };
  }
  return { expected: 0, desired: 0, unmanaged: [] };
}

/**
 * The disruptedPods still pending (evicted, not yet seen deleted, within the timeout) and when
 * the earliest of them expires, so the controller looks again then.
 */
export function pendingDisruptions(pdb: PodDisruptionBudget, pods: Pod[], now: Date): { kept: Record<string, string>; recheckAt?: number } {
  const recorded = pdb.status?.disruptedPods ?? {};
  const kept: Record<string, string> = {};
  let recheckAt: number | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = recorded[pod.metadata.name!];
    if (at === undefined) continue;
    const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (Number.isNaN(expires) || expires < now.getTime()) continue;
    kept[pod.metadata.name!] = at;
    recheckAt = Math.min(recheckAt ?? expires, expires);
  }
  return { kept, recheckAt };
}

export function countHealthy(pods: Pod[], disrupted: Record<string, string>): number {
  return pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disrupted) && isPodReady(p)).length;
}

export interface PdbSync {
  status: PodDisruptionBudgetStatus;
  /** When to sync again (an unconfirmed eviction times out then), epoch ms. */
  recheckAt?: number;
  /** Pods selected but owned by no controller (an UnmanagedPods event upstream). */
  unmanaged: string[];
  /** Why the expected count could not be computed: the status then allows nothing. */
  failure?: string;
}

/** The budget's next status (updatePdbStatus, or failSafe when the expected count cannot be computed). */
export function computePdbStatus(pdb: PodDisruptionBudget, allPods: Iterable<Pod>, find: ScaleFinder, now: Date): PdbSync {
  const pods = podsForPdb(pdb, allPods);
  const old = pdb.status ?? { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  const stamp = formatTime(now);
  let counts: ReturnType<typeof expectedPodCount>;
  try {
    counts = expectedPodCount(pdb, pods, find);
  } catch (err) {
    if (!(err instanceof ExpectedScaleError)) throw err;
    const status = { ...old, disruptionsAllowed: 0 };
    status.conditions = withDisruptionAllowedCondition(status, stamp, { reason: SYNC_FAILED, message: err.message });
    return { status, unmanaged: [], failure: err.message };
  }
  const { kept, recheckAt } = pendingDisruptions(pdb, pods, now);
  const currentHealthy = countHealthy(pods, kept);
  const status: PodDisruptionBudgetStatus = {
    ...old,
    observedGeneration: pdb.metadata.generation,
    disruptedPods: kept,
    disruptionsAllowed: Math.max(0, currentHealthy - counts.desired),
    currentHealthy,
    desiredHealthy: counts.desired,
    expectedPods: counts.expected,
  };
  if (Object.keys(kept).length === 0) delete status.disruptedPods;
  if (status.observedGeneration === undefined) delete status.observedGeneration;
  status.conditions = withDisruptionAllowedCondition(status, stamp);
  return { status, recheckAt, unmanaged: counts.unmanaged };
}

/** How long a DisruptionTarget condition may stand on a pod that is not going away (stalePodDisruptionTimeout). */
export const STALE_DISRUPTION_MS = 2 * 60 * 1000;

/**
 * For a live, non-terminal pod marked DisruptionTarget=True by an eviction or preemption whose
 * delete never came: how long until the mark is stale (0: now). Undefined when there is nothing
 * to clean (kubelet's own marks, reason TerminationByKubelet, are never stale).
 */
export function staleDisruptionWait(pod: Pod, now: Date): number | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return undefined;
  const cond = pod.status?.conditions?.find((c) => c.type === "DisruptionTarget");
  if (!cond || cond.status !== "True" || cond.reason === "TerminationByKubelet") return undefined;
  const since = Date.parse(cond.lastTransitionTime ?? "");
  return Math.max(0, (Number.isNaN(since) ? 0 : since) + STALE_DISRUPTION_MS - now.getTime());
}
