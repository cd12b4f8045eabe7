// Quota evaluation tables: what a pod or object costs, scopes, and the must-specify constraint.
import { describe, expect, test } from "bun:test";
import type { Pod } from "./pod.ts";
import { objectUsage, podConstraints, quotaMatches, quotaUsage, toResourceList } from "./quota-usage.ts";
import type { ResourceQuota } from "./resourcequota.ts";

const now = new Date("2026-01-01T00:00:00Z");
const PODS = { group: "", resource: "pods" };
type C = { name: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } };
const pod = (containers: C[], extra: { init?: C[]; phase?: string; overhead?: Record<string, string>; deadline?: number } = {}): Pod =>
  ({
    metadata: { name: "p", namespace: "ns" },
    spec: { containers, initContainers: extra.init, overhead: extra.overhead, activeDeadlineSeconds: extra.deadline },
    status: { phase: extra.phase ?? "Pending" },
  }) as unknown as Pod;
const req = (name: string, cpu: string, memory?: string): C => ({ name, resources: { requests: { cpu, ...(memory ? { memory } : {}) } } });

describe("objectUsage", () => {
  test.each([
    ["one container", pod([req("a", "100m", "64Mi")]), { "count/pods": "1", pods: "1", cpu: "100m", "requests.cpu": "100m", memory: "64Mi", "requests.memory": "64Mi" }],
    ["containers sum, exactly", pod([req("a", "0.1"), req("b", "0.2")]), { "count/pods": "1", pods: "1", cpu: "300m", "requests.cpu": "300m" }],
    ["an init container above the sum wins", pod([req("a", "100m")], { init: [req("i", "1")] }), { "count/pods": "1", pods: "1", cpu: "1", "requests.cpu": "1" }],
    ["overhead is added", pod([req("a", "100m")], { overhead: { cpu: "50m" } }), { "count/pods": "1", pods: "1", cpu: "150m", "requests.cpu": "150m" }],
    [
      "limits",
      pod([{ name: "a", resources: { limits: { cpu: "1" }, requests: { cpu: "1" } } }]),
      { "count/pods": "1", pods: "1", cpu: "1", "requests.cpu": "1", "limits.cpu": "1" },
    ],
    ["a succeeded pod counts only as an object", pod([req("a", "1")], { phase: "Succeeded" }), { "count/pods": "1" }],
    ["a failed pod too", pod([req("a", "1")], { phase: "Failed" }), { "count/pods": "1" }],
  ])("%s", (_, p, want) => {
    expect(toResourceList(objectUsage(PODS, p, now))).toEqual(want);
  });

  test("objects count under count/<resource>.<group> and the legacy name", () => {
    expect(toResourceList(objectUsage({ group: "", resource: "configmaps" }, { metadata: {} }, now))).toEqual({ "count/configmaps": "1", configmaps: "1" });
    expect(toResourceList(objectUsage({ group: "apps", resource: "deployments" }, { metadata: {} }, now))).toEqual({ "count/deployments.apps": "1" });
    const pvc = { metadata: {}, spec: { resources: { requests: { storage: "5Gi" } } } };
    expect(toResourceList(objectUsage({ group: "", resource: "persistentvolumeclaims" }, pvc, now))).toEqual({
      "count/persistentvolumeclaims": "1",
      persistentvolumeclaims: "1",
      "requests.storage": "5Gi",
    });
    const svc = { metadata: {}, spec: { type: "NodePort", ports: [{ port: 1 }, { port: 2 }] } };
    expect(toResourceList(objectUsage({ group: "", resource: "services" }, svc, now))).toEqual({ "count/services": "1", services: "1", "services.nodeports": "2" });
  });
});

test("quotaUsage sums only what the quota tracks over the pods its scopes select", () => {
  const quota: ResourceQuota = { metadata: { name: "q" }, spec: { hard: { pods: "10", "requests.cpu": "4" }, scopes: ["NotBestEffort"] } };
  const pods = [pod([req("a", "500m")]), pod([req("b", "250m", "1Gi")]), pod([{ name: "besteffort" }]), pod([req("c", "1")], { phase: "Succeeded" })];
  expect(toResourceList(quotaUsage(quota, PODS, pods, now))).toEqual({ pods: "2", "requests.cpu": "750m" });
});

