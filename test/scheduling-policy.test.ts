// Priority classes, inter-pod (anti-)affinity, topology spread and preemption against a real kubun
// server and scheduler, on Node objects without agents (placement only: no containers run; the
// e2e with real pods is scheduling-e2e.test.ts). Also the 422s and 403s of bad input.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KubeClient, SharedInformerFactory, createRecorderFactory } from "../src/client/index.ts";
import { type RunningScheduler, startScheduler } from "../src/scheduler/scheduler.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

type Json = any;

let s: TestServer;
let client: KubeClient;
let informers: SharedInformerFactory;
let scheduler: RunningScheduler;

function node(name: string, zone: string, cpu = "2"): Json {
  const allocatable = { cpu, memory: "8Gi", pods: "110" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone } },
    status: { capacity: allocatable, allocatable, conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "ready" }] },
  };
}

function pod(name: string, labels: Record<string, string>, spec: Json = {}, cpu = "100m", ns = "default"): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu, memory: "16Mi" } } }], ...spec },
  };
}

async function send(method: string, path: string, body?: Json, type = "application/json"): Promise<{ status: number; body: Json }> {
  const res = await s.api(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": type } });
  return { status: res.status, body: await res.json() };
}

async function post(path: string, body: Json): Promise<Json> {
  const r = await send("POST", path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const getPod = async (name: string, ns = "default"): Promise<Json> => (await send("GET", `/api/v1/namespaces/${ns}/pods/${name}`)).body;

async function eventually<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 15_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} ${last ?? ""}`);
    await Bun.sleep(25);
  }
}

const boundNode = (name: string, ns = "default") => eventually(`${name} bound`, async () => (await getPod(name, ns)).spec?.nodeName as string | undefined);
const unschedulable = (name: string, ns = "default") =>
  eventually(`${name} unschedulable`, async () => {
    const c = (await getPod(name, ns)).status?.conditions?.find((x: Json) => x.type === "PodScheduled");
    return c?.status === "False" ? (c.message as string) : undefined;
  });
const forceDelete = (name: string, ns = "default") => send("DELETE", `/api/v1/namespaces/${ns}/pods/${name}?gracePeriodSeconds=0`);

beforeAll(async () => {
  s = await startTestServer();
  client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
  informers = new SharedInformerFactory(client);
  const ctx = { client, informers, recorder: createRecorderFactory(client), now: () => new Date() };
  for (const [n, z] of [["n1", "a"], ["n2", "a"], ["n3", "b"]] as const) await post("/api/v1/nodes", node(n, z));
  scheduler = startScheduler(ctx, { scoring: "spread", initialBackoffMs: 50, maxBackoffMs: 200 });
  expect(await scheduler.ready).toBe(true);
});

afterAll(async () => {
  await scheduler?.stop();
  await informers?.stop();
  await client?.close();
  await s?.close();
});

describe("PriorityClass", () => {
  test("the system classes exist and kubectl lists them", async () => {
    const out = await s.kubectl(["get", "priorityclasses"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/system-cluster-critical\s+2000000000\s+false/);
    expect(out.stdout).toMatch(/system-node-critical\s+2000001000\s+false/);
  });

  test("admission resolves priorityClassName into priority and preemptionPolicy", async () => {
    await post("/apis/scheduling.k8s.io/v1/priorityclasses", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "batch-low" }, value: 10, preemptionPolicy: "Never" });
    const created = await post("/api/v1/namespaces/default/pods", pod("prio", {}, { priorityClassName: "batch-low", nodeSelector: { none: "x" } }));
    expect(created.spec.priority).toBe(10);
    expect(created.spec.preemptionPolicy).toBe("Never");
    await forceDelete("prio");
  });

  test("kubectl create priorityclass makes one that pods can name", async () => {
    const out = await s.kubectl(["create", "priorityclass", "made-by-kubectl", "--value=42", "--preemption-policy=Never", "--description=from kubectl"]);
    expect(out.code).toBe(0);
    const pc = JSON.parse((await s.kubectl(["get", "pc", "made-by-kubectl", "-o", "json"])).stdout);
    expect(pc).toMatchObject({ value: 42, preemptionPolicy: "Never", description: "from kubectl" });
    const wide = await s.kubectl(["get", "pc", "made-by-kubectl", "-o", "wide"]);
    expect(wide.stdout).toMatch(/made-by-kubectl\s+42\s+false\s+\S+\s+Never/);
  });

  test("the system classes cannot be deleted", async () => {
    const r = await send("DELETE", "/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical");
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted');
  });

  test("an unknown class is refused as upstream does", async () => {
    const r = await send("POST", "/api/v1/namespaces/default/pods", pod("nope", {}, { priorityClassName: "missing" }));
    expect(r.status).toBe(403);
    expect(r.body.reason).toBe("Forbidden");
    expect(r.body.message).toBe('pods "nope" is forbidden: no PriorityClass with name missing was found');
  });

  test("globalDefault applies to class-less pods, and only one class may be default", async () => {
    await post("/apis/scheduling.k8s.io/v1/priorityclasses", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "everyone" }, value: 5, globalDefault: true });
    const second = await send("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "also" }, value: 6, globalDefault: true });
    expect(second.status).toBe(403);
    expect(second.body.message).toContain("PriorityClass everyone is already marked as default. Only one default can exist");
    const created = await post("/api/v1/namespaces/default/pods", pod("defaulted", {}, { nodeSelector: { none: "x" } }));
    expect(created.spec.priorityClassName).toBe("everyone");
    expect(created.spec.priority).toBe(5);
    await forceDelete("defaulted");
    expect((await send("DELETE", "/apis/scheduling.k8s.io/v1/priorityclasses/everyone")).status).toBe(200);
  });

  test.each([
    ["a user value above 1e9", { metadata: { name: "huge" }, value: 1_000_000_001 }, "value"],
    ["a reserved system- name", { metadata: { name: "system-mine" }, value: 1 }, "metadata.name"],
    ["an unknown preemptionPolicy", { metadata: { name: "odd" }, value: 1, preemptionPolicy: "Sometimes" }, "preemptionPolicy"],
    ["no value", { metadata: { name: "novalue" } }, "value"],
  ])("%s is 422 Invalid naming the field", async (_what, body, field) => {
    const r = await send("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", ...body });
    expect(r.status).toBe(422);
    expect(r.body.details.causes.map((c: Json) => c.field)).toContain(field);
  });

  test("value is immutable", async () => {
    await post("/apis/scheduling.k8s.io/v1/priorityclasses", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "fixed" }, value: 1 });
    const r = await send("PATCH", "/apis/scheduling.k8s.io/v1/priorityclasses/fixed", { value: 2 }, "application/merge-patch+json");
    expect(r.status).toBe(422);
    expect(r.body.details.causes[0].field).toBe("value");
  });
});

describe("bad placement rules are 422 Invalid naming the field", () => {
  const anti = (term: Json) => ({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } });
  test.each([
    ["maxSkew 0", { topologySpreadConstraints: [{ maxSkew: 0, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: {} }] }, "spec.topologySpreadConstraints[0].maxSkew"],
    ["unknown whenUnsatisfiable", { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "Maybe" }] }, "spec.topologySpreadConstraints[0].whenUnsatisfiable"],
    ["minDomains with ScheduleAnyway", { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "ScheduleAnyway", minDomains: 2 }] }, "spec.topologySpreadConstraints[0].minDomains"],
    ["empty topologyKey in required anti-affinity", anti({ labelSelector: { matchLabels: { a: "b" } }, topologyKey: "" }), "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"],
    ["an invalid selector operator", anti({ labelSelector: { matchExpressions: [{ key: "a", operator: "Maybe" }] }, topologyKey: "zone" }), "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator"],
    ["matchLabelKeys without labelSelector", anti({ topologyKey: "zone", matchLabelKeys: ["app"] }), "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys"],
    ["an unknown preemptionPolicy", { preemptionPolicy: "Sometimes" }, "spec.preemptionPolicy"],
  ])("%s", async (_what, spec, field) => {
    const r = await send("POST", "/api/v1/namespaces/default/pods", pod("bad", {}, spec));
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe("Invalid");
    expect(r.body.details.causes.map((c: Json) => c.field)).toContain(field);
  });
});

describe("inter-pod anti-affinity", () => {
  const apart = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "db" } }, topologyKey: "kubernetes.io/hostname" }] } };
  test("keeps replicas on different nodes and leaves the fourth Pending in kube-scheduler's words", async () => {
    const nodes = new Set<string>();
    for (const i of [1, 2, 3]) {
      await post("/api/v1/namespaces/default/pods", pod(`db-${i}`, { app: "db" }, { affinity: apart }));
      nodes.add(await boundNode(`db-${i}`));
    }
    expect(nodes.size).toBe(3);
    await post("/api/v1/namespaces/default/pods", pod("db-4", { app: "db" }, { affinity: apart }));
    expect(await unschedulable("db-4")).toBe(
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
  });

  test("symmetry: a placed pod's anti-affinity rejects a newcomer that has no rules of its own", async () => {
    await post("/api/v1/namespaces/default/pods", pod("plain", { app: "db" }));
    expect(await unschedulable("plain")).toContain("3 node(s) didn't satisfy existing pods anti-affinity rules.");
    for (const n of ["db-1", "db-2", "db-3", "db-4", "plain"]) await forceDelete(n);
  });

  test("required affinity follows its target's zone", async () => {
    await post("/api/v1/namespaces/default/pods", pod("cache", { app: "cache" }, { nodeSelector: { "kubernetes.io/hostname": "n3" } }));
    expect(await boundNode("cache")).toBe("n3");
    const near = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "cache" } }, topologyKey: "topology.kubernetes.io/zone" }] } };
    await post("/api/v1/namespaces/default/pods", pod("web", { app: "web" }, { affinity: near }));
    expect(await boundNode("web")).toBe("n3");
    const far = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "nothing" } }, topologyKey: "topology.kubernetes.io/zone" }] } };
    await post("/api/v1/namespaces/default/pods", pod("lonely", { app: "web" }, { affinity: far }));
    expect(await unschedulable("lonely")).toStartWith("0/3 nodes are available: 3 node(s) didn't match pod affinity rules.");
    // A follower created before its target waits, and goes once the target is placed.
    const follows = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "leader" } }, topologyKey: "kubernetes.io/hostname" }] } };
    await post("/api/v1/namespaces/default/pods", pod("follower", { app: "follower" }, { affinity: follows }));
    expect(await unschedulable("follower")).toStartWith("0/3 nodes are available: 3 node(s) didn't match pod affinity rules.");
    await post("/api/v1/namespaces/default/pods", pod("leader", { app: "leader" }, { nodeSelector: { "kubernetes.io/hostname": "n2" } }));
    expect(await boundNode("follower")).toBe("n2");
    for (const n of ["cache", "web", "lonely", "follower", "leader"]) await forceDelete(n);
  });
});

describe("topology spread", () => {
  test("maxSkew 1 over zones alternates a and b, and a skewed placement is refused", async () => {
    const spread = [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "spread" } } }];
    const zoneOf: Record<string, string> = { n1: "a", n2: "a", n3: "b" };
    const zones: string[] = [];
    for (const i of [1, 2, 3, 4]) {
      await post("/api/v1/namespaces/default/pods", pod(`sp-${i}`, { app: "spread" }, { topologySpreadConstraints: spread }));
      zones.push(zoneOf[await boundNode(`sp-${i}`)]!);
    }
    expect(zones.filter((z) => z === "a").length).toBe(2);
    expect(zones.filter((z) => z === "b").length).toBe(2);
    // Pinned to zone b by nodeSelector; nodeAffinityPolicy Ignore still counts zone a's pods (with
    // the default Honor only zone b would be a domain and the skew always 1).
    const ignoring = [{ ...spread[0], nodeAffinityPolicy: "Ignore" }];
    await post("/api/v1/namespaces/default/pods", pod("sp-5", { app: "spread" }, { topologySpreadConstraints: ignoring, nodeSelector: { "topology.kubernetes.io/zone": "b" } }));
    await post("/api/v1/namespaces/default/pods", pod("sp-6", { app: "spread" }, { topologySpreadConstraints: ignoring, nodeSelector: { "topology.kubernetes.io/zone": "b" } }));
    const first = await boundNode("sp-5").catch(() => undefined);
    expect(first).toBe("n3");
    expect(await unschedulable("sp-6")).toStartWith("0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, 2 node(s) didn't match Pod's node affinity/selector.");
    for (const i of [1, 2, 3, 4, 5, 6]) await forceDelete(`sp-${i}`);
  });
});

describe("preemption", () => {
  test("a high-priority pod evicts the low-priority one that makes room, which gets DisruptionTarget", async () => {
    await post("/apis/scheduling.k8s.io/v1/priorityclasses", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "high" }, value: 1000 });
    // Fill every node with low-priority pods (priority 0), 1.5 cpu each of 2.
    for (const n of ["n1", "n2", "n3"]) {
      await post("/api/v1/namespaces/default/pods", pod(`low-${n}`, { tier: "low" }, { nodeSelector: { "kubernetes.io/hostname": n } }, "1500m"));
      expect(await boundNode(`low-${n}`)).toBe(n);
    }
    await post("/api/v1/namespaces/default/pods", pod("never", {}, { priorityClassName: "batch-low" }, "1"));
    expect(await unschedulable("never")).toBe("0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.");
    await forceDelete("never");

    await post("/api/v1/namespaces/default/pods", pod("urgent", {}, { priorityClassName: "high" }, "1"));
    const nominated = await eventually("nominatedNodeName", async () => (await getPod("urgent")).status?.nominatedNodeName as string | undefined);
    const victim = `low-${nominated}`;
    const v = await getPod(victim);
    expect(v.metadata.deletionTimestamp).toBeDefined();
    expect(v.status.conditions.find((c: Json) => c.type === "DisruptionTarget")).toMatchObject({ status: "True", reason: "PreemptionByScheduler" });
    // Only one victim: the others still stand.
    for (const n of ["n1", "n2", "n3"].filter((x) => x !== nominated)) expect((await getPod(`low-${n}`)).metadata.deletionTimestamp).toBeUndefined();
    // No agent here to finish the graceful delete: do it as a kubelet would.
    await forceDelete(victim);
    expect(await boundNode("urgent")).toBe(nominated);
  });

  test("a nominated pod's room is held against pods of lower priority", async () => {
    for (const n of ["n1", "n2", "n3"]) await forceDelete(`low-${n}`);
    await forceDelete("urgent");
    // A high-priority pod nominated to n1 (as preemption leaves it) that cannot bind yet.
    await post("/api/v1/namespaces/default/pods", pod("ghost", {}, { priorityClassName: "high", nodeSelector: { none: "x" } }, "1500m"));
    await unschedulable("ghost");
    const r = await send("PATCH", "/api/v1/namespaces/default/pods/ghost/status", { status: { nominatedNodeName: "n1" } }, "application/merge-patch+json");
    expect(r.status).toBe(200);
    await post("/api/v1/namespaces/default/pods", pod("thief", {}, { nodeSelector: { "kubernetes.io/hostname": "n1" }, preemptionPolicy: "Never" }, "1"));
    expect(await unschedulable("thief")).toStartWith("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.");
    await forceDelete("ghost");
    expect(await boundNode("thief")).toBe("n1");
    await forceDelete("thief");
  });
});
