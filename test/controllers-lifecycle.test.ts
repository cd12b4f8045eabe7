// Controller manager part B against a real server with no agents: the garbage collector's three
// propagation policies, namespace deletion, and node lifecycle (lease expiry → Unknown → taint →
// eviction → pod GC → a replacement from the ReplicaSet controller), plus node IPAM.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { KubeObject } from "../src/apis/meta.ts";
import { formatMicroTime, formatTime } from "../src/apis/time.ts";
import { KubeClient, resourceFor, SharedInformerFactory, type ControllerContext, type Running, createRecorderFactory } from "../src/client/index.ts";
import { startGarbageCollector } from "../src/controllers/garbage-collector.ts";
import { startNamespaceController } from "../src/controllers/namespace.ts";
import { startNodeIpamController } from "../src/controllers/node-ipam.ts";
import { startNodeLifecycleController } from "../src/controllers/node-lifecycle.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { isNotFound } from "../src/apis/errors.ts";

const CM = resourceFor("ConfigMap");
const NS = resourceFor("Namespace");
const NODE = resourceFor("Node");
const POD = resourceFor("Pod");
const RS = resourceFor("ReplicaSet");
const LEASE = resourceFor("Lease");

let s: TestServer;
let client: KubeClient;
let informers: SharedInformerFactory;
const running: Running[] = [];
/** Whether the other helper's workload controllers are in the tree (they replace evicted pods). */
let workloads = false;

beforeAll(async () => {
  s = await startTestServer();
  client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
  informers = new SharedInformerFactory(client, { backoff: { initialMs: 50, maxMs: 500 } });
  const ctx: ControllerContext = { client, informers, recorder: createRecorderFactory(client), now: () => new Date() };
  running.push(
    startGarbageCollector(ctx),
    startNamespaceController(ctx, { retryMs: 200 }),
    startNodeLifecycleController(ctx, { nodeMonitorGracePeriodSeconds: 1, podEvictionTimeoutSeconds: 1, monitorPeriodMs: 200, orphanQuarantineSeconds: 1 }),
    startNodeIpamController(ctx, {}),
  );
  try {
    const { startReplicaSetController } = await import("../src/controllers/replicaset.ts");
    const { startDeploymentController } = await import("../src/controllers/deployment.ts");
    running.push(startReplicaSetController(ctx), startDeploymentController(ctx));
    workloads = true;
  } catch {
    workloads = false;
  }
  informers.start();
  await informers.waitForSync();
});

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await informers.stop();
  await client.close();
  await s.close();
});

/** Polls until `fn` returns a truthy value (or stops throwing); fails with the last reason after `ms`. */
async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = new Error("condition not met");
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw last;
    await Bun.sleep(50);
  }
}

const gone = (r: typeof CM, ns: string | undefined, name: string) => async () => {
  try {
    await client.get(r, ns, name);
    return false;
  } catch (err) {
    return isNotFound(err);
  }
};

async function namespace(name: string): Promise<void> {
  await client.create(NS, undefined, { metadata: { name } });
}

const ownerRef = (owner: KubeObject, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  name: owner.metadata.name!,
  uid: owner.metadata.uid!,
  ...extra,
});

async function configMap(ns: string, name: string, meta: Partial<KubeObject["metadata"]> = {}): Promise<KubeObject> {
  return client.create(CM, ns, { metadata: { name, ...meta }, data: { k: "v" } });
}

