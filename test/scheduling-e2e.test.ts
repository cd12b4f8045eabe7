// Pod-to-pod placement and preemption with real pods: two agents, each in its own network
// namespace with its own containerd, the scheduler and controllers in the server. Anti-affinity
// keeps two replicas of a Deployment apart and leaves the third Pending in kube-scheduler's words;
// a zone spread constraint splits replicas over the nodes' topology.kubernetes.io/zone labels; a
// high-priority pod preempts a low-priority one, which gets DisruptionTarget and terminates.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Pod } from "../src/apis/index.ts";
import { ndjson } from "../src/client/ndjson.ts";
import { startNetnsCluster, type NetnsCluster } from "./helpers/netns-cluster.ts";

type Json = any;

let cluster: NetnsCluster;
beforeAll(async () => {
  cluster = await startNetnsCluster({
    tag: "sc",
    nodes: 2,
    subnet: "172.31.231",
    podCIDRs: ["10.214.4.0/24", "10.214.5.0/24"],
    serverOptions: { controllers: { workers: 2 }, scheduler: {} },
  });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 120_000);

const kubectl = (args: string[], stdin?: string) => cluster.server.kubectlOk(args, stdin);
const apply = (obj: Json) => kubectl(["apply", "-f", "-"], JSON.stringify(obj));
const podsOf = async (selector: string): Promise<Pod[]> => JSON.parse(await kubectl(["get", "pods", "-l", selector, "-o", "json"])).items;
const gone = (selector: string) => cluster.waitFor(`pods ${selector} gone`, async () => (await podsOf(selector)).length === 0, 60_000);

function deployment(name: string, replicas: number, spec: Json): Json {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "c", image: "local/busybox:1", command: ["sleep", "3600"] }], ...spec },
      },
    },
  };
}

test("required anti-affinity keeps two replicas apart and leaves the third Pending", async () => {
  await apply(deployment("db", 3, {
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "db" } }, topologyKey: "kubernetes.io/hostname" }] } },
  }));
  const pods = await cluster.waitFor("two db replicas running, one pending", async () => {
    const ps = await podsOf("app=db");
    const running = ps.filter((p) => p.status?.phase === "Running");
    const pending = ps.filter((p) => p.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "False"));
    return ps.length === 3 && running.length === 2 && pending.length === 1 && { running, pending };
  }, 90_000);
  expect(new Set(pods.running.map((p) => p.spec?.nodeName)).size).toBe(2);
  const cond = pods.pending[0]!.status!.conditions!.find((c) => c.type === "PodScheduled")!;
  expect(cond.reason).toBe("Unschedulable");
  expect(cond.message).toBe(
    "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
  );
  const events = await cluster.waitFor("FailedScheduling event", async () => {
    const items = JSON.parse(await kubectl(["get", "events", "--field-selector", `involvedObject.name=${pods.pending[0]!.metadata.name}`, "-o", "json"])).items as Json[];
    return items.find((e) => e.reason === "FailedScheduling");
  });
  expect(events.message).toBe(cond.message);
  await kubectl(["delete", "deployment", "db"]);
  await gone("app=db");
}, 150_000);

test("a zone spread constraint splits replicas over the zones", async () => {
  const [a, b] = cluster.nodes;
  await kubectl(["label", "node", a!.name, "topology.kubernetes.io/zone=zone-a"]);
  await kubectl(["label", "node", b!.name, "topology.kubernetes.io/zone=zone-b"]);
  await apply(deployment("web", 4, {
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } }],
  }));
  const running = await cluster.waitFor("four web replicas running", async () => {
    const ps = (await podsOf("app=web")).filter((p) => p.status?.phase === "Running");
    return ps.length === 4 && ps;
  }, 90_000);
  const perNode = (n: string) => running.filter((p) => p.spec?.nodeName === n).length;
  expect([perNode(a!.name), perNode(b!.name)]).toEqual([2, 2]);
  await kubectl(["delete", "deployment", "web"]);
  await gone("app=web");
}, 150_000);

test("a high-priority pod preempts a low-priority one", async () => {
  await apply({ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "sc-high" }, value: 100000, description: "e2e" });
  await apply({ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "sc-low" }, value: -10 });
  const millis = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
  const nodes = JSON.parse(await kubectl(["get", "nodes", "-o", "json"])).items as Json[];
  // Each node nearly full of a low-priority pod; the high-priority pod then fits nowhere.
  for (const n of nodes) {
    const cpu = millis(n.status.allocatable.cpu);
    await apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `low-${n.metadata.name}`, labels: { tier: "low" } },
      spec: {
        priorityClassName: "sc-low",
        nodeSelector: { "kubernetes.io/hostname": n.metadata.name },
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "c", image: "local/busybox:1", command: ["sleep", "3600"], resources: { requests: { cpu: `${cpu - 200}m` } } }],
      },
    });
  }
  await cluster.waitFor("low pods running", async () => {
    const ps = await podsOf("tier=low");
    return ps.length === 2 && ps.every((p) => p.status?.phase === "Running");
  }, 60_000);
  // A watch on the low pods sees the victim's DisruptionTarget before it goes.
  const victimStates: Pod[] = [];
  const watch = cluster.server.api("/api/v1/namespaces/default/pods?watch=1&labelSelector=tier%3Dlow");
  const watching = (async () => {
    const res = await watch;
    for await (const value of ndjson(res.body!)) {
      const ev = value as { type: string; object: Pod };
      victimStates.push(ev.object);
      if (ev.type === "DELETED") return; // leaving the loop cancels the watch
    }
  })();
  await apply({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "urgent" },
    spec: {
      priorityClassName: "sc-high",
      terminationGracePeriodSeconds: 1,
      containers: [{ name: "c", image: "local/busybox:1", command: ["sleep", "3600"], resources: { requests: { cpu: "500m" } } }],
    },
  });
  const urgent = await cluster.waitFor("urgent running", async () => {
    const p: Pod = JSON.parse(await kubectl(["get", "pod", "urgent", "-o", "json"]));
    return p.status?.phase === "Running" && p;
  }, 90_000);
  await watching;
  expect(urgent.spec?.priority).toBe(100000);
  expect((urgent.status as Json).nominatedNodeName).toBe(urgent.spec?.nodeName);
  const victim = `low-${urgent.spec?.nodeName}`;
  const marked = victimStates.find((p) => p.metadata.name === victim && p.status?.conditions?.some((c) => c.type === "DisruptionTarget"));
  expect(marked?.status?.conditions?.find((c) => c.type === "DisruptionTarget")).toMatchObject({ status: "True", reason: "PreemptionByScheduler" });
  // Only the one victim: the other low pod still runs.
  const left = await podsOf("tier=low");
  expect(left.map((p) => p.metadata.name)).toEqual(nodes.map((n) => `low-${n.metadata.name}`).filter((n) => n !== victim));
  const preempted = await cluster.waitFor("Preempted event", async () => {
    const items = JSON.parse(await kubectl(["get", "events", "--field-selector", `involvedObject.name=${victim}`, "-o", "json"])).items as Json[];
    return items.find((e) => e.reason === "Preempted");
  });
  expect(preempted.message).toBe(`Preempted by pod ${urgent.metadata.uid} on node ${urgent.spec?.nodeName}`);
}, 180_000);
