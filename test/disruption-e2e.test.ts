// Disruptions on two real nodes (agents in their own network namespaces, real containerd):
// a PodDisruptionBudget's status from real pods, an eviction kubectl is refused with 429,
// `kubectl drain` moving a Deployment's pods to the other node while the budget keeps one
// available (drain blocks on 429, then proceeds), cordon/uncordon; and on a real pod, a
// condition another client adds survives the agent's status writes, readiness gates hold Ready
// until their condition is True, and gRPC probes ask a real pod's health service
// (local/bun-grpc-health:1, a gRPC health server in a container).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { containerdPaths } from "../agent/containerd.ts";
import { buildGrpcHealthImage, GRPC_HEALTH_IMAGE } from "./helpers/grpc-health-image.ts";
import { run } from "./helpers/netns-cluster.ts";
import type { Pod } from "../src/apis/core/pod.ts";
import type { PodDisruptionBudget } from "../src/apis/policy/poddisruptionbudget.ts";
import { startNetnsCluster, type NetnsCluster } from "./helpers/netns-cluster.ts";

let cluster: NetnsCluster;
beforeAll(async () => {
  cluster = await startNetnsCluster({
    tag: "dr",
    nodes: 2,
    subnet: "172.31.232",
    podCIDRs: ["10.214.7.0/24", "10.214.8.0/24"],
    serverOptions: { controllers: { workers: 2 }, scheduler: {} },
  });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 120_000);

const kubectl = (args: string[], stdin?: string) => cluster.server.kubectlOk(args, stdin);

async function get<T>(path: string): Promise<T> {
  return (await (await cluster.server.api(path)).json()) as T;
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

async function webPods(): Promise<Pod[]> {
  return (await get<{ items: Pod[] }>("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")).items.filter((p) => !p.metadata.deletionTimestamp);
}

const pdb = () => get<PodDisruptionBudget>("/apis/policy/v1/namespaces/default/poddisruptionbudgets/web");

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "c", image: "local/busybox:1", command: ["sleep", "3600"], volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] }],
        // Local data: drain refuses such pods unless told --delete-emptydir-data.
        volumes: [{ name: "scratch", emptyDir: {} }],
      },
    },
  },
};

describe("PodDisruptionBudget, eviction and drain", () => {
  test("a budget counts the Deployment's pods; an eviction that would break it is refused with 429", async () => {
    // Both replicas on dr-1: the other node is cordoned while they are placed.
    await kubectl(["cordon", "dr-2"]);
    expect((await get<{ spec: { unschedulable?: boolean } }>("/api/v1/nodes/dr-2")).spec.unschedulable).toBe(true);
    await kubectl(["apply", "-f", "-"], JSON.stringify(deployment));
    await cluster.waitFor("two ready pods on dr-1", async () => {
      const pods = await webPods();
      return pods.length === 2 && pods.every((p) => isReady(p) && p.spec?.nodeName === "dr-1");
    }, 90_000);
    await kubectl(["uncordon", "dr-2"]);
    expect((await get<{ spec: { unschedulable?: boolean } }>("/api/v1/nodes/dr-2")).spec.unschedulable).toBeFalsy();

    await kubectl(["create", "pdb", "web", "--selector=app=web", "--min-available=2"]);
    await cluster.waitFor("the budget counted", async () => (await pdb()).status?.currentHealthy === 2);
    expect((await pdb()).status).toMatchObject({ currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0, observedGeneration: 1 });
    const table = (await kubectl(["get", "pdb", "web"])).split("\n");
    expect(table[0]).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    expect(table[1]).toMatch(/^web\s+2\s+N\/A\s+0\s+\d+s$/);

    const victim = (await webPods())[0]!.metadata.name!;
    const eviction = JSON.stringify({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: victim, namespace: "default" } });
    const refused = await cluster.server.kubectl(["create", "--raw", `/api/v1/namespaces/default/pods/${victim}/eviction`, "-f", "-"], { stdin: eviction });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect((await webPods()).map((p) => p.metadata.name)).toContain(victim);

    await kubectl(["patch", "pdb", "web", "--type=merge", "-p", '{"spec":{"minAvailable":1}}']);
    await cluster.waitFor("one disruption allowed", async () => (await pdb()).status?.disruptionsAllowed === 1);
    expect((await pdb()).status?.conditions?.find((c) => c.type === "DisruptionAllowed")).toMatchObject({ status: "True", reason: "SufficientPods" });
  }, 150_000);

  test("kubectl drain moves the pods to the other node, one at a time as the budget allows", async () => {
    // Watch the ready count all along: the budget must keep one pod ready throughout.
    let minReady = 2;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const ready = (await webPods()).filter(isReady).length;
        minReady = Math.min(minReady, ready);
        await Bun.sleep(100);
      }
    })();
    const drain = await cluster.server.kubectl(["drain", "dr-1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=150s"]);
    sampling = false;
    await sampler;
    expect(drain.stderr + drain.stdout).toContain("node/dr-1 drained");
    expect(drain.code).toBe(0);
    // The second eviction met the budget and waited (kubectl retries a 429 every 5 s).
    expect(drain.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(minReady).toBeGreaterThanOrEqual(1);

    const pods = await webPods();
    expect(pods.length).toBe(2);
    expect(pods.every((p) => p.spec?.nodeName === "dr-2")).toBe(true);
    expect((await get<{ spec: { unschedulable?: boolean } }>("/api/v1/nodes/dr-1")).spec.unschedulable).toBe(true);
    await cluster.waitFor("the budget recovers", async () => (await pdb()).status?.disruptionsAllowed === 1 && !(await pdb()).status?.disruptedPods, 60_000);
    await kubectl(["uncordon", "dr-1"]);
    await kubectl(["delete", "deployment", "web"]);
    await kubectl(["delete", "pdb", "web"]);
  }, 200_000);
});

