// autoscaling/v2 HorizontalPodAutoscaler: types, defaulting (SetDefaults_HorizontalPodAutoscaler
// and the behavior defaults of GenerateHPAScaleUpRules / GenerateHPAScaleDownRules) and the
// `kubectl get hpa` columns. autoscaling/v2 is the stored form; v1 is converted to it (v1.ts).
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";

export interface CrossVersionObjectReference {
  kind: string;
  name: string;
  apiVersion?: string;
}

export interface MetricTarget {
  type: "Utilization" | "Value" | "AverageValue";
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

export interface MetricSpec {
  type: "Resource" | "Pods" | "Object" | "External" | "ContainerResource";
  resource?: { name: string; target: MetricTarget };
  [other: string]: unknown;
}

export interface MetricStatus {
  type: "Resource";
  resource?: { name: string; current: { averageValue?: string; averageUtilization?: number } };
}

export interface HPAScalingPolicy {
  type: "Pods" | "Percent";
  value: number;
  periodSeconds: number;
}

export interface HPAScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: "Max" | "Min" | "Disabled";
  policies?: HPAScalingPolicy[];
  tolerance?: string;
}

export interface HorizontalPodAutoscalerCondition {
  type: "AbleToScale" | "ScalingActive" | "ScalingLimited";
  status: "True" | "False" | "Unknown";
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: {
    scaleTargetRef: CrossVersionObjectReference;
    minReplicas?: number;
    maxReplicas: number;
    metrics?: MetricSpec[];
    behavior?: { scaleUp?: HPAScalingRules; scaleDown?: HPAScalingRules };
  };
  status?: {
    observedGeneration?: number;
    lastScaleTime?: string;
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: MetricStatus[] | null;
    conditions?: HorizontalPodAutoscalerCondition[];
  };
}

export const DEFAULT_CPU_UTILIZATION = 80;

/** The scale-up rules upstream fills in where a given behavior leaves a field out. */
export const defaultScaleUp = (): HPAScalingRules => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max",
  policies: [
    { type: "Pods", value: 4, periodSeconds: 15 },
    { type: "Percent", value: 100, periodSeconds: 15 },
  ],
});

/** Scale-down: no stabilization window of its own (the controller's flag decides, 300 s by default). */
export const defaultScaleDown = (): HPAScalingRules => ({ selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] });

function fill(rules: HPAScalingRules | undefined, d: HPAScalingRules): HPAScalingRules {
  if (!rules) return d;
  return {
    ...rules,
    stabilizationWindowSeconds: rules.stabilizationWindowSeconds ?? d.stabilizationWindowSeconds,
    selectPolicy: rules.selectPolicy ?? d.selectPolicy,
    policies: rules.policies ?? d.policies,
  };
}

export function defaultHorizontalPodAutoscaler(obj: KubeObject): void {
  const spec = (obj as HorizontalPodAutoscaler).spec;
  if (!spec || typeof spec !== "object") return;
  spec.minReplicas ??= 1;
  if (!spec.metrics || spec.metrics.length === 0) {
    spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  // As upstream: only a behavior that is given gets its missing parts filled.
  const b = spec.behavior;
  if (b && typeof b === "object") {
    b.scaleUp = fill(b.scaleUp, defaultScaleUp());
    const down = fill(b.scaleDown, defaultScaleDown());
    if (down.stabilizationWindowSeconds === undefined) delete down.stabilizationWindowSeconds;
    b.scaleDown = down;
  }
}

/** One metric as kubectl's TARGETS shows it: "cpu: 12%/80%", "memory: 10Mi/64Mi", "cpu: <unknown>/80%". */
function metricCell(m: MetricSpec, s: MetricStatus | undefined): string {
  if (m.type !== "Resource" || !m.resource) return `<${m.type}>`;
  const { name, target } = m.resource;
  const cur = s?.resource?.name === name ? s.resource.current : undefined;
  if (target.averageValue !== undefined) return `${name}: ${cur?.averageValue ?? "<unknown>"}/${target.averageValue}`;
  const current = cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : "<unknown>";
  const want = target.averageUtilization !== undefined ? `${target.averageUtilization}%` : "<auto>";
  return `${name}: ${current}/${want}`;
}

export function targetsCell(hpa: HorizontalPodAutoscaler): string {
  const specs = hpa.spec?.metrics ?? [];
  if (specs.length === 0) return "<none>";
  const statuses = hpa.status?.currentMetrics ?? [];
  const list = specs.map((m, i) => metricCell(m, statuses[i] ?? undefined));
  return list.length > 4 ? `${list.slice(0, 4).join(", ")} + ${list.length - 4} more...` : list.join(", ");
}

export const horizontalPodAutoscalerPrinter: Printer<HorizontalPodAutoscaler> = {
  columns: [
    column("Name"),
    column("Reference", "Reference to the scaled object"),
    column("Targets", "Current and target values of the metrics the autoscaler scales on"),
    column("MinPods", "Lower limit for the number of pods that can be set by the autoscaler, default 1.", { type: "string" }),
    column("MaxPods", "Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.", { type: "integer" }),
    column("Replicas", "Current number of replicas of pods managed by this autoscaler.", { type: "integer" }),
    column("Age"),
  ],
  cells(h, now) {
    const ref = h.spec?.scaleTargetRef;
    return [
      h.metadata.name ?? "",
      ref ? `${ref.kind}/${ref.name}` : "",
      targetsCell(h),
      h.spec?.minReplicas !== undefined ? String(h.spec.minReplicas) : "<unset>",
      h.spec?.maxReplicas ?? 0,
      h.status?.currentReplicas ?? 0,
      age(h, now),
    ];
  },
};
