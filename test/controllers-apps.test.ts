// The replicaset and deployment controllers against a real server with no agents: the test's
// fake kubelet makes pods Running/Ready through pods/status, so rollouts advance one step at a
// time and every intermediate state can be checked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Deployment } from "../src/apis/apps/deployment.ts";
import type { ReplicaSet } from "../src/apis/apps/replicaset.ts";
import type { Event } from "../src/apis/core/event.ts";
import { isPodReady, type Pod } from "../src/apis/core/pod.ts";
import type { ResourceInfo } from "../src/apis/registry.ts";
import { Informer, KubeClient, resourceFor, type Running } from "../src/client/index.ts";
import { createControllerContext, startControllerManager } from "../src/controllers/manager.ts";
import { FakeKubelet, waitFor } from "./helpers/fake-kubelet.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const [PODS, RS, DEPLOY, EVENTS, NAMESPACES] = ["Pod", "ReplicaSet", "Deployment", "Event", "Namespace"].map(resourceFor) as [ResourceInfo, ResourceInfo, ResourceInfo, ResourceInfo, ResourceInfo];

/** Counts the API requests the controllers make (watches are long-lived and not counted). */
class CountingClient extends KubeClient {
  requests = 0;
  override request<T>(...args: Parameters<KubeClient["request"]>): Promise<T> {
    this.requests++;
    return super.request<T>(...args);
  }
}

let s: TestServer;
let client: KubeClient;
let controllerClient: CountingClient;
let kubelet: FakeKubelet;
let manager: Running;
let ctx: ReturnType<typeof createControllerContext>;
let nsSeq = 0;

beforeAll(async () => {
  s = await startTestServer();
  const conn = { server: s.url, token: s.adminToken, ca: s.ca.cert };
  client = new KubeClient(conn);
  controllerClient = new CountingClient({ ...conn, userAgent: "kubun-controller-manager" });
  ctx = createControllerContext(controllerClient);
  manager = startControllerManager(ctx, { workers: 5 });
  kubelet = new FakeKubelet(client);
});

afterAll(async () => {
  await manager?.stop();
  await ctx?.informers.stop();
  await ctx?.flushEvents();
  await Promise.all([controllerClient?.close(), client?.close()]);
  await s?.close();
});

/** A fresh namespace per test: the tests share one server and one controller manager. */
const namespace = async () => (await client.create(NAMESPACES, undefined, { metadata: { name: `apps-${++nsSeq}` } })).metadata.name!;

const activePods = async (ns: string, labelSelector?: string) =>
  (await client.list<Pod>(PODS, { namespace: ns, labelSelector })).items.filter((p) => !p.metadata.deletionTimestamp);

const template = (app: string, image = "busybox:1") => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: "c", image, ports: [{ containerPort: 80 }] }] },
});

const replicaSet = (name: string, replicas: number): ReplicaSet => ({ metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name) } });
const deployment = (name: string, replicas: number, extra: Partial<NonNullable<Deployment["spec"]>> = {}): Deployment => ({
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name), ...extra },
});

const getDeploy = (ns: string, name: string) => client.get<Deployment>(DEPLOY, ns, name);
const rsOf = async (ns: string, app: string) => (await client.list<ReplicaSet>(RS, { namespace: ns, labelSelector: `app=${app}` })).items;