describe("pod conditions on a real pod", () => {
  test("another writer's condition survives the agent's writes; a readiness gate holds Ready until its condition is True", async () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "gated" },
      spec: {
        nodeName: "dr-2",
        terminationGracePeriodSeconds: 1,
        readinessGates: [{ conditionType: "example.io/lb" }],
        containers: [{ name: "c", image: "local/busybox:1", command: ["sleep", "3600"] }],
      },
    };
    await kubectl(["apply", "-f", "-"], JSON.stringify(pod));
    const gated = () => get<Pod>("/api/v1/namespaces/default/pods/gated");
    const cond = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);
    await cluster.waitFor("containers ready, pod held by its gate", async () => cond(await gated(), "ContainersReady")?.status === "True", 60_000);
    expect(cond(await gated(), "Ready")).toMatchObject({
      status: "False",
      reason: "ReadinessGatesNotReady",
      message: 'corresponding condition of pod readiness gate "example.io/lb" does not exist.',
    });

    // A condition of someone else's, added with a patch of the status subresource.
    await kubectl(["patch", "pod", "gated", "--subresource=status", "-p", '{"status":{"conditions":[{"type":"example.io/Foo","status":"True","reason":"Mine"}]}}']);
    // The gate's condition, with server-side apply as a load-balancer controller would.
    const applied = { apiVersion: "v1", kind: "Pod", metadata: { name: "gated" }, status: { conditions: [{ type: "example.io/lb", status: "True" }] } };
    await kubectl(["apply", "--server-side", "--subresource=status", "--field-manager=lb-controller", "-f", "-"], JSON.stringify(applied));
    // The agent notices the gate and writes Ready=True: a status write of its own after both.
    await cluster.waitFor("Ready once the gate is True", async () => cond(await gated(), "Ready")?.status === "True", 60_000);
    const after = await gated();
    expect(cond(after, "example.io/Foo")).toMatchObject({ status: "True", reason: "Mine" });
    expect(cond(after, "example.io/lb")).toMatchObject({ status: "True" });
    expect(cond(after, "Ready")?.reason).toBeUndefined();

    // The gate turning False takes Ready away again.
    await kubectl(["patch", "pod", "gated", "--subresource=status", "-p", '{"status":{"conditions":[{"type":"example.io/lb","status":"False"}]}}']);
    await cluster.waitFor("unready when the gate is False", async () => cond(await gated(), "Ready")?.status === "False", 60_000);
    expect(cond(await gated(), "Ready")?.message).toBe('the status of pod readiness gate "example.io/lb" is not "True", but False');
    expect(cond(await gated(), "example.io/Foo")?.status).toBe("True");
    await kubectl(["delete", "pod", "gated"]);
  }, 150_000);
});

describe("gRPC probes on a real pod", () => {
  test("a SERVING service passes readiness; a NOT_SERVING one fails readiness and liveness", async () => {
    const tar = await buildGrpcHealthImage();
    const node = cluster.nodes[1]!;
    copyFileSync(tar, join(node.dataDir, "images", "bun-grpc-health.tar"));
    // The agent imports new tarballs every few seconds: wait until containerd has it.
    const socket = containerdPaths(node.dataDir).socket;
    await cluster.waitFor("the image imported", async () => (await run(["ctr", "--address", socket, "-n", "k8s.io", "images", "ls", "-q"])).includes(GRPC_HEALTH_IMAGE.split("/")[1]!), 90_000);

    const probe = (service: string) => ({ grpc: { port: 50051, service }, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 2 });
    const pod = (name: string, probes: object) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: {
        nodeName: node.name,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "health", image: GRPC_HEALTH_IMAGE, imagePullPolicy: "Never", env: [{ name: "NOT_SERVING", value: "db" }], ...probes }],
      },
    });
    await kubectl(["apply", "-f", "-"], JSON.stringify(pod("grpc-ok", { readinessProbe: probe("") })));
    await kubectl(["apply", "-f", "-"], JSON.stringify(pod("grpc-unready", { readinessProbe: probe("db") })));
    await kubectl(["apply", "-f", "-"], JSON.stringify(pod("grpc-dead", { livenessProbe: probe("db") })));
    const pods = (name: string) => get<Pod>(`/api/v1/namespaces/default/pods/${name}`);
    const events = async (name: string) => {
      const listed = await get<{ items: { reason: string; message: string }[] }>(`/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${name}`);
      return listed.items.map((e) => `${e.reason}: ${e.message}`);
    };
    await cluster.waitFor("the SERVING pod ready", async () => isReady(await pods("grpc-ok")), 90_000);
    await cluster.waitFor("the NOT_SERVING pod restarted by its liveness probe", async () => ((await pods("grpc-dead")).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 90_000);
    expect(await events("grpc-dead")).toContain('Unhealthy: Liveness probe failed: service unhealthy (responded with "NOT_SERVING")');
    await cluster.waitFor("the readiness failure reported", async () => (await events("grpc-unready")).includes('Unhealthy: Readiness probe failed: service unhealthy (responded with "NOT_SERVING")'), 60_000);
    const unready = await pods("grpc-unready");
    expect(unready.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    expect(isReady(unready)).toBe(false);
    expect(unready.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    await kubectl(["delete", "pod", "grpc-ok", "grpc-unready", "grpc-dead"]);
  }, 240_000);
});
