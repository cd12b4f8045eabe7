// The disruption controller's status math (a table) and its sync against seeded caches.
import { describe, expect, test } from "bun:test";
import type { Pod } from "../apis/core/pod.ts";
import type { Deployment } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from "../apis/policy/poddisruptionbudget.ts";
import { evictionBreaksBudget, pdbsCoveringPod } from "../apis/policy/disruption.ts";
import { ObjectCache } from "../client/index.ts";
import { computePdbStatus, DELETION_TIMEOUT_MS, STALE_DISRUPTION_MS, staleDisruptionWait } from "./disruption-status.ts";
import { DisruptionController, listerScaleFinder } from "./disruption.ts";

const NOW = new Date("2026-01-01T00:10:00Z");

function fixture() {
  const deployments = new ObjectCache<Deployment>();
  const replicaSets = new ObjectCache<ReplicaSet>();
  const statefulSets = new ObjectCache<KubeObject & { spec?: { replicas?: number } }>();
  deployments.set({ metadata: { name: "web", namespace: "ns", uid: "d1" }, spec: { replicas: 4 } } as Deployment);
  replicaSets.set({
    metadata: { name: "web-1", namespace: "ns", uid: "rs1", ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d1", controller: true }] },
    spec: { replicas: 3 },
  } as unknown as ReplicaSet);
  replicaSets.set({ metadata: { name: "solo", namespace: "ns", uid: "rs2" }, spec: { replicas: 2 } } as unknown as ReplicaSet);
  statefulSets.set({ metadata: { name: "db", namespace: "ns", uid: "s1" }, spec: { replicas: 5 } });
  return { deployments, replicaSets, statefulSets, find: listerScaleFinder({ deployments, replicaSets, statefulSets }) };
}

const owner = (kind: string, name: string, uid: string) => [{ apiVersion: "apps/v1", kind, name, uid, controller: true }];

function pod(name: string, opts: { ready?: boolean; deleting?: boolean; owner?: ReturnType<typeof owner>; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: {
      name, namespace: "ns", labels: opts.labels ?? { app: "web" }, ownerReferences: opts.owner ?? owner("ReplicaSet", "web-1", "rs1"),
      ...(opts.deleting && { deletionTimestamp: "2026-01-01T00:09:00Z" }),
    },
    status: { phase: "Running", conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] },
  } as Pod;
}

const pdb = (spec: PodDisruptionBudget["spec"], status?: Partial<PodDisruptionBudgetStatus>): PodDisruptionBudget =>
  ({ metadata: { name: "b", namespace: "ns", generation: 2 }, spec: { selector: { matchLabels: { app: "web" } }, ...spec }, status }) as PodDisruptionBudget;

describe("computePdbStatus", () => {
  const four = [pod("a"), pod("b"), pod("c", { ready: false }), pod("d", { deleting: true })];
  test.each([
    ["minAvailable int: expected is the pods selected", { minAvailable: 2 }, four, { expectedPods: 4, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 }],
    ["minAvailable percent: expected from the Deployment's replicas (not the ReplicaSet's)", { minAvailable: "50%" }, four, { expectedPods: 4, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 }],
    ["maxUnavailable int", { maxUnavailable: 1 }, [pod("a"), pod("b"), pod("c"), pod("d")], { expectedPods: 4, desiredHealthy: 3, currentHealthy: 4, disruptionsAllowed: 1 }],
    ["maxUnavailable percent rounds up", { maxUnavailable: "30%" }, [pod("a"), pod("b"), pod("c"), pod("d")], { expectedPods: 4, desiredHealthy: 2, currentHealthy: 4, disruptionsAllowed: 2 }],
    ["a StatefulSet and a bare ReplicaSet add up", { maxUnavailable: 0 }, [pod("s", { owner: owner("StatefulSet", "db", "s1") }), pod("r", { owner: owner("ReplicaSet", "solo", "rs2") })], { expectedPods: 7, desiredHealthy: 7, currentHealthy: 2, disruptionsAllowed: 0 }],
    ["no selector selects nothing", { selector: null, minAvailable: 1 }, four, { expectedPods: 0, desiredHealthy: 1, currentHealthy: 0, disruptionsAllowed: 0 }],
  ])("%s", (_name, spec, pods, want) => {
    const { status } = computePdbStatus(pdb(spec as PodDisruptionBudget["spec"]), pods, fixture().find, NOW);
    expect(status).toMatchObject({ ...want, observedGeneration: 2 });
    const cond = status.conditions!.find((c) => c.type === "DisruptionAllowed")!;
    expect(cond).toMatchObject(want.disruptionsAllowed > 0 ? { status: "True", reason: "SufficientPods" } : { status: "False", reason: "InsufficientPods" });
  });

  test("a pod owned by no known controller fails safe: nothing allowed, SyncFailed with the reason", () => {
    const r = computePdbStatus(pdb({ maxUnavailable: 1 }, { disruptionsAllowed: 3 }), [pod("j", { owner: owner("DaemonSet", "x", "x1") })], fixture().find, NOW);
    expect(r.failure).toBe('found no controllers for pod "j"');
    expect(r.status.disruptionsAllowed).toBe(0);
    expect(r.status.conditions![0]).toMatchObject({ status: "False", reason: "SyncFailed", message: 'found no controllers for pod "j"' });
  });

  test("unmanaged pods are skipped from the expected count and reported", () => {
    const r = computePdbStatus(pdb({ minAvailable: "100%" }), [pod("a"), pod("bare", { owner: [] })], fixture().find, NOW);
    expect(r.unmanaged).toEqual(["bare"]);
    expect(r.status.expectedPods).toBe(4);
  });

  test("disruptedPods: a recent eviction stops counting as healthy until it times out; gone pods are forgotten", () => {
    const recent = new Date(NOW.getTime() - 30_000).toISOString();
    const old = new Date(NOW.getTime() - DELETION_TIMEOUT_MS - 1).toISOString();
    const r = computePdbStatus(pdb({ minAvailable: 1 }, { disruptedPods: { a: recent, b: old, gone: recent } }), [pod("a"), pod("b"), pod("c")], fixture().find, NOW);
    expect(r.status.disruptedPods).toEqual({ a: recent });
    expect(r.status.currentHealthy).toBe(2);
    expect(r.recheckAt).toBe(Date.parse(recent) + DELETION_TIMEOUT_MS);
  });
});