describe("garbage collector", () => {
  test("Background: deleting the owner collects its dependents, and dangling dependents go too", async () => {
    await namespace("gc-bg");
    const owner = await configMap("gc-bg", "owner");
    await configMap("gc-bg", "d1", { ownerReferences: [ownerRef(owner)] });
    await configMap("gc-bg", "d2", { ownerReferences: [ownerRef(owner, { controller: true, blockOwnerDeletion: true })] });
    await configMap("gc-bg", "dangling", { ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "never", uid: "00000000-0000-0000-0000-000000000000" }] });
    const other = await configMap("gc-bg", "other-owner");
    await configMap("gc-bg", "shared", { ownerReferences: [ownerRef(owner), ownerRef(other)] });

    await client.delete(CM, "gc-bg", "owner", { propagationPolicy: "Background" });
    await eventually(gone(CM, "gc-bg", "d1"));
    await eventually(gone(CM, "gc-bg", "d2"));
    await eventually(gone(CM, "gc-bg", "dangling"));
    // A dependent with another live owner stays, without the reference to the gone one.
    const shared = await eventually(async () => {
      const cm = await client.get(CM, "gc-bg", "shared");
      return cm.metadata.ownerReferences?.length === 1 && cm;
    });
    expect(shared.metadata.ownerReferences?.[0]?.uid).toBe(other.metadata.uid);
  });

  test("Foreground: the owner stays, marked, until its blocking dependents are gone", async () => {
    await namespace("gc-fg");
    const owner = await configMap("gc-fg", "owner");
    // The dependent's own finalizer holds it, so the owner's wait can be seen.
    await configMap("gc-fg", "held", { ownerReferences: [ownerRef(owner, { blockOwnerDeletion: true })], finalizers: ["example.com/hold"] });
    await configMap("gc-fg", "free", { ownerReferences: [ownerRef(owner)] });

    const marked = await client.delete(CM, "gc-fg", "owner", { propagationPolicy: "Foreground" });
    expect((marked as KubeObject).metadata.finalizers).toContain("foregroundDeletion");
    await eventually(gone(CM, "gc-fg", "free"));
    const held = await eventually(async () => {
      const cm = await client.get(CM, "gc-fg", "held");
      return cm.metadata.deletionTimestamp ? cm : undefined;
    });
    const stillThere = await client.get(CM, "gc-fg", "owner");
    expect(stillThere.metadata.deletionTimestamp).toBeString();
    expect(stillThere.metadata.finalizers).toEqual(["foregroundDeletion"]);

    await client.patch(CM, "gc-fg", "held", { metadata: { finalizers: null, resourceVersion: held.metadata.resourceVersion } }, "merge");
    await eventually(gone(CM, "gc-fg", "held"));
    await eventually(gone(CM, "gc-fg", "owner"));
  });

  test("Orphan: the owner goes, its dependents stay without the reference", async () => {
    await namespace("gc-orphan");
    const owner = await configMap("gc-orphan", "owner");
    await configMap("gc-orphan", "d1", { ownerReferences: [ownerRef(owner, { blockOwnerDeletion: true })] });
    await configMap("gc-orphan", "d2", { ownerReferences: [ownerRef(owner)] });

    await client.delete(CM, "gc-orphan", "owner", { propagationPolicy: "Orphan" });
    await eventually(gone(CM, "gc-orphan", "owner"));
    for (const name of ["d1", "d2"]) {
      const cm = await client.get(CM, "gc-orphan", name);
      expect(cm.metadata.ownerReferences).toBeUndefined();
    }
  });
});