test.each([
  ["BestEffort", pod([{ name: "a" }]), true],
  ["BestEffort", pod([req("a", "1")]), false],
  ["NotBestEffort", pod([req("a", "1")]), true],
  ["Terminating", pod([{ name: "a" }], { deadline: 30 }), true],
  ["Terminating", pod([{ name: "a" }]), false],
  ["NotTerminating", pod([{ name: "a" }]), true],
])("scope %s selects %#: %p", (scope, p, want) => {
  expect(quotaMatches({ metadata: {}, spec: { hard: { pods: "1" }, scopes: [scope] } }, PODS, p)).toBe(want);
});

describe("scopeSelector, as upstream's podMatchesScopeFunc reads it", () => {
  const classed = (name?: string, affinity?: unknown) => ({ ...pod([{ name: "a" }]), spec: { ...pod([{ name: "a" }]).spec, priorityClassName: name, affinity } }) as unknown as Pod;
  const selecting = (...matchExpressions: { scopeName: string; operator: string; values?: string[] }[]): ResourceQuota => ({ metadata: {}, spec: { hard: { pods: "1" }, scopeSelector: { matchExpressions } } });
  test.each([
    ["PriorityClass In [high]", selecting({ scopeName: "PriorityClass", operator: "In", values: ["high"] }), classed("high"), true],
    ["PriorityClass In [high]", selecting({ scopeName: "PriorityClass", operator: "In", values: ["high"] }), classed("low"), false],
    ["PriorityClass In [high]", selecting({ scopeName: "PriorityClass", operator: "In", values: ["high"] }), classed(), false],
    ["PriorityClass NotIn [high]", selecting({ scopeName: "PriorityClass", operator: "NotIn", values: ["high"] }), classed(), true],
    ["PriorityClass NotIn [high]", selecting({ scopeName: "PriorityClass", operator: "NotIn", values: ["high"] }), classed("high"), false],
    ["PriorityClass Exists", selecting({ scopeName: "PriorityClass", operator: "Exists" }), classed("low"), true],
    ["PriorityClass Exists", selecting({ scopeName: "PriorityClass", operator: "Exists" }), classed(), false],
    // The key is always in upstream's label set ("" for no class): DoesNotExist matches nothing.
    ["PriorityClass DoesNotExist", selecting({ scopeName: "PriorityClass", operator: "DoesNotExist" }), classed(), false],
    ["CrossNamespacePodAffinity", selecting({ scopeName: "CrossNamespacePodAffinity", operator: "Exists" }), classed(undefined, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "z", namespaces: ["other"] }] } }), true],
    ["CrossNamespacePodAffinity", selecting({ scopeName: "CrossNamespacePodAffinity", operator: "Exists" }), classed(undefined, { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: "z", namespaceSelector: {} } }] } }), true],
    ["CrossNamespacePodAffinity", selecting({ scopeName: "CrossNamespacePodAffinity", operator: "Exists" }), classed(undefined, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "z" }] } }), false],
    ["scopes and scopeSelector together", { metadata: {}, spec: { hard: { pods: "1" }, scopes: ["Terminating"], scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "Exists" }] } } }, classed("high"), false],
  ] as const)("%s selects %#: %p", (_, quota, p, want) => {
    expect(quotaMatches(quota as ResourceQuota, PODS, p)).toBe(want);
  });
  test("a scopeSelector selects pods only", () => {
    expect(quotaMatches(selecting({ scopeName: "PriorityClass", operator: "Exists" }), { group: "", resource: "configmaps" }, { metadata: { name: "c" } })).toBe(false);
  });
});

test.each([
  ["nothing required", { pods: "2" }, [{ name: "a" }], undefined],
  ["requests.cpu missing", { "requests.cpu": "1" }, [{ name: "a" }], "must specify requests.cpu for: a"],
  ["cpu means requests", { cpu: "1", "limits.memory": "1Gi" }, [req("b", "1"), { name: "a" }], "must specify cpu for: a; limits.memory for: a,b"],
  ["all specified", { "requests.cpu": "1" }, [req("a", "1")], undefined],
])("podConstraints: %s", (_, hard, containers, want) => {
  expect(podConstraints(pod(containers as C[]), hard)).toBe(want);
});
