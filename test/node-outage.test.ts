// An agent stopped for longer than the node grace period, with real agents in two network
// namespaces and the control plane's own controllers and scheduler: the silent node goes
// Ready=Unknown with the unreachable taint, its pods are evicted once their tolerationSeconds
// run out and their ReplicaSet recreates them on the other node, where they serve; when the
// agent comes back it removes the containers and sandboxes of the pods that were evicted
// meanwhile, and its node is Ready again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { containerdPaths } from "../agent/containerd.ts";
import { CriClient } from "../agent/cri/index.ts";
import { MANAGED_BY, MANAGED_BY_VALUE, POD_UID } from "../agent/pods/labels.ts";
import type { Node, Pod } from "../src/apis/index.ts";
import { startNetnsCluster, type NetnsCluster, type NetnsNode } from "./helpers/netns-cluster.ts";

// Above the agent's 10 s lease and status period (the CLI's defaults), so a live node never
// looks silent, and short enough for a test.
const GRACE_SECONDS = 16;
const TOLERATION_SECONDS = 4;
const UNREACHABLE = "node.kubernetes.io/unreachable";

let cluster: NetnsCluster;
beforeAll(async () => {
  cluster = await startNetnsCluster({
    tag: "no",
    subnet: "172.31.251",
    nodes: 2,
    serverOptions: {
      // No --pod-cidr for the agents: the IPAM controller gives each node a /24 of this range.
      controllers: { nodeMonitorGracePeriodSeconds: GRACE_SECONDS, nodeMonitorPeriodMs: 1000, clusterCIDR: "10.213.36.0/22", workers: 2 },
      scheduler: {},
    },
  });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
}, 60_000);

const api = async <T>(path: string): Promise<T> => {
  const res = await cluster.server.api(path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const podsOfApp = async () => (await api<{ items: Pod[] }>("/api/v1/namespaces/default/pods?labelSelector=app%3Doutage")).items;
const readyStatus = (node: Node) => node.status?.conditions?.find((c) => c.type === "Ready")?.status;
const runningOn = (pods: Pod[], node: string) => pods.filter((p) => p.spec?.nodeName === node && p.status?.phase === "Running" && p.status.podIP && !p.metadata.deletionTimestamp);

/** The pod uids that still have a sandbox or a container in a node's containerd. */
async function runtimePodUids(node: NetnsNode): Promise<Set<string>> {
  const cri = new CriClient({ socket: containerdPaths(node.dataDir).socket, timeoutMs: 10_000 });
  try {
    const selector = { label_selector: { [MANAGED_BY]: MANAGED_BY_VALUE } };
    const sandboxes = await cri.listPodSandbox(selector);
    const containers = await cri.listContainers(selector);
    return new Set([...sandboxes, ...containers].map((x) => x.labels[POD_UID] ?? "").filter(Boolean));
  } finally {
    cri.close();
  }
}

const deployment = (first: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "outage" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "outage" } },
    template: {
      metadata: { labels: { app: "outage" } },
      spec: {
        terminationGracePeriodSeconds: 1,
        // Both replicas start on the node that will go silent, so both must move.
        affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [first] }] } }] } },
        // What a user writes to leave an unreachable node sooner than the 300 s default.
        tolerations: [UNREACHABLE, "node.kubernetes.io/not-ready"].map((key) => ({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: TOLERATION_SECONDS })),
        containers: [{ name: "web", image: "local/busybox:1" }],
      },
    },
  },
});

describe("an agent stopped for longer than the node grace period", () => {
  test("its pods move to the other node, and it cleans up after itself on coming back", async () => {
    const [silent, healthy] = cluster.nodes as [NetnsNode, NetnsNode];
    const { server, waitFor } = cluster;
    await waitFor("both nodes Ready", async () => (await api<{ items: Node[] }>("/api/v1/nodes")).items.filter((n) => readyStatus(n) === "True").length === 2);

    const created = await server.api("/apis/apps/v1/namespaces/default/deployments", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(deployment(silent.name)),
    });
    expect(created.status).toBe(201);
    const before = await waitFor("2 replicas running", async () => {
      const pods = await podsOfApp();
      const running = pods.filter((p) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp);
      return running.length === 2 && running;
    }, 60_000);
    const stranded = before.filter((p) => p.spec?.nodeName === silent.name);
    expect(stranded.length).toBeGreaterThan(0);
    const strandedUids = stranded.map((p) => p.metadata.uid!);
    for (const uid of strandedUids) expect(await runtimePodUids(silent)).toContain(uid);

    // The agent stops (its containerd and pods do not): no lease renewals, no status.
    silent.proc!.kill("SIGSTOP");
    const stoppedAt = Date.now();
    const since = () => `${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`;
    const figures: string[] = [];
    try {
      const unknown = await waitFor(`${silent.name} Ready=Unknown with the unreachable taint`, async () => {
        const node = await api<Node>(`/api/v1/nodes/${silent.name}`);
        return readyStatus(node) === "Unknown" && node.spec?.taints?.some((t) => t.key === UNREACHABLE && t.effect === "NoExecute") && node;
      }, (GRACE_SECONDS + 20) * 1000);
      figures.push(`Ready=Unknown after ${since()}`);
      expect(unknown.spec!.taints!.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);

      // Evicted after tolerationSeconds, recreated on the healthy node, and serving there.
      const moved = await waitFor("2 replicas running on the healthy node", async () => {
        const pods = await podsOfApp();
        if (pods.some((p) => strandedUids.includes(p.metadata.uid!))) return false;
        const running = runningOn(pods, healthy.name);
        return running.length === 2 && running;
      }, 60_000);
      figures.push(`replicas running on ${healthy.name} after ${since()}`);
      for (const pod of moved) {
        expect(await waitFor(`${pod.metadata.name} serves HTTP`, () => cluster.inNetns(healthy, ["curl", "-sf", "-m", "2", `http://${pod.status!.podIP}/`]))).toBe(`${pod.metadata.name}\n`);
      }
      // The silent node's containerd still runs the evicted pods: nobody there has removed them yet.
      const leftovers = await runtimePodUids(silent);
      for (const uid of strandedUids) expect(leftovers).toContain(uid);
    } finally {
      silent.proc!.kill("SIGCONT");
      figures.push(`agent continued after ${since()}`);
    }

    // Back: the agent finds its pods gone from the API and removes what is left of them.
    await waitFor("the evicted pods' sandboxes and containers removed", async () => {
      const uids = await runtimePodUids(silent);
      return strandedUids.every((uid) => !uids.has(uid));
    }, 60_000);
    figures.push(`stale sandboxes gone after ${since()}`);
    const back = await waitFor(`${silent.name} Ready again, untainted`, async () => {
      const node = await api<Node>(`/api/v1/nodes/${silent.name}`);
      return readyStatus(node) === "True" && !node.spec?.taints?.some((t) => t.key === UNREACHABLE) && node;
    }, 40_000);
    expect(back.metadata.name).toBe(silent.name);
    // Nothing moved back or doubled: the replicas still run on the healthy node.
    expect(runningOn(await podsOfApp(), healthy.name)).toHaveLength(2);
    console.log(`node-outage: ${stranded.length} pod(s) on ${silent.name}, agent stopped (grace ${GRACE_SECONDS} s, tolerationSeconds ${TOLERATION_SECONDS}): ${figures.join("; ")}; Ready again after ${since()}`);
  }, 240_000);
});
