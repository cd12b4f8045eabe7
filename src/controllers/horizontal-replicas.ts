// The HPA's replica calculator (pkg/controller/podautoscaler/replica_calculator.go), pure: from
// the target's pods, their metrics and requests, the replica count a Resource metric asks for.
// Pods being deleted, failed or pending are ignored; pods without metrics count as using 100%
// of their request (or the target) on a scale-down and 0% on a scale-up; unready pods (cpu only)
// count as 0% on a scale-up; and a change within the tolerance (10%) is no change. All values are
// milli-units, as upstream (cpu in millicores, memory in milli-bytes).
import type { Pod } from "../apis/core/pod.ts";
import { podCondition } from "../apis/core/pod.ts";
import { quantityMilliValue } from "../apis/quantity.ts";

export const TOLERANCE = 0.1;
/** kube-controller-manager's --horizontal-pod-autoscaler-cpu-initialization-period and initial-readiness-delay. */
export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
export const INITIAL_READINESS_DELAY_MS = 30_000;

export interface PodMetric {
  /** milli-units */
  value: number;
  timestampMs: number;
  windowMs: number;
}

export type PodMetrics = Map<string, PodMetric>;

export class ReplicaCalculationError extends Error {}

interface Groups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

const timeOf = (t: string | undefined | null) => (t ? Date.parse(t) : NaN);

/** groupPods: which pods count, which are unready (cpu), which lack metrics, which are ignored. */
export function groupPods(pods: Pod[], metrics: PodMetrics, resource: string, nowMs: number): Groups {
  const g: Groups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name!;
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp || phase === "Failed" || phase === "Pending") {
      g.ignored.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === "cpu") {
      const ready = podCondition(pod, "Ready");
      const start = timeOf(pod.status?.startTime);
      let unready: boolean;
      if (!ready || Number.isNaN(start)) unready = true;
      else {
        const transition = timeOf(ready.lastTransitionTime);
        if (start + CPU_INITIALIZATION_PERIOD_MS > nowMs) {
          // Still starting: the sample must be of a ready pod and taken a whole window after it turned ready.
          unready = ready.status === "False" || metric.timestampMs < transition + metric.windowMs;
        } else {
          // Unready and never ready since it started: its usage says nothing yet.
          unready = ready.status === "False" && start + INITIAL_READINESS_DELAY_MS > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/** The sum of each pod's containers' requests of a resource, in milli-units; a container without one is an error. */
export function podRequests(pods: Pod[], resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      const req = c.resources?.requests?.[resource];
      if (req === undefined) throw new ReplicaCalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += quantityMilliValue(req);
    }
    out.set(pod.metadata.name!, sum);
  }
  return out;
}

/** GetResourceUtilizationRatio: the ratio of utilization (whole percent, as upstream truncates) to the target. */
export function utilizationRatio(metrics: PodMetrics, requests: Map<string, number>, target: number) {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const req = requests.get(name);
    if (req === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += req;
    n++;
  }
  if (requestsTotal === 0) throw new ReplicaCalculationError("no metrics returned matched known pods");
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(metricsTotal / n) };
}

/** GetMetricUsageRatio: the average per pod against a target average. */
export function usageRatio(metrics: PodMetrics, target: number) {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const average = Math.trunc(total / metrics.size);
  return { ratio: average / target, average };
}

export interface ResourceReplicas {
  replicas: number;
  /** Whole percent of the request (utilization targets only). */
  utilization?: number;
  /** Average usage per pod, milli-units. */
  rawAverage: number;
  timestampMs: number;
}

function oldestTimestamp(metrics: PodMetrics): number {
  let t = Infinity;
  for (const m of metrics.values()) t = Math.min(t, m.timestampMs);
  return Number.isFinite(t) ? t : 0;
}

/**
 * GetResourceReplicas (targetUtilization set) or GetRawResourceReplicas (targetAverage set):
 * the replicas for one Resource metric, given the current spec.replicas of the target.
 */
export function resourceReplicas(args: {
  currentReplicas: number;
  pods: Pod[];
  metrics: PodMetrics;
  resource: string;
  targetUtilization?: number;
  targetAverage?: number;
  nowMs: number;
  tolerance?: number;
}): ResourceReplicas {
  const { currentReplicas, pods, resource, nowMs } = args;
  const tolerance = args.tolerance ?? TOLERANCE;
  if (pods.length === 0) throw new ReplicaCalculationError("no pods returned by selector while calculating replica count");
  const metrics: PodMetrics = new Map(args.metrics);
  const timestampMs = oldestTimestamp(metrics);
  const g = groupPods(pods, metrics, resource, nowMs);
  for (const name of [...g.ignored, ...g.unready]) metrics.delete(name);
  if (metrics.size === 0) throw new ReplicaCalculationError("did not receive metrics for targeted pods (pods might be unready)");

  const utilizationTarget = args.targetUtilization;
  const requests = utilizationTarget !== undefined ? podRequests(pods, resource) : undefined;
  const ratioOf = (m: PodMetrics) => (requests ? utilizationRatio(m, requests, utilizationTarget!).ratio : usageRatio(m, args.targetAverage!).ratio);
  let utilization: number | undefined;
  let rawAverage: number;
  let ratio: number;
  if (requests) {
    const r = utilizationRatio(metrics, requests, utilizationTarget!);
    ({ ratio, utilization, rawAverage } = r);
  } else {
    const r = usageRatio(metrics, args.targetAverage!);
    ratio = r.ratio;
    rawAverage = r.average;
  }
  const result = (replicas: number): ResourceReplicas => ({ replicas, utilization, rawAverage, timestampMs });

  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1.0 - ratio) <= tolerance) return result(currentReplicas);
    return result(Math.ceil(ratio * g.readyPodCount));
  }
  if (g.missing.size > 0) {
    for (const name of g.missing) {
      let value = 0;
      if (ratio < 1.0) {
        // On a scale-down a pod without metrics counts as using all of its request (or the target).
        value = requests ? Math.trunc((requests.get(name)! * Math.max(100, utilizationTarget!)) / 100) : args.targetAverage!;
      }
      metrics.set(name, { value, timestampMs, windowMs: 0 });
    }
  }
  if (scaleUpWithUnready) for (const name of g.unready) metrics.set(name, { value: 0, timestampMs, windowMs: 0 });

  const newRatio = ratioOf(metrics);
  if (Math.abs(1.0 - newRatio) <= tolerance || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0)) return result(currentReplicas);
  const newReplicas = Math.ceil(newRatio * metrics.size);
  if ((newRatio < 1.0 && newReplicas > currentReplicas) || (newRatio > 1.0 && newReplicas < currentReplicas)) return result(currentReplicas);
  return result(newReplicas);
}