/** kubectl rollout status's test: the rollout finished. */
const rolledOut = (d: Deployment) =>
  (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
  d.status?.updatedReplicas === d.spec?.replicas &&
  d.status?.replicas === d.status?.updatedReplicas &&
  (d.status?.availableReplicas ?? 0) >= (d.status?.updatedReplicas ?? 0);

describe("replicaset controller", () => {
  test("creates owned pods, scales up and down, reports status and events", async () => {
    const ns = await namespace();
    const rs = await client.create(RS, ns, replicaSet("web", 3));
    const pods = await waitFor("3 pods", async () => {
      const p = await activePods(ns);
      return p.length === 3 && p;
    });
    for (const pod of pods) {
      expect(pod.metadata.generateName).toBe("web-");
      expect(pod.metadata.ownerReferences).toEqual([
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true },
      ]);
    }
    await kubelet.readyAll(ns);
    await waitFor("ready status", async () => {
      const cur = await client.get<ReplicaSet>(RS, ns, "web");
      return cur.status?.readyReplicas === 3 && cur.status.availableReplicas === 3 && cur.status.fullyLabeledReplicas === 3 && cur.status.observedGeneration === cur.metadata.generation;
    });

    await client.patch(RS, ns, "web", { spec: { replicas: 5 } }, "merge");
    await waitFor("5 pods", async () => (await activePods(ns)).length === 5);

    // Scale down: the two not-ready pods go first, the ready ones stay.
    const readyNames = new Set(pods.map((p) => p.metadata.name));
    await client.patch(RS, ns, "web", { spec: { replicas: 3 } }, "merge");
    const left = await waitFor("3 pods again", async () => {
      const p = await activePods(ns);
      return p.length === 3 && p;
    });
    expect(new Set(left.map((p) => p.metadata.name))).toEqual(readyNames);
    await waitFor("status replicas 3", async () => (await client.get<ReplicaSet>(RS, ns, "web")).status?.replicas === 3);
    await waitFor("events", async () => {
      const events = (await client.list<Event>(EVENTS, { namespace: ns })).items.filter((e) => e.source?.component === "replicaset-controller");
      return events.filter((e) => e.reason === "SuccessfulCreate").length === 5 && events.filter((e) => e.reason === "SuccessfulDelete").length === 2;
    });
  });

  test("adopts matching orphans and releases pods that stop matching", async () => {
    const ns = await namespace();
    await client.create(PODS, ns, { metadata: { name: "orphan", labels: { app: "web" } }, spec: template("web").spec });
    const rs = await client.create(RS, ns, replicaSet("web", 2));
    const adopted = await waitFor("orphan adopted", async () => {
      const p = await client.get<Pod>(PODS, ns, "orphan");
      return p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid && p;
    });
    expect(adopted.metadata.ownerReferences?.[0]?.controller).toBe(true);
    await waitFor("2 pods", async () => (await activePods(ns)).length === 2);

    // Relabelled: released (ownerReference gone) and replaced.
    await client.patch(PODS, ns, "orphan", { metadata: { labels: { app: "other" } } }, "merge");
    await waitFor("released", async () => !(await client.get<Pod>(PODS, ns, "orphan")).metadata.ownerReferences?.length);
    await waitFor("replacement", async () => (await activePods(ns, "app=web")).length === 2);
  });
});

/** Watches a namespace's pods and hands the live (non-terminating) ones to `check` at every event. */
async function observePods(ns: string, check: (pods: Pod[]) => void): Promise<Informer<Pod>> {
  const informer = new Informer<Pod>(client.listerWatcher<Pod>(PODS, { namespace: ns }));
  // The first list fills the cache one add at a time: only whole states count.
  const onEvent = () => informer.hasSynced() && check(informer.lister.list().filter((p) => !p.metadata.deletionTimestamp));
  informer.addEventHandler({ onAdd: onEvent, onUpdate: onEvent, onDelete: onEvent });
  informer.start();
  await informer.waitForSync();
  return informer;
}

/** Marks pods ready one round at a time until the deployment has rolled out. */
const stepUntilRolledOut = (ns: string, name: string, perRound = Infinity) =>
  kubelet.stepUntil(ns, async () => {
    const d = await getDeploy(ns, name);
    return rolledOut(d) && d;
  }, perRound);

