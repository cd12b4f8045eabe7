// The daemonset controller's sync against seeded caches and fake writers: no server.
import { describe, expect, test } from "bun:test";
import type { ControllerRevision } from "../apis/apps/controllerrevision.ts";
import { defaultDaemonSet, type DaemonSet, type DaemonSetStatus } from "../apis/apps/daemonset.ts";
import type { Node } from "../apis/core/node.ts";
import type { Pod } from "../apis/core/pod.ts";
import { ObjectCache } from "../client/index.ts";
import { fakeRevisionControl } from "./controller-history-testing.ts";
import { DaemonSetController } from "./daemonset.ts";
import { nodeShouldRunDaemonPod } from "./daemonset-util.ts";

const node = (name: string, extra: Partial<Node["spec"]> = {}, labels: Record<string, string> = {}): Node => ({ metadata: { name, labels }, spec: { ...extra } });

function setup(nodes: Node[], spec: Record<string, unknown> = {}) {
  const daemonSets = new ObjectCache<DaemonSet>();
  const pods = new ObjectCache<Pod>();
  const nodeCache = new ObjectCache<Node>();
  const revisions = new ObjectCache<ControllerRevision>();
  nodes.forEach((n) => nodeCache.set(n));
  const ds: DaemonSet = {
    metadata: { name: "agent", namespace: "ns", uid: "ds-uid", generation: 1 },
    spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "c", image: "v1" }] } }, ...spec } as DaemonSet["spec"],
  };
  defaultDaemonSet(ds);
  daemonSets.set(ds);
  let seq = 0;
  let clock = Date.parse("2025-01-01T00:00:00Z");
  const statuses: DaemonSetStatus[] = [];
  const c = new DaemonSetController({
    daemonSets,
    pods,
    nodes: nodeCache,
    revisions,
    podControl: {
      async createPod(namespace, template, _owner, ref) {
        const pod: Pod = {
          metadata: { name: `agent-${seq}`, uid: `p${seq++}`, namespace, labels: template.metadata?.labels, ownerReferences: [ref], creationTimestamp: new Date(clock + seq).toISOString() },
          spec: template.spec,
          status: { phase: "Pending" },
        };
        pods.set(pod);
        return pod;
      },
      async deletePod(ns, name) {
        pods.delete(`${ns}/${name}`);
      },
    },
    revisionControl: fakeRevisionControl(revisions),
    owners: { setOwnerReferences: async (_r, obj, refs) => ({ ...obj, metadata: { ...obj.metadata, ownerReferences: refs } }) },
    writeStatus: async (d, s) => {
      statuses.push(s);
      daemonSets.set({ ...d, status: s });
    },
    now: () => new Date(clock),
  });
  const sync = async () => {
    await c.sync("ns/agent");
    // The informer delivers what the fakes wrote.
    for (const _ of pods.list()) c.expectations.creationObserved("ns/agent");
    c.expectations.delete("ns/agent");
  };
  const ready = () => {
    for (const p of pods.list()) pods.set({ ...p, spec: { ...p.spec!, nodeName: p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchFields![0]!.values![0] }, status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: new Date(clock).toISOString() }] } });
  };
  const setTemplate = (image: string) => {
    const cur = daemonSets.get("ns", "agent")!;
    const next = structuredClone(cur);
    next.spec!.template.spec!.containers[0]!.image = image;
    next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    daemonSets.set(next);
  };
  const images = () => pods.list().map((p) => `${p.spec?.nodeName}:${p.spec!.containers[0]!.image}`).sort();
  return { c, sync, pods, revisions, daemonSets, statuses, ready, setTemplate, images, advance: (ms: number) => void (clock += ms) };
}

