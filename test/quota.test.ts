// ResourceQuota and LimitRange with real kubectl against a real server (controllers on, no nodes):
// admission refuses what goes past a quota with Kubernetes' messages, the quota controller keeps
// status.used current, and `kubectl describe quota` prints it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { waitFor } from "./helpers/wait.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ controllers: {} });
});
afterAll(() => s.close());

const pod = (name: string, cpu?: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { containers: [{ name: "c", image: "busybox", ...(cpu ? { resources: { requests: { cpu } } } : {}) }] },
  });

async function used(ns: string, name: string): Promise<Record<string, string> | undefined> {
  const r = await s.kubectl(["get", "quota", name, "-n", ns, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout).status?.used : undefined;
}

test("kubectl create quota; pods past it are refused; describe; deleting a pod frees quota", async () => {
  expect((await s.kubectl(["create", "namespace", "q1"])).code).toBe(0);
  const created = await s.kubectl(["create", "quota", "compute", "-n", "q1", "--hard=requests.cpu=1,pods=2"]);
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
  for (const name of ["a", "b"]) {
    const r = await s.kubectl(["create", "-n", "q1", "-f", "-"], { stdin: pod(name, "500m") });
    expect(r.stderr).toBe("");
  }
  const third = await s.kubectl(["create", "-n", "q1", "-f", "-"], { stdin: pod("c", "500m") });
  expect(third.code).not.toBe(0);
  expect(third.stderr).toContain(
    'pods "c" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=1, limited: pods=2,requests.cpu=1',
  );
  const noRequests = await s.kubectl(["create", "-n", "q1", "-f", "-"], { stdin: pod("d") });
  expect(noRequests.stderr).toContain('pods "d" is forbidden: failed quota: compute: must specify requests.cpu for: c');

  await waitFor("status.used", async () => (await used("q1", "compute"))?.pods === "2");
  const describe = await s.kubectl(["describe", "quota", "compute", "-n", "q1"]);
  expect(describe.stdout).toMatch(/Resource\s+Used\s+Hard/);
  expect(describe.stdout).toMatch(/pods\s+2\s+2/);
  expect(describe.stdout).toMatch(/requests\.cpu\s+1\s+1/);
  const get = await s.kubectl(["get", "quota", "-n", "q1"]);
  expect(get.stdout).toMatch(/NAME\s+AGE\s+REQUEST\s+LIMIT/);
  expect(get.stdout).toContain("pods: 2/2, requests.cpu: 1/1");

  expect((await s.kubectl(["delete", "pod", "a", "-n", "q1", "--wait=false"])).code).toBe(0);
  await waitFor("status.used after the delete", async () => (await used("q1", "compute"))?.pods === "1");
  expect((await used("q1", "compute"))?.["requests.cpu"]).toBe("500m");
  const again = await s.kubectl(["create", "-n", "q1", "-f", "-"], { stdin: pod("c", "500m") });
  expect(again.stderr).toBe("");
});

test("a count/configmaps quota refuses the configmap past it", async () => {
  expect((await s.kubectl(["create", "namespace", "q2"])).code).toBe(0);
  expect((await s.kubectl(["create", "quota", "objects", "-n", "q2", "--hard=count/configmaps=1"])).code).toBe(0);
  expect((await s.kubectl(["create", "configmap", "one", "-n", "q2"])).stderr).toBe("");
  const two = await s.kubectl(["create", "configmap", "two", "-n", "q2"]);
  expect(two.stderr).toContain(
    'configmaps "two" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1',
  );
});

test("a quota naming what kubun can't count is refused with 422 naming the field", async () => {
  const r = await s.kubectl(["create", "quota", "bad", "-n", "default", "--hard=widgets=1"]);
  expect(r.stderr).toContain("spec.hard[widgets]");
});

test("a quota scoped to a PriorityClass counts and refuses only that class's pods", async () => {
  expect((await s.kubectl(["create", "namespace", "q3"])).code).toBe(0);
  expect((await s.kubectl(["create", "priorityclass", "high", "--value=1000"])).code).toBe(0);
  const quota = { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "high-pods", namespace: "q3" }, spec: { hard: { pods: "1" }, scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: ["high"] }] } } };
  expect((await s.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(quota) })).stderr).toBe("");
  const classed = (name: string, priorityClassName?: string) =>
    JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "q3" }, spec: { priorityClassName, containers: [{ name: "c", image: "busybox" }] } });
  expect((await s.kubectl(["create", "-f", "-"], { stdin: classed("high-1", "high") })).stderr).toBe("");
  const second = await s.kubectl(["create", "-f", "-"], { stdin: classed("high-2", "high") });
  expect(second.stderr).toContain('pods "high-2" is forbidden: exceeded quota: high-pods, requested: pods=1, used: pods=1, limited: pods=1');
  // Pods of no class, or of another, are not the quota's business.
  for (const name of ["plain-1", "plain-2"]) expect((await s.kubectl(["create", "-f", "-"], { stdin: classed(name) })).stderr).toBe("");
  await waitFor("the quota's status", async () => (await used("q3", "high-pods"))?.pods === "1");
  // `kubectl create quota --scopes` takes the scope by name (Exists: any class).
  expect((await s.kubectl(["create", "quota", "any-class", "-n", "q3", "--hard=pods=5", "--scopes=PriorityClass"])).stderr).toBe("");
  await waitFor("the scoped quota's status", async () => (await used("q3", "any-class"))?.pods === "1");
});

