// autoscaling/v1 HorizontalPodAutoscaler, served by converting to and from the stored
// autoscaling/v2 form (pkg/apis/autoscaling/v1/conversion.go): v1 holds only a CPU utilization
// target, so what v2 says beyond it — other metrics, behavior, current metrics, conditions — is
// carried in the autoscaling.alpha.kubernetes.io/* annotations of the v1 object, in v1's own
// metric shapes, and read back from them when a v1 object is written.
import type { KubeObject } from "../meta.ts";
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from "./hpa.ts";

export const METRIC_SPECS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics";
export const METRIC_STATUSES_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics";
export const CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions";
export const BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior";

type Obj = Record<string, any>;

const isCpuUtilization = (m: MetricSpec) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource.target?.averageUtilization !== undefined;

/** A v2 metric in autoscaling/v1's MetricSpec shape (targetAverageUtilization / targetAverageValue). */
function metricToV1(m: MetricSpec): Obj {
  if (m.type !== "Resource" || !m.resource) return { ...m };
  const t = m.resource.target ?? {};
  return {
    type: "Resource",
    resource: {
      name: m.resource.name,
      ...(t.averageUtilization !== undefined ? { targetAverageUtilization: t.averageUtilization } : {}),
      ...(t.averageValue !== undefined ? { targetAverageValue: t.averageValue } : {}),
    },
  };
}

function metricFromV1(m: Obj): MetricSpec {
  if (m?.type !== "Resource" || !m.resource) return { ...m } as MetricSpec;
  const r = m.resource;
  const target =
    r.targetAverageUtilization !== undefined
      ? { type: "Utilization" as const, averageUtilization: r.targetAverageUtilization }
      : { type: "AverageValue" as const, averageValue: r.targetAverageValue };
  return { type: "Resource", resource: { name: r.name, target } };
}

function statusToV1(s: MetricStatus): Obj {
  if (s.type !== "Resource" || !s.resource) return { ...s };
  const c = s.resource.current ?? {};
  return {
    type: "Resource",
    resource: {
      name: s.resource.name,
      ...(c.averageUtilization !== undefined ? { currentAverageUtilization: c.averageUtilization } : {}),
      currentAverageValue: c.averageValue ?? "0",
    },
  };
}

function statusFromV1(s: Obj): MetricStatus {
  if (s?.type !== "Resource" || !s.resource) return { ...s } as MetricStatus;
  const r = s.resource;
  return {
    type: "Resource",
    resource: {
      name: r.name,
      current: { ...(r.currentAverageUtilization !== undefined ? { averageUtilization: r.currentAverageUtilization } : {}), ...(r.currentAverageValue !== undefined ? { averageValue: r.currentAverageValue } : {}) },
    },
  };
}

/** The stored v2 object as autoscaling/v1 shows it. */
export function hpaToV1(obj: KubeObject): KubeObject {
  const h = obj as HorizontalPodAutoscaler;
  const spec = h.spec;
  const status = h.status ?? {};
  const annotations: Record<string, string> = { ...(h.metadata.annotations ?? {}) };
  const metrics = spec?.metrics ?? [];
  const others = metrics.filter((m) => !isCpuUtilization(m)).map(metricToV1);
  if (others.length) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others);
  if (status.currentMetrics?.length) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(status.currentMetrics.map(statusToV1));
  if (spec?.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  if (status.conditions?.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
  const cpu = metrics.find((m) => m.type === "Resource" && m.resource?.name === "cpu");
  const currentCpu = status.currentMetrics?.find((m) => m.type === "Resource" && m.resource?.name === "cpu")?.resource?.current.averageUtilization;
  const out: Obj = {
    ...h,
    apiVersion: "autoscaling/v1",
    metadata: { ...h.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) },
  };
  if (spec) {
    out.spec = {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(cpu?.resource?.target.averageUtilization !== undefined ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization } : {}),
    };
  }
  out.status = {
    ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    ...(status.lastScaleTime ? { lastScaleTime: status.lastScaleTime } : {}),
    currentReplicas: status.currentReplicas ?? 0,
    desiredReplicas: status.desiredReplicas ?? 0,
    ...(currentCpu !== undefined ? { currentCPUUtilizationPercentage: currentCpu } : {}),
  };
  return out as KubeObject;
}

const parse = (text: string | undefined): any => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // as upstream: an annotation that does not decode is dropped
  }
};

/** A v1 object (a request body) in the stored v2 form, its annotations read back into fields. */
export function hpaFromV1(obj: KubeObject): KubeObject {
  const v1 = obj as Obj;
  const annotations: Record<string, string> = { ...(v1.metadata?.annotations ?? {}) };
  const spec = v1.spec;
  const status = v1.status ?? {};
  const out: Obj = { ...v1, apiVersion: "autoscaling/v2", metadata: { ...v1.metadata } };
  if (spec && typeof spec === "object") {
    // Only v1's fields: anything else in a v1 body is not v1's to set (decoding drops it, as upstream).
    const { targetCPUUtilizationPercentage: cpu, scaleTargetRef, minReplicas, maxReplicas } = spec;
    const rest = { scaleTargetRef, ...(minReplicas !== undefined ? { minReplicas } : {}), maxReplicas };
    let metrics: MetricSpec[] | undefined =
      cpu !== undefined && cpu !== null ? [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: cpu } } }] : undefined;
    const others = parse(annotations[METRIC_SPECS_ANNOTATION]);
    if (Array.isArray(others)) metrics = [...others.map(metricFromV1), ...(metrics ?? [])];
    const behavior = parse(annotations[BEHAVIOR_ANNOTATION]);
    out.spec = { ...rest, ...(metrics ? { metrics } : {}), ...(behavior && typeof behavior === "object" && Object.keys(behavior).length ? { behavior } : {}) };
  }
  const { currentCPUUtilizationPercentage: currentCpu, ...statusRest } = status;
  const next: Obj = { ...statusRest };
  if (currentCpu !== undefined && currentCpu !== null) next.currentMetrics = [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: currentCpu } } }];
  const current = parse(annotations[METRIC_STATUSES_ANNOTATION]);
  if (Array.isArray(current)) next.currentMetrics = current.map(statusFromV1);
  const conditions = parse(annotations[CONDITIONS_ANNOTATION]);
  if (Array.isArray(conditions)) next.conditions = conditions;
  out.status = next;
  for (const k of [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, BEHAVIOR_ANNOTATION, CONDITIONS_ANNOTATION]) delete annotations[k];
  if (Object.keys(annotations).length) out.metadata.annotations = annotations;
  else delete out.metadata.annotations;
  return out as KubeObject;
}
