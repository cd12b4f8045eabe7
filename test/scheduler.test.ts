// The scheduler against a real kubun server: nodes of different capacity, labels and taints,
// pods with requests, selectors, affinity and tolerations land where they must; a pod that fits
// nowhere gets PodScheduled=False (Unschedulable) and a FailedScheduling event, and is bound
// once a node it fits on registers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KubeClient, SharedInformerFactory, createRecorderFactory } from "../src/client/index.ts";
import { type RunningScheduler, startScheduler } from "../src/scheduler/scheduler.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

type Json = any;

let s: TestServer;
let client: KubeClient;
let informers: SharedInformerFactory;
let scheduler: RunningScheduler;

interface NodeSpec {
  name: string;
  cpu: string;
  memory: string;
  labels?: Record<string, string>;
  taints?: Json[];
  unschedulable?: boolean;
  ready?: boolean;
}

function node(n: NodeSpec): Json {
  const allocatable = { cpu: n.cpu, memory: n.memory, pods: "110" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: { "kubernetes.io/hostname": n.name, ...n.labels } },
    spec: { taints: n.taints, unschedulable: n.unschedulable },
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [{ type: "Ready", status: n.ready === false ? "False" : "True", reason: "KubeletReady", message: "ready" }],
    },
  };
}

function pod(name: string, spec: Json = {}, cpu = "100m", memory = "64Mi"): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu, memory } } }], ...spec },
  };
}