test.each([
  ["an unknown scope", [{ scopeName: "Galaxy", operator: "Exists" }], { pods: "1" }, "spec.scopeSelector.matchExpressions[0].scopeName: Invalid value: \"Galaxy\": unsupported scope"],
  ["In without values", [{ scopeName: "PriorityClass", operator: "In" }], { pods: "1" }, "spec.scopeSelector.matchExpressions[0].values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"],
  ["Exists with values", [{ scopeName: "PriorityClass", operator: "Exists", values: ["x"] }], { pods: "1" }, "spec.scopeSelector.matchExpressions[0].values: Invalid value: [\"x\"]: must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"],
  ["In on Terminating", [{ scopeName: "Terminating", operator: "In", values: ["x"] }], { pods: "1" }, "spec.scopeSelector.matchExpressions[0].operator: Invalid value: \"In\": must be 'Exist' when scope is any of"],
  ["an unknown operator", [{ scopeName: "PriorityClass", operator: "Near" }], { pods: "1" }, "spec.scopeSelector.matchExpressions[0].operator: Unsupported value: \"Near\""],
  ["conflicting scopes", [{ scopeName: "BestEffort", operator: "Exists" }, { scopeName: "NotBestEffort", operator: "Exists" }], { pods: "1" }, "spec.scopeSelector.matchExpressions: Invalid value"],
  ["a scope that cannot track the resource", [{ scopeName: "PriorityClass", operator: "Exists" }], { "count/configmaps": "1" }, "unsupported scope applied to resource"],
])("a scopeSelector with %s is refused with 422 naming the field", async (_, matchExpressions, hard, message) => {
  const quota = { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "bad-selector", namespace: "default" }, spec: { hard, scopeSelector: { matchExpressions } } };
  const r = await s.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(quota) });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(message);
});