describe("deployment controller", () => {
  test("rolling update stays within maxSurge and maxUnavailable, records revisions, rolls back", async () => {
    const ns = await namespace();
    await client.create(DEPLOY, ns, deployment("web", 4, { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    let d = await stepUntilRolledOut(ns, "web");
    const [first] = await rsOf(ns, "web");
    expect(first!.metadata.name).toBe(`web-${first!.metadata.labels!["pod-template-hash"]}`);
    expect(first!.metadata.labels!["pod-template-hash"]).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(first!.metadata.annotations).toMatchObject({
      "deployment.kubernetes.io/revision": "1",
      "deployment.kubernetes.io/desired-replicas": "4",
      "deployment.kubernetes.io/max-replicas": "5",
    });
    expect(d.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("1");
    expect(d.status?.conditions?.find((c) => c.type === "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
    expect(d.status?.conditions?.find((c) => c.type === "Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });

    let maxActive = 0;
    let minReady = Infinity;
    const observer = await observePods(ns, (pods) => {
      maxActive = Math.max(maxActive, pods.length);
      minReady = Math.min(minReady, pods.filter(isPodReady).length);
    });
    await client.patch(DEPLOY, ns, "web", { spec: { template: { spec: { containers: [{ name: "c", image: "busybox:2" }] } } } }, "strategic");
    // One pod per round: the rollout has to go through many intermediate states.
    d = await stepUntilRolledOut(ns, "web", 1);
    await observer.stop();
    expect(maxActive).toBeLessThanOrEqual(5);
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(d.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("2");
    const rss = await rsOf(ns, "web");
    expect(rss.length).toBe(2);
    const old = rss.find((r) => r.metadata.name === first!.metadata.name)!;
    expect(old.spec?.replicas).toBe(0);
    const pods = await activePods(ns);
    expect(pods.length).toBe(4);
    expect(pods.every((p) => p.spec?.containers[0]?.image === "busybox:2")).toBe(true);

    // Rollback the way kubectl does it: the old replicaset's template back into the deployment.
    const { ["pod-template-hash"]: _, ...labels } = old.spec!.template!.metadata!.labels!;
    await client.patch(DEPLOY, ns, "web", { spec: { template: { ...old.spec!.template, metadata: { ...old.spec!.template!.metadata, labels } } } }, "merge");
    d = await stepUntilRolledOut(ns, "web");
    expect(d.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("3");
    const back = (await rsOf(ns, "web")).find((r) => r.metadata.name === first!.metadata.name)!;
    expect(back.spec?.replicas).toBe(4);
    expect(back.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("3");
    expect(back.metadata.annotations?.["deployment.kubernetes.io/revision-history"]).toBe("1");
    expect((await rsOf(ns, "web")).length).toBe(2);
  });

  test("scales a deployment up and down", async () => {
    const ns = await namespace();
    await client.create(DEPLOY, ns, deployment("s", 2));
    await stepUntilRolledOut(ns, "s");
    await client.patch(DEPLOY, ns, "s", { spec: { replicas: 5 } }, "merge");
    let d = await stepUntilRolledOut(ns, "s");
    expect(d.status?.availableReplicas).toBe(5);
    await client.patch(DEPLOY, ns, "s", { spec: { replicas: 1 } }, "merge");
    d = await stepUntilRolledOut(ns, "s");
    expect((await activePods(ns)).length).toBe(1);
    const [rs] = await rsOf(ns, "s");
    expect(rs!.metadata.annotations?.["deployment.kubernetes.io/desired-replicas"]).toBe("1");
  });

  test("a paused deployment does not roll until resumed", async () => {
    const ns = await namespace();
    await client.create(DEPLOY, ns, deployment("p", 2));
    await stepUntilRolledOut(ns, "p");
    await client.patch(DEPLOY, ns, "p", { spec: { paused: true } }, "merge");
    await waitFor("paused condition", async () => (await getDeploy(ns, "p")).status?.conditions?.some((c) => c.reason === "DeploymentPaused"));
    await client.patch(DEPLOY, ns, "p", { spec: { template: { spec: { containers: [{ name: "c", image: "busybox:2" }] } } } }, "strategic");
    await waitFor("generation observed", async () => {
      const d = await getDeploy(ns, "p");
      return d.status?.observedGeneration === d.metadata.generation;
    });
    expect((await rsOf(ns, "p")).length).toBe(1);
    await client.patch(DEPLOY, ns, "p", { spec: { paused: false } }, "merge");
    const d = await stepUntilRolledOut(ns, "p");
    expect((await rsOf(ns, "p")).length).toBe(2);
    expect(d.status?.conditions?.find((c) => c.type === "Progressing")?.reason).toBe("NewReplicaSetAvailable");
  });

  test("Recreate deletes every old pod before creating new ones", async () => {
    const ns = await namespace();
    await client.create(DEPLOY, ns, deployment("r", 3, { strategy: { type: "Recreate" } }));
    await stepUntilRolledOut(ns, "r");
    let mixed = false;
    const observer = await observePods(ns, (pods) => {
      if (new Set(pods.map((p) => p.spec?.containers[0]?.image)).size > 1) mixed = true;
    });
    await client.patch(DEPLOY, ns, "r", { spec: { template: { spec: { containers: [{ name: "c", image: "busybox:2" }] } } } }, "strategic");
    await stepUntilRolledOut(ns, "r");
    await observer.stop();
    expect(mixed).toBe(false);
    expect((await activePods(ns)).every((p) => p.spec?.containers[0]?.image === "busybox:2")).toBe(true);
  });

  test("revisionHistoryLimit removes the oldest scaled-down replicasets", async () => {
    const ns = await namespace();
    await client.create(DEPLOY, ns, deployment("h", 1, { revisionHistoryLimit: 1 }));
    await stepUntilRolledOut(ns, "h");
    for (const image of ["busybox:2", "busybox:3"]) {
      await client.patch(DEPLOY, ns, "h", { spec: { template: { spec: { containers: [{ name: "c", image }] } } } }, "strategic");
      await stepUntilRolledOut(ns, "h");
    }
    const rss = await waitFor("history pruned", async () => {
      const r = await rsOf(ns, "h");
      return r.length === 2 && r;
    });
    expect(rss.map((r) => r.metadata.annotations?.["deployment.kubernetes.io/revision"]).sort()).toEqual(["2", "3"]);
  });

  test("a rollout that makes no progress exceeds its deadline", async () => {
    const ns = await namespace();
    await client.create(DEPLOY, ns, deployment("slow", 2, { progressDeadlineSeconds: 1 }));
    const d = await waitFor("ProgressDeadlineExceeded", async () => {
      const cur = await getDeploy(ns, "slow");
      const c = cur.status?.conditions?.find((x) => x.type === "Progressing");
      return c?.reason === "ProgressDeadlineExceeded" && cur;
    });
    const c = d.status!.conditions!.find((x) => x.type === "Progressing")!;
    expect(c.status).toBe("False");
    expect(c.message).toMatch(/has timed out progressing/);
    expect(d.status?.conditions?.find((x) => x.type === "Available")?.status).toBe("False");
  });
});

describe("driven through kubectl", () => {
  const manifest = (ns: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: "busybox:1"}]}
`;

  test("create, rollout status/history/undo/restart, set image, scale, events, delete", async () => {
    const ns = await namespace();
    const auto = new FakeKubelet(client);
    await auto.start(ns);
    try {
      const kubectl = (...args: string[]) => s.kubectlOk([...args, "-n", ns]);
      const status = () => kubectl("rollout", "status", "deployment/web", "--timeout=30s");
      const images = async () => new Set((await activePods(ns)).map((p) => p.spec?.containers[0]?.image));

      expect(await s.kubectl(["create", "-f", "-"], { stdin: manifest(ns) }).then((r) => r.code)).toBe(0);
      expect(await status()).toContain(`deployment "web" successfully rolled out`);

      await kubectl("set", "image", "deployment/web", "c=busybox:2");
      expect(await status()).toContain("successfully rolled out");
      expect(await images()).toEqual(new Set(["busybox:2"]));

      const history = await kubectl("rollout", "history", "deployment/web");
      expect(history).toMatch(/REVISION\s+CHANGE-CAUSE/);
      expect(history).toMatch(/^1\s/m);
      expect(history).toMatch(/^2\s/m);
      expect(await kubectl("rollout", "history", "deployment/web", "--revision=1")).toContain("busybox:1");

      await kubectl("rollout", "undo", "deployment/web", "--to-revision=1");
      await status();
      await waitFor("old image back", async () => (await images()).size === 1 && (await images()).has("busybox:1"));
      expect((await getDeploy(ns, "web")).metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("3");

      await kubectl("rollout", "restart", "deployment/web");
      await status();
      expect((await getDeploy(ns, "web")).metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("4");
      expect((await rsOf(ns, "web")).length).toBe(3);

      await kubectl("scale", "deployment/web", "--replicas=5");
      await status();
      expect((await activePods(ns)).length).toBe(5);

      await ctx.flushEvents();
      expect(await kubectl("get", "events")).toMatch(/ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-\w+ from 0 to 3/);
      const describe = await kubectl("describe", "deployment", "web");
      expect(describe).toMatch(/NewReplicaSetAvailable/);
      expect(describe).toMatch(/Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set/);

      await kubectl("delete", "deployment", "web", "--timeout=30s");
      await waitFor("replicasets collected", async () => (await rsOf(ns, "web")).length === 0);
    } finally {
      await auto.stop();
    }
  });
});

describe("events", () => {
  test("repeats aggregate into one Event with count and lastTimestamp", async () => {
    const ns = await namespace();
    const cm = await client.create(resourceFor("ConfigMap"), ns, { metadata: { name: "cfg" } });
    const recorder = ctx.recorder("test-component");
    for (let i = 0; i < 3; i++) recorder.event(cm, "Warning", "Broken", "still broken");
    recorder.event(cm, "Normal", "Fine", "all good");
    await ctx.flushEvents();
    const events = (await client.list<Event>(EVENTS, { namespace: ns })).items;
    expect(events.length).toBe(2);
    const broken = events.find((e) => e.reason === "Broken")!;
    expect(broken).toMatchObject({ count: 3, type: "Warning", involvedObject: { kind: "ConfigMap", name: "cfg", uid: cm.metadata.uid } });
    expect(Date.parse(broken.lastTimestamp!)).toBeGreaterThanOrEqual(Date.parse(broken.firstTimestamp!));

  });
});

describe("scale", () => {
  test("a deployment of 1,000 replicas reaches 1,000 created pods", async () => {
    const ns = await namespace();
    const before = controllerClient.requests;
    const started = performance.now();
    await client.create(DEPLOY, ns, deployment("big", 1000));
    await waitFor("1000 pods", async () => (await client.list<Pod>(PODS, { namespace: ns, limit: 1 })).metadata.remainingItemCount === 999, 120_000);
    const ms = performance.now() - started;
    const requests = controllerClient.requests - before;
    console.log(`scale: 1000 pods created in ${Math.round(ms)} ms with ${requests} controller API requests`);
    // One create per pod, plus a bounded number of status, scale and event writes.
    expect(requests).toBeLessThan(1200);
    await waitFor("replicaset status", async () => (await rsOf(ns, "big"))[0]?.status?.replicas === 1000, 60_000);
  }, 180_000);
});

describe("kubun controller-manager", () => {
  test("runs the controllers from a kubeconfig until stopped", async () => {
    // Runs last: the in-process manager steps aside so only one replicaset controller acts.
    await manager.stop();
    const { runControllerManagerCommand } = await import("../src/controllers/command.ts");
    const abort = new AbortController();
    const run = runControllerManagerCommand({ kubeconfig: s.kubeconfigPath, signal: abort.signal });
    const ns = await namespace();
    await client.create(RS, ns, replicaSet("cm", 2));
    await waitFor("pods from the standalone manager", async () => (await activePods(ns)).length === 2);
    abort.abort();
    await run;
  });
});