async function post(path: string, body: Json): Promise<Json> {
  const res = await s.api(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  const out = await res.json();
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

async function createNode(n: NodeSpec): Promise<void> {
  const created = await post("/api/v1/nodes", node(n));
  // Like a kubelet registering: the status subresource carries capacity and conditions.
  if (!created.status?.allocatable) {
    const res = await s.api(`/api/v1/nodes/${n.name}/status`, {
      method: "PATCH",
      body: JSON.stringify({ status: node(n).status }),
      headers: { "content-type": "application/merge-patch+json" },
    });
    if (res.status !== 200) throw new Error(`node status ${n.name}: ${res.status} ${await res.text()}`);
  }
}

const getPod = async (name: string): Promise<Json> => (await s.api(`/api/v1/namespaces/default/pods/${name}`)).json();

/** Polls until `check` returns a value; fails with the last seen state after the deadline. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 15_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

const boundNode = (name: string) => eventually(`${name} bound`, async () => (await getPod(name)).spec?.nodeName as string | undefined);

beforeAll(async () => {
  s = await startTestServer();
  client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
  informers = new SharedInformerFactory(client);
  const ctx = { client, informers, recorder: createRecorderFactory(client), now: () => new Date() };
  const nodes: NodeSpec[] = [
    { name: "small", cpu: "1", memory: "2Gi", labels: { size: "small" } },
    { name: "big", cpu: "8", memory: "32Gi", labels: { size: "big", disktype: "ssd" } },
    { name: "gpu", cpu: "8", memory: "32Gi", labels: { size: "big", gpu: "true" }, taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] },
    { name: "cordoned", cpu: "64", memory: "256Gi", unschedulable: true },
    { name: "notready", cpu: "64", memory: "256Gi", ready: false },
  ];
  for (const n of nodes) await createNode(n);
  scheduler = startScheduler(ctx, { scoring: "binpack", initialBackoffMs: 50, maxBackoffMs: 200 });
  expect(await scheduler.ready).toBe(true);
});

afterAll(async () => {
  await scheduler?.stop();
  await informers?.stop();
  await client?.close();
  await s?.close();
});

describe("placement", () => {
  test.each([
    ["needs more cpu than small has, must avoid the gpu taint", pod("wide", {}, "4", "1Gi"), ["big"]],
    ["nodeSelector disktype=ssd", pod("ssd", { nodeSelector: { disktype: "ssd" } }), ["big"]],
    [
      "tolerates the gpu taint and selects gpu nodes",
      pod("trainer", { nodeSelector: { gpu: "true" }, tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] }),
      ["gpu"],
    ],
    [
      "required node affinity size In [small]",
      pod("tiny", {
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "size", operator: "In", values: ["small"] }] }] } } },
      }),
      ["small"],
    ],
    ["no constraints: never the cordoned, not-ready or tainted node", pod("plain"), ["small", "big"]],
  ])("%s", async (_name, p, allowed) => {
    await post("/api/v1/namespaces/default/pods", p);
    expect(allowed).toContain(await boundNode(p.metadata.name));
    const scheduled = (await getPod(p.metadata.name)).status.conditions.find((c: Json) => c.type === "PodScheduled");
    expect(scheduled.status).toBe("True");
  });

  test("a pod with spec.nodeName is not scheduled, but its requests count on that node", async () => {
    // Takes 800m of small's 1 cpu; the affinity pod below then does not fit there.
    await post("/api/v1/namespaces/default/pods", pod("pinned", { nodeName: "small", schedulerName: "someone-else" }, "800m"));
    const fill = pod("fill", {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "size", operator: "In", values: ["small"] }] }] } } },
    }, "500m");
    await post("/api/v1/namespaces/default/pods", fill);
    const cond = await eventually("fill unschedulable", async () => {
      const c = (await getPod("fill")).status?.conditions?.find((x: Json) => x.type === "PodScheduled");
      return c?.status === "False" ? c : undefined;
    });
    expect(cond.message).toContain("Insufficient cpu");
    expect((await getPod("pinned")).spec.nodeName).toBe("small");
    await s.api("/api/v1/namespaces/default/pods/fill?gracePeriodSeconds=0", { method: "DELETE" });
  });
});

describe("unschedulable", () => {
  test("gets PodScheduled=False and a FailedScheduling event, then binds when a fitting node appears", async () => {
    await post("/api/v1/namespaces/default/pods", pod("huge", {}, "100", "1Gi"));
    const cond = await eventually("PodScheduled=False", async () => {
      const c = (await getPod("huge")).status?.conditions?.find((x: Json) => x.type === "PodScheduled");
      return c?.status === "False" ? c : undefined;
    });
    expect(cond.reason).toBe("Unschedulable");
    // kube-scheduler's FitError: reasons sorted as strings, each with its node count.
    expect(cond.message).toBe(
      "0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were not ready, " +
        "1 node(s) were unschedulable, 2 Insufficient cpu. " +
        // DefaultPreemption's PostFilter: nothing of lower priority to evict; only 2 nodes could have helped.
        "preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.",
    );

    const event = await eventually("FailedScheduling event", async () => {
      const list: Json = await (await s.api("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dhuge")).json();
      return (list.items as Json[]).find((e) => e.reason === "FailedScheduling");
    });
    expect(event.type).toBe("Warning");
    expect(event.message).toBe(cond.message);
    expect(event.source.component).toBe("default-scheduler");
    expect((await getPod("huge")).spec.nodeName).toBeUndefined();

    await createNode({ name: "huge-node", cpu: "128", memory: "512Gi" });
    expect(await boundNode("huge")).toBe("huge-node");
    const scheduled = (await getPod("huge")).status.conditions.find((c: Json) => c.type === "PodScheduled");
    expect(scheduled.status).toBe("True");
    const assigned = await eventually("Scheduled event", async () => {
      const list: Json = await (await s.api("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dhuge")).json();
      return (list.items as Json[]).find((e) => e.reason === "Scheduled");
    });
    expect(assigned).toMatchObject({ type: "Normal", message: "Successfully assigned default/huge to huge-node", source: { component: "default-scheduler" } });
  });

  test("a node with room for one pod: the second waits, since the first counts once assumed", async () => {
    await createNode({ name: "one-slot", cpu: "1", memory: "1Gi", labels: { pool: "one" } });
    const sel = { nodeSelector: { pool: "one" } };
    await post("/api/v1/namespaces/default/pods", pod("first", sel, "700m"));
    await post("/api/v1/namespaces/default/pods", pod("second", sel, "700m"));
    expect(await boundNode("first")).toBe("one-slot");
    const cond = await eventually("second unschedulable", async () => {
      const c = (await getPod("second")).status?.conditions?.find((x: Json) => x.type === "PodScheduled");
      return c?.status === "False" ? c : undefined;
    });
    expect(cond.message).toContain("1 Insufficient cpu");
    // Deleting the first (at once: no agent runs to finish a graceful delete) frees its room, and
    // the parked pod is retried and bound.
    await s.api("/api/v1/namespaces/default/pods/first?gracePeriodSeconds=0", { method: "DELETE" });
    expect(await boundNode("second")).toBe("one-slot");
  });
});
