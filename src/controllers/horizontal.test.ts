// The HPA controller's sync with fakes for the scale subresource, the metrics and the status
// writer: status, conditions and events as kube-controller-manager writes them.
import { expect, test } from "bun:test";
import type { HorizontalPodAutoscaler } from "../apis/autoscaling/hpa.ts";
import { defaultHorizontalPodAutoscaler } from "../apis/autoscaling/hpa.ts";
import type { Scale } from "../apis/autoscaling/scale.ts";
import type { Pod } from "../apis/core/pod.ts";
import { ObjectCache } from "../client/index.ts";
import { HorizontalController, podMetricsOf } from "./horizontal.ts";
import type { PodMetrics } from "./horizontal-replicas.ts";

const NOW = Date.parse("2026-12-06T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

const pod = (name: string): Pod =>
  ({
    metadata: { name, namespace: "ns", labels: { app: "web" } },
    spec: { containers: [{ name: "c", image: "i", resources: { requests: { cpu: "100m" } } }] },
    status: { phase: "Running", startTime: iso(NOW - 600_000), conditions: [{ type: "Ready", status: "True", lastTransitionTime: iso(NOW - 590_000) }] },
  }) as Pod;

function setup(opts: { replicas: number; usage: number[]; selector?: string; behavior?: object; scaleError?: string }) {
  const hpas = new ObjectCache<HorizontalPodAutoscaler>();
  const h = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web", namespace: "ns", generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }],
      ...(opts.behavior ? { behavior: opts.behavior } : {}),
    },
  } as HorizontalPodAutoscaler;
  defaultHorizontalPodAutoscaler(h);
  hpas.set(h);
  let replicas = opts.replicas;
  const pods = opts.usage.map((_, i) => pod(`web-${i}`));
  const metrics: PodMetrics = new Map(opts.usage.map((u, i) => [`web-${i}`, { value: u, timestampMs: NOW - 1000, windowMs: 10_000 }]));
  const events: string[] = [];
  const statuses: NonNullable<HorizontalPodAutoscaler["status"]>[] = [];
  const c = new HorizontalController({
    hpas,
    scales: {
      get: async () => {
        if (opts.scaleError) throw new Error(opts.scaleError);
        return { metadata: { name: "web", namespace: "ns" }, spec: { replicas }, status: { replicas, selector: opts.selector ?? "app=web" } } as Scale;
      },
      update: async (_ns, _ref, _scale, n) => void (replicas = n),
    },
    metrics: { pods: async () => pods, resourceMetrics: async () => metrics },
    status: {
      write: async (hpa, s) => {
        statuses.push(s);
        hpas.set({ ...hpa, status: s });
      },
    },
    recorder: { event: (_o, type, reason, msg) => void events.push(`${type} ${reason} ${msg}`) },
    now: () => new Date(NOW),
    downscaleStabilizationMs: 0,
  });
  return { c, events, statuses, replicas: () => replicas };
}

test("high CPU scales the target up, with the event, status and conditions kube writes", async () => {
  const t = setup({ replicas: 1, usage: [150] });
  await t.c.sync("ns/web");
  t.c.queue.shutDown();
  expect(t.replicas()).toBe(3);
  expect(t.events).toEqual(["Normal SuccessfulRescale New size: 3; reason: cpu resource utilization (percentage of request) above target"]);
  const s = t.statuses.at(-1)!;
  expect(s).toMatchObject({ currentReplicas: 1, desiredReplicas: 3, lastScaleTime: "2026-12-06T12:00:00Z", observedGeneration: 1 });
  expect(s.currentMetrics).toEqual([{ type: "Resource", resource: { name: "cpu", current: { averageValue: "150m", averageUtilization: 150 } } }]);
  expect(s.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
    ["AbleToScale", "True", "SucceededRescale"],
    ["ScalingActive", "True", "ValidMetricFound"],
    ["ScalingLimited", "False", "DesiredWithinRange"],
  ]);
});

test("low CPU scales down to minReplicas; the reason says all metrics are below target", async () => {
  const t = setup({ replicas: 3, usage: [1, 1, 1] });
  await t.c.sync("ns/web");
  t.c.queue.shutDown();
  expect(t.replicas()).toBe(1);
  expect(t.events).toEqual(["Normal SuccessfulRescale New size: 1; reason: All metrics below target"]);
});

test("missing metrics: ScalingActive False, a warning, and no rescale", async () => {
  const t = setup({ replicas: 2, usage: [] });
  await t.c.sync("ns/web");
  t.c.queue.shutDown();
  expect(t.replicas()).toBe(2);
  const active = t.statuses.at(-1)!.conditions!.find((c) => c.type === "ScalingActive")!;
  expect(active).toMatchObject({ status: "False", reason: "FailedGetResourceMetric" });
  expect(t.events.some((e) => e.startsWith("Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1)"))).toBe(true);
});

test("an unreadable scale: AbleToScale False FailedGetScale", async () => {
  const t = setup({ replicas: 1, usage: [100], scaleError: "deployments.apps \"web\" not found" });
  await t.c.sync("ns/web");
  t.c.queue.shutDown();
  expect(t.statuses.at(-1)!.conditions![0]).toMatchObject({ type: "AbleToScale", status: "False", reason: "FailedGetScale" });
  expect(t.events[0]).toStartWith("Warning FailedGetScale");
});

test("a target scaled to zero disables autoscaling", async () => {
  const t = setup({ replicas: 0, usage: [] });
  await t.c.sync("ns/web");
  t.c.queue.shutDown();
  expect(t.statuses.at(-1)!.conditions!.find((c) => c.type === "ScalingActive")).toMatchObject({ status: "False", reason: "ScalingDisabled" });
  expect(t.replicas()).toBe(0);
});

test("above maxReplicas is brought down to it whatever the metrics", async () => {
  const t = setup({ replicas: 8, usage: [100] });
  await t.c.sync("ns/web");
  t.c.queue.shutDown();
  expect(t.replicas()).toBe(5);
  expect(t.events[0]).toBe("Normal SuccessfulRescale New size: 5; reason: Current number of replicas above Spec.MaxReplicas");
});

test("podMetricsOf sums a pod's containers and skips a pod lacking the resource", () => {
  const m = podMetricsOf(
    [
      { metadata: { name: "a" }, timestamp: "2026-12-06T12:00:00Z", window: "10.5s", containers: [{ name: "x", usage: { cpu: "100m", memory: "1Mi" } }, { name: "y", usage: { cpu: "50000000n", memory: "1Mi" } }] },
      { metadata: { name: "b" }, timestamp: "2026-12-06T12:00:00Z", window: "10s", containers: [] },
    ],
    "cpu",
  );
  expect(m.get("a")).toEqual({ value: 150, timestampMs: NOW, windowMs: 10_500 });
  expect(m.has("b")).toBe(false);
});
