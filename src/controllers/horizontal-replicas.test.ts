import { describe, expect, test } from "bun:test";
import type { Pod } from "../apis/core/pod.ts";
import { groupPods, type PodMetrics, ReplicaCalculationError, resourceReplicas } from "./horizontal-replicas.ts";

const NOW = Date.parse("2026-12-06T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function pod(name: string, opts: { phase?: string; ready?: boolean; startedAgoMs?: number; readySinceAgoMs?: number; cpu?: string; deleting?: boolean } = {}): Pod {
  const started = NOW - (opts.startedAgoMs ?? 600_000);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "ns", ...(opts.deleting ? { deletionTimestamp: iso(NOW) } : {}) },
    spec: { containers: [{ name: "c", image: "i", resources: { requests: { cpu: opts.cpu ?? "100m", memory: "100Mi" } } }] },
    status: {
      phase: opts.phase ?? "Running",
      startTime: iso(started),
      conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True", lastTransitionTime: iso(NOW - (opts.readySinceAgoMs ?? 590_000)) }],
    },
  } as Pod;
}

const metrics = (values: Record<string, number>): PodMetrics =>
  new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestampMs: NOW - 1000, windowMs: 10_000 }]));

const cpu = (pods: Pod[], m: PodMetrics, current: number, target = 50) =>
  resourceReplicas({ currentReplicas: current, pods, metrics: m, resource: "cpu", targetUtilization: target, nowMs: NOW });

describe("resourceReplicas (utilization)", () => {
  test.each([
    ["scales up by the usage ratio", ["a", "b"], { a: 100, b: 100 }, 2, 4, 100],
    ["scales down by the usage ratio", ["a", "b", "c", "d"], { a: 10, b: 10, c: 10, d: 10 }, 4, 1, 10],
    ["stays within the 10% tolerance", ["a", "b"], { a: 54, b: 54 }, 2, 2, 54],
    ["just past the tolerance moves", ["a", "b"], { a: 56, b: 56 }, 2, 3, 56],
  ])("%s", (_name, names, values, current, want, utilization) => {
    const r = cpu(names.map((n) => pod(n)), metrics(values), current);
    expect(r.replicas).toBe(want);
    expect(r.utilization).toBe(utilization);
  });

  test("a pod without metrics counts as 100% of its request on a scale-down, so it holds the count", () => {
    // a, b at 10% → would halve; c has no metrics and counts at 100%: (10+10+100)/300 = 40% → ratio 0.8.
    const r = cpu([pod("a"), pod("b"), pod("c")], metrics({ a: 10, b: 10 }), 3);
    expect(r.replicas).toBe(3);
  });

  test("a pod without metrics counts as 0% on a scale-up", () => {
    // a at 200%: ratio 4; with c at 0 → (200+0)/200 = 100% → ratio 2 → ceil(2*2) = 4.
    const r = cpu([pod("a"), pod("c")], metrics({ a: 200 }), 2);
    expect(r.replicas).toBe(4);
  });

  test("an unready starting pod counts as 0% on a scale-up", () => {
    const starting = pod("b", { ready: false, startedAgoMs: 10_000, readySinceAgoMs: 10_000 });
    const r = cpu([pod("a"), starting], metrics({ a: 150, b: 150 }), 2);
    // a alone: 150% → ratio 3; with b at 0: 75% → ratio 1.5 → ceil(1.5*2) = 3.
    expect(r.replicas).toBe(3);
  });

  test("pending, failed and deleting pods are ignored", () => {
    const r = cpu([pod("a"), pod("b", { phase: "Pending" }), pod("c", { phase: "Failed" }), pod("d", { deleting: true })], metrics({ a: 100, b: 0, c: 0, d: 0 }), 1);
    expect(r.replicas).toBe(2);
  });

  test("no pods, no metrics or a container without a request are errors", () => {
    expect(() => cpu([], metrics({}), 1)).toThrow(ReplicaCalculationError);
    expect(() => cpu([pod("a")], metrics({}), 1)).toThrow("did not receive metrics");
    const noRequest = pod("a");
    noRequest.spec!.containers[0]!.resources = {};
    expect(() => cpu([noRequest], metrics({ a: 10 }), 1)).toThrow("missing request for cpu in container c of Pod a");
  });
});

describe("resourceReplicas (average value)", () => {
  test("scales on the average per pod against the target", () => {
    const r = resourceReplicas({ currentReplicas: 2, pods: [pod("a"), pod("b")], metrics: metrics({ a: 300, b: 300 }), resource: "memory", targetAverage: 100, nowMs: NOW });
    expect(r.replicas).toBe(6);
    expect(r.rawAverage).toBe(300);
    expect(r.utilization).toBeUndefined();
  });
});

describe("groupPods", () => {
  test("memory ignores readiness, cpu does not", () => {
    const unready = pod("a", { ready: false, startedAgoMs: 10_000, readySinceAgoMs: 10_000 });
    expect(groupPods([unready], metrics({ a: 1 }), "cpu", NOW).unready.has("a")).toBe(true);
    expect(groupPods([unready], metrics({ a: 1 }), "memory", NOW).readyPodCount).toBe(1);
  });
  test("a sample taken before a full window after the pod turned ready is not trusted while starting", () => {
    const justReady = pod("a", { startedAgoMs: 20_000, readySinceAgoMs: 5_000 });
    expect(groupPods([justReady], metrics({ a: 1 }), "cpu", NOW).unready.has("a")).toBe(true);
  });
});