describe("DaemonSet", () => {
  test("one pod per eligible node, pinned by node affinity with the daemon tolerations; status counts", async () => {
    const h = setup([node("a"), node("b", { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] }), node("c", { unschedulable: true })]);
    await h.sync();
    const pods = h.pods.list();
    expect(pods).toHaveLength(2);
    const pinned = pods.map((p) => p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchFields![0]!.values![0]).sort();
    expect(pinned).toEqual(["a", "c"]);
    expect(pods[0]!.spec!.tolerations!.map((t) => t.key)).toContain("node.kubernetes.io/unschedulable");
    const [rev] = h.revisions.list();
    expect(rev!.revision).toBe(1);
    expect(pods[0]!.metadata.labels!["controller-revision-hash"]).toBe(rev!.metadata.labels!["controller-revision-hash"]);
    expect(rev!.data).toMatchObject({ spec: { template: { $patch: "replace" } } });
    h.ready();
    await h.sync();
    expect(h.statuses.at(-1)).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberAvailable: 2, updatedNumberScheduled: 2, numberMisscheduled: 0, observedGeneration: 1 });
  });

  test("a node that stops matching the nodeSelector loses its pod", async () => {
    const h = setup([node("a", {}, { role: "edge" }), node("b", {}, { role: "edge" })], {});
    const ds = h.daemonSets.get("ns", "agent")!;
    ds.spec!.template.spec!.nodeSelector = { role: "edge" };
    await h.sync();
    expect(h.pods.list()).toHaveLength(2);
    h.ready();
    const nodes = (h.c as unknown as { deps: { nodes: ObjectCache<Node> } }).deps.nodes;
    nodes.set(node("b", {}, { role: "core" }));
    await h.sync();
    expect(h.images()).toEqual(["a:v1"]);
  });

  test("rolling update replaces maxUnavailable pods at a time; a rollback renumbers the old revision", async () => {
    const h = setup([node("a"), node("b"), node("c")]);
    await h.sync();
    h.ready();
    h.setTemplate("v2");
    await h.sync();
    // One old pod went; its replacement comes on the next pass.
    expect(h.images().filter((i) => i.endsWith("v1"))).toHaveLength(2);
    for (let i = 0; i < 6; i++) {
      await h.sync();
      h.ready();
    }
    expect(h.images()).toEqual(["a:v2", "b:v2", "c:v2"]);
    expect(h.revisions.list().map((r) => r.revision).sort()).toEqual([1, 2]);
    h.setTemplate("v1");
    for (let i = 0; i < 8; i++) {
      await h.sync();
      h.ready();
    }
    expect(h.images()).toEqual(["a:v1", "b:v1", "c:v1"]);
    // Back to revision 1's template: that revision is now number 3, no new one was made.
    const revs = h.revisions.list().map((r) => [r.revision, r.metadata.name]).sort();
    expect(revs.map(([n]) => n)).toEqual([2, 3]);
    expect(h.statuses.at(-1)).toMatchObject({ updatedNumberScheduled: 3, numberAvailable: 3, observedGeneration: 3 });
  });

  test("maxSurge starts the new pod before the old one goes", async () => {
    const h = setup([node("a")], { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    await h.sync();
    h.ready();
    h.setTemplate("v2");
    await h.sync();
    expect(h.pods.list().map((p) => p.spec!.containers[0]!.image).sort()).toEqual(["v1", "v2"]);
    h.ready();
    await h.sync();
    expect(h.images()).toEqual(["a:v2"]);
  });

  test("OnDelete leaves old pods until someone deletes them", async () => {
    const h = setup([node("a")], { updateStrategy: { type: "OnDelete" } });
    await h.sync();
    h.ready();
    h.setTemplate("v2");
    await h.sync();
    expect(h.images()).toEqual(["a:v1"]);
    h.pods.delete(`ns/${h.pods.list()[0]!.metadata.name}`);
    await h.sync();
    expect(h.pods.list().map((p) => p.spec!.containers[0]!.image)).toEqual(["v2"]);
  });

  test("a failed daemon pod is replaced after a back-off", async () => {
    const h = setup([node("a")]);
    await h.sync();
    const [pod] = h.pods.list();
    h.pods.set({ ...pod!, status: { phase: "Failed" } });
    await h.sync();
    expect(h.pods.list()).toHaveLength(0);
    await h.sync();
    const [second] = h.pods.list();
    h.pods.set({ ...second!, status: { phase: "Failed" } });
    await h.sync();
    // The second failure on the node within the back-off waits.
    expect(h.pods.list()).toHaveLength(1);
  });
});

describe("nodeShouldRunDaemonPod", () => {
  const ds = (tolerations: unknown[] = [], extra: Record<string, unknown> = {}): DaemonSet => ({
    metadata: { name: "d" },
    spec: { selector: {}, template: { spec: { containers: [], tolerations, ...extra } } } as unknown as DaemonSet["spec"],
  });
  test.each<[string, Node, DaemonSet, boolean, boolean]>([
    ["a plain node", node("n"), ds(), true, true],
    ["cordoned (the daemon tolerates unschedulable)", node("n", { unschedulable: true, taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }] }), ds(), true, true],
    ["not ready (NoExecute tolerated)", node("n", { taints: [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }] }), ds(), true, true],
    ["an untolerated NoSchedule taint keeps a running pod", node("n", { taints: [{ key: "gpu", effect: "NoSchedule" }] }), ds(), false, true],
    ["an untolerated NoExecute taint evicts", node("n", { taints: [{ key: "gpu", effect: "NoExecute" }] }), ds(), false, false],
    ["a tolerated taint", node("n", { taints: [{ key: "gpu", effect: "NoExecute" }] }), ds([{ key: "gpu", operator: "Exists" }]), true, true],
    ["nodeSelector mismatch", node("n"), ds([], { nodeSelector: { disk: "ssd" } }), false, false],
    ["network-unavailable with hostNetwork", node("n", { taints: [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }] }), ds([], { hostNetwork: true }), true, true],
  ])("%s", (_name, n, d, shouldRun, shouldContinueRunning) => {
    expect(nodeShouldRunDaemonPod(n, d)).toEqual({ shouldRun, shouldContinueRunning });
  });
});