const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: c, image: busybox:1}]
`;

const kubectlOk = (args: string[], stdin?: string) => s.kubectlOk(args, stdin);

const listIn = async (r: typeof CM, ns: string) => (await client.list(r, { namespace: ns })).items;

describe("cascading deletion through kubectl", () => {
  test("delete deploy --cascade=foreground removes the ReplicaSet and pods first; --cascade=orphan keeps them", async () => {
    if (!workloads) return; // needs the Deployment and ReplicaSet controllers
    await namespace("cascade");
    await kubectlOk(["apply", "-n", "cascade", "-f", "-"], deployment("fg"));
    await kubectlOk(["apply", "-n", "cascade", "-f", "-"], deployment("keep"));
    await eventually(async () => (await listIn(POD, "cascade")).length === 4);

    await kubectlOk(["delete", "-n", "cascade", "deploy", "fg", "--cascade=foreground"]);
    await eventually(async () => {
      const rs = await listIn(RS, "cascade");
      return rs.length === 1 && rs[0]!.metadata.name!.startsWith("keep-");
    });
    await eventually(async () => (await listIn(POD, "cascade")).every((p) => p.metadata.name!.startsWith("keep-")));

    await kubectlOk(["delete", "-n", "cascade", "deploy", "keep", "--cascade=orphan"]);
    await eventually(gone(resourceFor("Deployment"), "cascade", "keep"));
    const [rs] = await listIn(RS, "cascade");
    expect(rs?.metadata.ownerReferences).toBeUndefined();
    expect((await listIn(POD, "cascade")).length).toBe(2);
  });
});

describe("namespace controller", () => {
  test("kubectl delete ns empties the namespace and completes", async () => {
    await namespace("doomed");
    await configMap("doomed", "a");
    await configMap("doomed", "b");
    if (workloads) await kubectlOk(["apply", "-n", "doomed", "-f", "-"], deployment("web"));
    await kubectlOk(["delete", "ns", "doomed", "--timeout=30s"]);
    expect(await gone(NS, undefined, "doomed")()).toBe(true);
    expect(await listIn(CM, "doomed")).toEqual([]);
    expect(await listIn(POD, "doomed")).toEqual([]);
  });

  test("a Terminating namespace refuses new content and waits for what is held", async () => {
    await namespace("held");
    const cm = await configMap("held", "pinned", { finalizers: ["example.com/hold"] });
    await client.delete(NS, undefined, "held");
    const ns = await client.get<KubeObject & { status?: { phase?: string } }>(NS, undefined, "held");
    expect(ns.status?.phase).toBe("Terminating");
    await expect(configMap("held", "late")).rejects.toMatchObject({ code: 403 });

    const pinned = await eventually(async () => {
      const c = await client.get(CM, "held", "pinned");
      return c.metadata.deletionTimestamp ? c : undefined;
    });
    expect(pinned.metadata.uid).toBe(cm.metadata.uid);
    expect(await gone(NS, undefined, "held")()).toBe(false);
    await client.patch(CM, "held", "pinned", { metadata: { finalizers: null } }, "merge");
    await eventually(gone(NS, undefined, "held"));
  });
});

const nowTime = () => formatTime(new Date());
const microTime = () => formatMicroTime(new Date());

async function registerNode(name: string): Promise<void> {
  const t = nowTime();
  await client.create(NODE, undefined, {
    metadata: { name },
    status: {
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: t, lastTransitionTime: t }],
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
    },
  });
  await client.create(LEASE, "kube-node-lease", {
    metadata: { name },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
  });
}

async function renewLease(name: string): Promise<void> {
  const lease = await client.get(LEASE, "kube-node-lease", name);
  await client.update(LEASE, { ...lease, spec: { ...(lease as unknown as { spec: object }).spec, renewTime: microTime() } });
}

type NodeObj = KubeObject & {
  spec?: { podCIDR?: string; podCIDRs?: string[]; taints?: { key: string; effect: string }[]; unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string }[] };
};
const readyStatus = (n: NodeObj) => n.status?.conditions?.find((c) => c.type === "Ready")?.status;
const taintKeys = (n: NodeObj) => (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

describe("node lifecycle and IPAM", () => {
  test("a silent node goes Unknown and tainted; its pods are evicted and replaced; a live one stays Ready", async () => {
    await registerNode("silent");
    await registerNode("alive");
    const heartbeat = setInterval(() => void renewLease("alive").catch(() => undefined), 200);
    try {
      // IPAM: each registered node gets its own /24 of 10.42.0.0/16.
      const cidrs = await eventually(async () => {
        const got = await Promise.all(["silent", "alive"].map(async (n) => (await client.get<NodeObj>(NODE, undefined, n)).spec?.podCIDR));
        return got.every(Boolean) && got;
      });
      expect(new Set(cidrs).size).toBe(2);
      for (const c of cidrs) expect(c).toMatch(/^10\.42\.\d+\.0\/24$/);

      await namespace("evict");
      let victim: KubeObject;
      if (workloads) {
        await client.create(RS, "evict", {
          metadata: { name: "app" },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: "app" } },
            template: { metadata: { labels: { app: "app" } }, spec: { containers: [{ name: "c", image: "busybox:1" }] } },
          },
        });
        victim = await eventually(async () => (await listIn(POD, "evict"))[0]);
      } else {
        victim = await client.create(POD, "evict", { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox:1" }] } });
      }
      await client.bind("evict", victim.metadata.name!, "silent");

      const silent = await eventually(async () => {
        const n = await client.get<NodeObj>(NODE, undefined, "silent");
        return readyStatus(n) === "Unknown" && taintKeys(n).includes("node.kubernetes.io/unreachable:NoExecute") && n;
      });
      expect(taintKeys(silent)).toEqual(["node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule"]);

      // Evicted after its (capped) toleration, then force-deleted since its node cannot confirm.
      await eventually(gone(POD, "evict", victim.metadata.name!));
      if (workloads) {
        const replacement = await eventually(async () => (await listIn(POD, "evict")).find((p) => p.metadata.uid !== victim.metadata.uid));
        expect(replacement.metadata.ownerReferences?.[0]?.name).toBe("app");
      }

      const alive = await client.get<NodeObj>(NODE, undefined, "alive");
      expect(readyStatus(alive)).toBe("True");
      expect(taintKeys(alive)).toEqual([]);
    } finally {
      clearInterval(heartbeat);
    }
  });

  test("cordon taints the node unschedulable; uncordon removes it", async () => {
    await registerNode("cordoned");
    const heartbeat = setInterval(() => void renewLease("cordoned").catch(() => undefined), 200);
    try {
      await kubectlOk(["cordon", "cordoned"]);
      await eventually(async () => taintKeys(await client.get<NodeObj>(NODE, undefined, "cordoned")).includes("node.kubernetes.io/unschedulable:NoSchedule"));
      await kubectlOk(["uncordon", "cordoned"]);
      await eventually(async () => taintKeys(await client.get<NodeObj>(NODE, undefined, "cordoned")).length === 0);
    } finally {
      clearInterval(heartbeat);
    }
  });

  test("pods bound to a deleted node are collected, and its CIDR is reused", async () => {
    await registerNode("doomed-node");
    const cidr = await eventually(async () => (await client.get<NodeObj>(NODE, undefined, "doomed-node")).spec?.podCIDR);
    await namespace("orphans");
    await client.create(POD, "orphans", { metadata: { name: "stray" }, spec: { containers: [{ name: "c", image: "busybox:1" }] } });
    await client.bind("orphans", "stray", "doomed-node");
    await client.delete(NODE, undefined, "doomed-node");
    await eventually(gone(POD, "orphans", "stray"));

    await registerNode("newcomer");
    const reused = await eventually(async () => (await client.get<NodeObj>(NODE, undefined, "newcomer")).spec?.podCIDR);
    expect(reused).toBe(cidr);
  });
});