describe("DisruptionController.sync", () => {
  test("writes the status when it changed, and only then; warns of unmanaged pods", async () => {
    const pdbs = new ObjectCache<PodDisruptionBudget>();
    const pods = new ObjectCache<Pod>();
    const written: PodDisruptionBudgetStatus[] = [];
    const events: string[] = [];
    const c = new DisruptionController({
      pdbs, pods, scales: fixture().find, now: () => NOW,
      recorder: { event: (_o, _t, reason) => events.push(reason) },
      status: { async writeStatus(p, status) { written.push(status); pdbs.set({ ...p, status }); }, async clearDisruptionTarget() {} },
    });
    pdbs.set(pdb({ maxUnavailable: 1 }));
    for (const n of ["a", "b", "c", "d"]) pods.set(pod(n));
    await c.sync("ns/b");
    expect(written.at(-1)).toMatchObject({ disruptionsAllowed: 1, currentHealthy: 4, desiredHealthy: 3, expectedPods: 4 });
    await c.sync("ns/b");
    expect(written.length).toBe(1);
    const since = written[0]!.conditions![0]!.lastTransitionTime;
    pods.set(pod("d", { ready: false }));
    await c.sync("ns/b");
    expect(written.at(-1)).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 3 });
    expect(written.at(-1)!.conditions![0]!.status).toBe("False");
    pods.set(pod("bare", { owner: [] }));
    await c.sync("ns/b");
    expect(events).toContain("UnmanagedPods");
    expect(since).toBe(NOW.toISOString().replace(".000Z", "Z"));
  });
});

describe("which budgets cover a pod (for eviction and preemption)", () => {
  test("an empty selector covers nothing; evictionBreaksBudget follows the budget's status", () => {
    const p = pod("a");
    const empty = { ...pdb({ minAvailable: 1 }), spec: { selector: {}, minAvailable: 1 } } as PodDisruptionBudget;
    expect(pdbsCoveringPod(p, [empty])).toEqual([]);
    const tight = pdb({ minAvailable: 1 }, { observedGeneration: 2, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    const loose = pdb({ minAvailable: 1 }, { observedGeneration: 2, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });
    expect(evictionBreaksBudget(p, [tight])).toBe(true);
    expect(evictionBreaksBudget(p, [loose])).toBe(false);
    expect(evictionBreaksBudget({ ...p, status: { phase: "Pending" } } as Pod, [tight])).toBe(false);
  });
});

describe("stale DisruptionTarget marks", () => {
  const marked = (since: Date, opts: { reason?: string; phase?: string; deleting?: boolean } = {}) => {
    const p = pod("a", { deleting: opts.deleting });
    p.status = { phase: (opts.phase ?? "Running") as "Running", conditions: [{ type: "DisruptionTarget", status: "True", reason: opts.reason ?? "EvictionByEvictionAPI", lastTransitionTime: since.toISOString() }] };
    return p;
  };
  test.each([
    ["a fresh eviction mark waits out the rest of the two minutes", marked(new Date(NOW.getTime() - 30_000)), STALE_DISRUPTION_MS - 30_000],
    ["an old one is stale now", marked(new Date(NOW.getTime() - STALE_DISRUPTION_MS - 1)), 0],
    ["kubelet's own mark never is", marked(new Date(0), { reason: "TerminationByKubelet" }), undefined],
    ["a finished pod's never is", marked(new Date(0), { phase: "Failed" }), undefined],
    ["a pod being deleted's never is", marked(new Date(0), { deleting: true }), undefined],
    ["no mark, nothing to clean", pod("b"), undefined],
  ])("%s", (_name, p, want) => {
    expect(staleDisruptionWait(p, NOW)).toBe(want);
  });

  test("sync clears a stale mark and leaves a fresh one for later", async () => {
    const pods = new ObjectCache<Pod>();
    const cleared: string[] = [];
    const c = new DisruptionController({
      pdbs: new ObjectCache<PodDisruptionBudget>(), pods, scales: fixture().find, now: () => NOW, recorder: { event() {} },
      status: { async writeStatus() {}, async clearDisruptionTarget(p) { cleared.push(p.metadata.name!); } },
    });
    pods.set({ ...marked(new Date(0)), metadata: { ...marked(new Date(0)).metadata, name: "old" } });
    pods.set({ ...marked(NOW), metadata: { ...marked(NOW).metadata, name: "new" } });
    await c.sync("stale-pod:ns/old");
    await c.sync("stale-pod:ns/new");
    expect(cleared).toEqual(["old"]);
    c.queue.shutDown();
  });
});
