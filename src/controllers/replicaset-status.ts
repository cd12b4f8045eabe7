// The replicaset controller's pure decisions: its status from the pods it owns, which pods go
// first when scaling down (kube's ActivePods order), and when a ready pod will turn available.
import type { Pod } from "../apis/core/pod.ts";
import { isPodReady } from "../apis/core/pod.ts";
import type { ReplicaSet, ReplicaSetStatus } from "../apis/apps/replicaset.ts";
import { selectorMatches } from "../apis/selector.ts";
import { isPodAvailable, readySince } from "./controller-utils.ts";
import { formatTime } from "../apis/time.ts";

type Condition = NonNullable<ReplicaSetStatus["conditions"]>[number];

/**
 * The status of `rs` given the active pods it controls. A failed create/delete (manageError)
 * sets ReplicaFailure=True; success clears it (calculateStatus in replica_set_utils.go).
 */
export function calculateReplicaSetStatus(rs: ReplicaSet, pods: Pod[], manageError: Error | undefined, now: Date): ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (selectorMatches({ matchLabels: templateLabels }, pod.metadata.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  let conditions = (rs.status?.conditions ?? []).filter((c) => c.type !== "ReplicaFailure");
  const oldFailure = rs.status?.conditions?.find((c) => c.type === "ReplicaFailure");
  if (manageError) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? "FailedCreate" : "FailedDelete";
    const failure: Condition = oldFailure && oldFailure.reason === reason && oldFailure.message === manageError.message
      ? oldFailure
      : { type: "ReplicaFailure", status: "True", lastTransitionTime: formatTime(now), reason, message: manageError.message };
    conditions = [...conditions, failure];
  }
  return {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation ?? rs.status?.observedGeneration,
    ...(conditions.length ? { conditions } : {}),
  };
}

/** Whether two statuses say the same thing (a write would change nothing). */
export function sameReplicaSetStatus(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  if (!a) return false;
  const n = (v: number | undefined) => v ?? 0;
  return (
    n(a.replicas) === n(b.replicas) &&
    n(a.fullyLabeledReplicas) === n(b.fullyLabeledReplicas) &&
    n(a.readyReplicas) === n(b.readyReplicas) &&
    n(a.availableReplicas) === n(b.availableReplicas) &&
    a.observedGeneration === b.observedGeneration &&
    Bun.deepEquals(a.conditions ?? [], b.conditions ?? [])
  );
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

const restarts = (pod: Pod) => (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
const created = (pod: Pod) => Date.parse(pod.metadata.creationTimestamp ?? "") || 0;

/**
 * controller.ActivePods' Less: the pod that should be deleted first sorts first — unscheduled
 * before scheduled, pending before unknown before running, not ready before ready, ready for
 * less time first, more restarts first, newer first.
 */
export function deletionOrder(a: Pod, b: Pod): number {
  const assigned = (p: Pod) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: Pod) => PHASE_RANK[p.status?.phase ?? "Pending"] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (p: Pod) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (ready(a)) {
    const sa = readySince(a) ?? 0;
    const sb = readySince(b) ?? 0;
    if (sa !== sb) return sb - sa;
  }
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  if (created(a) !== created(b)) return created(b) - created(a);
  return (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1;
}

/** The `count` pods to delete first. */
export const podsToDelete = (pods: Pod[], count: number): Pod[] => [...pods].sort(deletionOrder).slice(0, Math.max(0, count));

/** Milliseconds until the next ready pod becomes available, if one is waiting on minReadySeconds. */
export function nextAvailabilityCheck(pods: Pod[], minReadySeconds: number, now: Date): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let soonest: number | undefined;
  for (const pod of pods) {
    const since = readySince(pod);
    if (since === undefined) continue;
    const wait = since + minReadySeconds * 1000 - now.getTime();
    if (wait > 0 && (soonest === undefined || wait < soonest)) soonest = wait;
  }
  return soonest;
}
