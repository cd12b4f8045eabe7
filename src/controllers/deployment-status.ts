// The deployment's Progressing condition (progress.go, sync.go): created / found / updated /
// available / timed out / paused / resumed, with kube's reasons and messages, which is what
// `kubectl rollout status` reads to say a rollout finished or exceeded its deadline.
import type { Deployment, DeploymentCondition, DeploymentStatus } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import { condition, deploymentComplete, deploymentProgressing, newCondition, progressDeadlineIn, removeCondition, rsName, setCondition } from "./deployment-util.ts";

const NO_DEADLINE = 2147483647;

export const hasProgressDeadline = (d: Deployment): boolean =>
  d.spec?.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== NO_DEADLINE;

/** Replaces the condition, keeping lastTransitionTime while its status holds (lastUpdateTime moves). */
function replaceCondition(status: DeploymentStatus, c: DeploymentCondition): DeploymentStatus {
  const old = condition({ status }, c.type);
  const next = old && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  return { ...status, conditions: [...(status.conditions ?? []).filter((x) => x.type !== c.type), next] };
}

/**
 * syncRolloutStatus: given the freshly counted status, marks the rollout complete, progressing
 * or timed out, and says when to look again for the deadline (requeueIn, ms).
 */
export function syncRolloutStatus(
  d: Deployment,
  counted: DeploymentStatus,
  newRS: ReplicaSet | undefined,
  now: Date,
): { status: DeploymentStatus; requeueIn?: number } {
  if (!hasProgressDeadline(d)) return { status: removeCondition(counted, "Progressing") };
  let status = counted;
  const current = condition({ status }, "Progressing");
  const complete = status.replicas === status.updatedReplicas && current?.reason === "NewReplicaSetAvailable";
  if (!complete) {
    const name = newRS ? `ReplicaSet "${rsName(newRS)}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, status)) {
      status = setCondition(status, newCondition("Progressing", "True", "NewReplicaSetAvailable", `${name} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      status = replaceCondition(status, newCondition("Progressing", "True", "ReplicaSetUpdated", `${name} is progressing.`, now));
    } else if (timedOut(d, status, now)) {
      status = setCondition(status, newCondition("Progressing", "False", "ProgressDeadlineExceeded", `${name} has timed out progressing.`, now));
    }
  }
  return { status, requeueIn: progressDeadlineIn(d, status, now) };
}

/** DeploymentTimedOut: no progress since the Progressing condition last moved, for longer than the deadline. */
function timedOut(d: Deployment, status: DeploymentStatus, now: Date): boolean {
  const c = condition({ status }, "Progressing");
  if (!c) return false;
  if (c.reason === "ProgressDeadlineExceeded") return true;
  const left = progressDeadlineIn(d, status, now);
  return left !== undefined && left <= 0;
}

/** checkPausedConditions: Progressing=Unknown while paused (the deadline stops), DeploymentResumed after. */
export function withPausedCondition(d: Deployment, status: DeploymentStatus, now: Date): DeploymentStatus {
  if (!hasProgressDeadline(d)) return status;
  const c = condition({ status }, "Progressing");
  if (c?.reason === "ProgressDeadlineExceeded") return status;
  const pausedNoted = c?.reason === "DeploymentPaused";
  if (d.spec?.paused && !pausedNoted) return setCondition(status, newCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now));
  if (!d.spec?.paused && pausedNoted) return setCondition(status, newCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now));
  return status;
}

/** Whether writing `next` would change the stored status. */
export function statusChanged(stored: DeploymentStatus | undefined, next: DeploymentStatus): boolean {
  const norm = (s: DeploymentStatus | undefined) => {
    const { conditions, ...rest } = s ?? {};
    const counts = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== 0));
    return { ...counts, conditions: [...(conditions ?? [])].sort((a, b) => (a.type < b.type ? -1 : 1)) };
  };
  return !Bun.deepEquals(norm(stored), norm(next));
}
