import { describe, expect, test } from "bun:test";
import type { StatusCause } from "../meta.ts";
import { defaultHorizontalPodAutoscaler, type HorizontalPodAutoscaler, targetsCell } from "./hpa.ts";
import { validateHorizontalPodAutoscaler } from "./hpa-validation.ts";

const base = (spec: Record<string, unknown>) => ({
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "h", namespace: "ns" },
  spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, maxReplicas: 5, ...spec },
});

const causes = (spec: Record<string, unknown>) => {
  const errs: StatusCause[] = [];
  const obj = base(spec);
  defaultHorizontalPodAutoscaler(obj as HorizontalPodAutoscaler);
  validateHorizontalPodAutoscaler(errs, obj);
  return errs.map((e) => e.field);
};

describe("defaults", () => {
  test("minReplicas 1 and cpu at 80% when no metric is given; a given behavior is filled in", () => {
    const h = base({ behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } }) as HorizontalPodAutoscaler;
    defaultHorizontalPodAutoscaler(h);
    expect(h.spec!.minReplicas).toBe(1);
    expect(h.spec!.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }]);
    expect(h.spec!.behavior!.scaleUp!.policies).toHaveLength(2);
    expect(h.spec!.behavior!.scaleDown).toEqual({ stabilizationWindowSeconds: 30, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] });
  });
});

describe("validation", () => {
  test.each<[string, Record<string, unknown>, string[]]>([
    ["a valid one", {}, []],
    ["minReplicas 0", { minReplicas: 0 }, ["spec.minReplicas"]],
    ["max below min", { minReplicas: 3, maxReplicas: 2 }, ["spec.maxReplicas"]],
    ["no target name", { scaleTargetRef: { kind: "Deployment" } }, ["spec.scaleTargetRef.name"]],
    ["a Pods metric (not implemented)", { metrics: [{ type: "Pods", pods: {} }] }, ["spec.metrics[0].type"]],
    ["an External metric (not implemented)", { metrics: [{ type: "External", external: {} }] }, ["spec.metrics[0].type"]],
    ["a resource other than cpu and memory", { metrics: [{ type: "Resource", resource: { name: "nvidia.com/gpu", target: { type: "Utilization", averageUtilization: 50 } } }] }, ["spec.metrics[0].resource.name"]],
    ["utilization 0", { metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 0 } } }] }, ["spec.metrics[0].resource.target.averageUtilization"]],
    ["both targets", { metrics: [{ type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "1Gi", averageUtilization: 50 } } }] }, ["spec.metrics[0].resource.target.averageValue"]],
    ["a raw value", { metrics: [{ type: "Resource", resource: { name: "memory", target: { type: "Value", value: "1Gi" } } }] }, ["spec.metrics[0].resource.target.value", "spec.metrics[0].resource.target.averageUtilization"]],
    ["a stabilization window past an hour", { behavior: { scaleUp: { stabilizationWindowSeconds: 3601 } } }, ["spec.behavior.scaleUp.stabilizationWindowSeconds"]],
    ["an unknown selectPolicy", { behavior: { scaleDown: { selectPolicy: "Average" } } }, ["spec.behavior.scaleDown.selectPolicy"]],
    ["a policy with period 0", { behavior: { scaleDown: { policies: [{ type: "Pods", value: 1, periodSeconds: 0 }] } } }, ["spec.behavior.scaleDown.policies[0].periodSeconds"]],
    ["no policies", { behavior: { scaleDown: { policies: [] } } }, ["spec.behavior.scaleDown.policies"]],
    ["a tolerance (not implemented)", { behavior: { scaleUp: { tolerance: "0.05" } } }, ["spec.behavior.scaleUp.tolerance"]],
  ])("%s", (_name, spec, fields) => {
    expect(causes(spec)).toEqual(fields);
  });
});

describe("TARGETS", () => {
  test.each<[string, Partial<HorizontalPodAutoscaler>, string]>([
    ["no metrics reported yet", { spec: { scaleTargetRef: { kind: "D", name: "d" }, maxReplicas: 1, metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }] } }, "cpu: <unknown>/80%"],
    [
      "utilization and average value",
      {
        spec: {
          scaleTargetRef: { kind: "D", name: "d" },
          maxReplicas: 1,
          metrics: [
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } },
            { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "64Mi" } } },
          ],
        },
        status: {
          currentMetrics: [
            { type: "Resource", resource: { name: "cpu", current: { averageValue: "6m", averageUtilization: 12 } } },
            { type: "Resource", resource: { name: "memory", current: { averageValue: "10Mi" } } },
          ],
        },
      },
      "cpu: 12%/80%, memory: 10Mi/64Mi",
    ],
  ])("%s", (_name, h, want) => {
    expect(targetsCell({ metadata: { name: "h" }, ...h } as HorizontalPodAutoscaler)).toBe(want);
  });
});