test("a LimitRange's defaults land in the stored pod, its max is enforced, and quota charges the defaulted pod", async () => {
  expect((await s.kubectl(["create", "namespace", "l1"])).code).toBe(0);
  const lr = {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: "limits" },
    spec: { limits: [{ type: "Container", max: { cpu: "1" }, default: { cpu: "500m", memory: "128Mi" }, defaultRequest: { cpu: "250m" } }] },
  };
  const made = await s.kubectl(["create", "-n", "l1", "-f", "-"], { stdin: JSON.stringify(lr) });
  expect(made.stderr).toBe("");
  expect((await s.kubectl(["get", "limits", "-n", "l1"])).stdout).toMatch(/NAME\s+CREATED AT\s*\nlimits\s+\d{4}-/);
  const describe = (await s.kubectl(["describe", "limits", "limits", "-n", "l1"])).stdout;
  expect(describe).toMatch(/Container\s+cpu\s+-\s+1\s+250m\s+500m\s+-/);
  expect(describe).toMatch(/Container\s+memory\s+-\s+-\s+128Mi\s+128Mi\s+-/); // defaultRequest defaulted from default
  expect((await s.kubectl(["create", "quota", "compute", "-n", "l1", "--hard=requests.cpu=300m"])).code).toBe(0);

  expect((await s.kubectl(["create", "-n", "l1", "-f", "-"], { stdin: pod("p") })).stderr).toBe("");
  const stored = JSON.parse((await s.kubectl(["get", "pod", "p", "-n", "l1", "-o", "json"])).stdout);
  expect(stored.spec.containers[0].resources).toEqual({ requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "500m", memory: "128Mi" } });
  expect(stored.metadata.annotations["kubernetes.io/limit-ranger"]).toBe("LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c");
  expect(stored.status.qosClass).toBe("Burstable");

  // Quota saw the defaulted 250m: a second defaulted pod would make 500m > 300m.
  const second = await s.kubectl(["create", "-n", "l1", "-f", "-"], { stdin: pod("q") });
  expect(second.stderr).toContain('pods "q" is forbidden: exceeded quota: compute, requested: requests.cpu=250m, used: requests.cpu=250m, limited: requests.cpu=300m');

  const big = JSON.parse(pod("big"));
  big.spec.containers[0].resources = { limits: { cpu: "2" } };
  const refused = await s.kubectl(["create", "-n", "l1", "-f", "-"], { stdin: JSON.stringify(big) });
  expect(refused.stderr).toContain('pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');

  // A default limit below an explicit request is the 422 upstream's validation gives, not a stored pod.
  const low = JSON.parse(pod("low"));
  low.spec.containers[0].resources = { requests: { memory: "1Gi" } };
  const invalidPod = await s.kubectl(["create", "-n", "l1", "-f", "-"], { stdin: JSON.stringify(low) });
  expect(invalidPod.stderr).toContain("must be less than or equal to memory limit of 128Mi");
});

test("a LimitRange violating min <= default <= max is refused with 422", async () => {
  const lr = { apiVersion: "v1", kind: "LimitRange", metadata: { name: "bad" }, spec: { limits: [{ type: "Container", max: { cpu: "1" }, default: { cpu: "2" } }] } };
  const r = await s.kubectl(["create", "-n", "default", "-f", "-"], { stdin: JSON.stringify(lr) });
  expect(r.stderr).toContain("spec.limits[0].default[cpu]: Invalid value: \"2\": default value 2 is greater than max value 1");
});

test("racing creates can't both slip past a quota", async () => {
  expect((await s.kubectl(["create", "namespace", "race"])).code).toBe(0);
  expect((await s.kubectl(["create", "quota", "one", "-n", "race", "--hard=pods=1"])).code).toBe(0);
  const post = (name: string) =>
    s.api("/api/v1/namespaces/race/pods", { method: "POST", headers: { "content-type": "application/json" }, body: pod(name) });
  const names = Array.from({ length: 20 }, (_, i) => `r${i}`);
  const codes = (await Promise.all(names.map(post))).map((r) => r.status);
  expect(codes.filter((c) => c === 201).length).toBe(1);
  expect(codes.filter((c) => c === 403).length).toBe(19);
});

test("a resourcequotas quota counts quotas too", async () => {
  expect((await s.kubectl(["create", "namespace", "qq"])).code).toBe(0);
  expect((await s.kubectl(["create", "quota", "meta", "-n", "qq", "--hard=resourcequotas=1"])).code).toBe(0);
  const second = await s.kubectl(["create", "quota", "more", "-n", "qq", "--hard=pods=1"]);
  expect(second.stderr).toContain('resourcequotas "more" is forbidden: exceeded quota: meta, requested: resourcequotas=1, used: resourcequotas=1, limited: resourcequotas=1');
});

test("an update is charged what it adds: a Service turned NodePort past services.nodeports", async () => {
  expect((await s.kubectl(["create", "namespace", "svcq"])).code).toBe(0);
  expect((await s.kubectl(["create", "quota", "ports", "-n", "svcq", "--hard=services.nodeports=1,services=5"])).code).toBe(0);
  expect((await s.kubectl(["create", "service", "clusterip", "a", "--tcp=80:80", "--tcp=81:81", "-n", "svcq"])).stderr).toBe("");
  const r = await s.kubectl(["patch", "service", "a", "-n", "svcq", "--type=merge", "-p", '{"spec":{"type":"NodePort"}}']);
  expect(r.stderr).toContain('services "a" is forbidden: exceeded quota: ports, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1');
  expect((await s.kubectl(["label", "service", "a", "-n", "svcq", "x=y"])).stderr).toBe(""); // adds nothing: not charged
});
