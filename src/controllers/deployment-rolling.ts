// How many replicas each of a deployment's replicasets should have next (rolling.go, recreate.go,
// sync.go's scale): pure plans over the replicasets' spec and status. The controller applies a
// plan by scaling replicasets and comes back when their pods change.
import type { Deployment } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import { DESIRED_REPLICAS, MAX_REPLICAS, podsAtMost, resolveFenceposts, specReplicas } from "./deployment-util.ts";

/** Target replicas by replicaset name; replicasets not named keep theirs. */
export type ScalePlan = Map<string, number>;

const replicasOf = (rs: ReplicaSet | undefined) => rs?.spec?.replicas ?? 0;
const createdAt = (rs: ReplicaSet) => Date.parse(rs.metadata.creationTimestamp ?? "") || 0;
/** Oldest first; ties by name so plans are deterministic. */
const oldestFirst = (a: ReplicaSet, b: ReplicaSet) => createdAt(a) - createdAt(b) || ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1);

/**
 * NewRSNewReplicas for RollingUpdate: grow the new replicaset while the pods that may exist
 * stay within replicas + maxSurge. Counting each replicaset's pods as max(spec, status) keeps
 * the surge honest while an old replicaset's surplus pods are still being deleted.
 */
export function rollingNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): number {
  const desired = d.spec?.replicas ?? 1;
  const current = replicasOf(newRS);
  if (current >= desired) return desired;
  const { maxSurge } = resolveFenceposts(d);
  const others = allRSs.filter((rs) => rs.metadata.name !== newRS?.metadata.name);
  const pods = podsAtMost(others) + Math.max(current, newRS?.status?.replicas ?? 0);
  const room = desired + maxSurge - pods;
  if (room <= 0) return current;
  return current + Math.min(room, desired - current);
}

/**
 * reconcileOldReplicaSets: shrink old replicasets without letting availability fall below
 * replicas − maxUnavailable. Unhealthy replicas go first (they cost no availability), then
 * available ones, oldest replicaset first.
 */
export function rollingOldScaleDown(d: Deployment, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet | undefined): ScalePlan {
  const plan: ScalePlan = new Map();
  if (specReplicas(oldRSs) === 0) return plan;
  const desired = d.spec?.replicas ?? 1;
  const { maxUnavailable } = resolveFenceposts(d);
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = Math.max(0, replicasOf(newRS) - (newRS?.status?.availableReplicas ?? 0));
  const maxScaledDown = specReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return plan;

  const sorted = oldRSs.filter((rs) => replicasOf(rs) > 0).sort(oldestFirst);
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
    if (unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    plan.set(rs.metadata.name!, replicasOf(rs) - down);
    cleaned += down;
  }

  // A replicaset's status may still count pods it has been told to drop: trust at most its spec.
  const target = (rs: ReplicaSet) => plan.get(rs.metadata.name!) ?? replicasOf(rs);
  const available = allRSs.reduce((n, rs) => n + Math.min(rs.status?.availableReplicas ?? 0, target(rs)), 0);
  let total = Math.min(available - minAvailable, maxScaledDown - cleaned);
  for (const rs of sorted) {
    if (total <= 0) break;
    const down = Math.min(target(rs), total);
    if (down <= 0) continue;
    plan.set(rs.metadata.name!, target(rs) - down);
    total -= down;
  }
  return plan;
}

/** IsSaturated: the new replicaset holds every replica, all of them available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = d.spec?.replicas ?? 1;
  return replicasOf(rs) === desired && rs.metadata.annotations?.[DESIRED_REPLICAS] === String(desired) && (rs.status?.availableReplicas ?? 0) === desired;
}

/** isScalingEvent: some active replicaset was sized for a different spec.replicas. */
export function isScalingEvent(d: Deployment, allRSs: ReplicaSet[]): boolean {
  const desired = String(d.spec?.replicas ?? 1);
  return allRSs.some((rs) => replicasOf(rs) > 0 && rs.metadata.annotations?.[DESIRED_REPLICAS] !== undefined && rs.metadata.annotations[DESIRED_REPLICAS] !== desired);
}

/**
 * scale() in sync.go: a new spec.replicas mid-rollout is spread over the active replicasets in
 * proportion to their size, so neither the old nor the new template gains from the resize.
 */
export function proportionalScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ScalePlan {
  const plan: ScalePlan = new Map();
  const desired = d.spec?.replicas ?? 1;
  const all = [...(newRS ? [newRS] : []), ...oldRSs];
  const active = all.filter((rs) => replicasOf(rs) > 0);
  // One active replicaset (or none: the newest) simply takes every replica.
  const single = active.length === 1 ? active[0] : active.length === 0 ? (newRS ?? [...oldRSs].sort(oldestFirst).at(-1)) : undefined;
  if (single || active.length === 0) {
    if (single && replicasOf(single) !== desired) plan.set(single.metadata.name!, desired);
    return plan;
  }
  if (isSaturated(d, newRS)) {
    for (const rs of oldRSs) if (replicasOf(rs) > 0) plan.set(rs.metadata.name!, 0);
    return plan;
  }
  const { maxSurge } = resolveFenceposts(d);
  const allowed = desired > 0 ? desired + maxSurge : 0;
  const toAdd = allowed - specReplicas(active);
  if (toAdd === 0) return plan;
  // Growing: largest first; shrinking: smallest first. Newer wins ties.
  const sorted = [...active].sort((a, b) => (toAdd > 0 ? replicasOf(b) - replicasOf(a) : replicasOf(a) - replicasOf(b)) || createdAt(b) - createdAt(a));
  let added = 0;
  for (const rs of sorted) {
    const annotated = Number.parseInt(rs.metadata.annotations?.[MAX_REPLICAS] ?? "", 10) || specReplicas(active);
    const proportion = desired === 0 ? -replicasOf(rs) : Math.round((replicasOf(rs) * allowed) / annotated) - replicasOf(rs);
    const step = toAdd > 0 ? Math.min(proportion, toAdd - added) : Math.max(proportion, toAdd - added);
    plan.set(rs.metadata.name!, replicasOf(rs) + step);
    added += step;
  }
  // Rounding leftovers go to the largest replicaset.
  const first = sorted[0]!;
  if (added !== toAdd) plan.set(first.metadata.name!, Math.max(0, plan.get(first.metadata.name!)! + toAdd - added));
  return plan;
}

/** Recreate: every old replicaset to zero first; the new one only once no old pod runs. */
export function recreateOldScaleDown(oldRSs: ReplicaSet[]): ScalePlan {
  return new Map(oldRSs.filter((rs) => replicasOf(rs) > 0).map((rs) => [rs.metadata.name!, 0]));
}
