// The replicaset controller's sync against seeded caches and fake writers: no server.
import { expect, test } from "bun:test";
import type { ReplicaSet, ReplicaSetStatus } from "../apis/apps/replicaset.ts";
import type { Pod } from "../apis/core/pod.ts";
import { ObjectCache } from "../client/index.ts";
import type { OwnerPatcher } from "./controller-utils.ts";
import type { PodControl } from "./pod-control.ts";
import { ReplicaSetController } from "./replicaset.ts";

function setup(replicas: number, burstReplicas?: number) {
  const replicaSets = new ObjectCache<ReplicaSet>();
  const pods = new ObjectCache<Pod>();
  const rs: ReplicaSet = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "web", namespace: "ns", uid: "rs-uid", generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c" }] } } },
  };
  replicaSets.set(rs);
  const created: Pod[] = [];
  const deleted: string[] = [];
  const statuses: ReplicaSetStatus[] = [];
  let seq = 0;
  const podControl: PodControl = {
    async createPod(namespace, template, _owner, ref) {
      const pod: Pod = { metadata: { name: `web-${seq++}`, namespace, labels: template.metadata?.labels, ownerReferences: [ref] }, spec: template.spec };
      created.push(pod);
      return pod;
    },
    async deletePod(_ns, name) {
      deleted.push(name);
    },
  };
  const owners: OwnerPatcher = { setOwnerReferences: async (_r, obj, refs) => ({ ...obj, metadata: { ...obj.metadata, ownerReferences: refs } }) };
  const controller = new ReplicaSetController({
    replicaSets,
    pods,
    podControl,
    owners,
    status: { writeStatus: async (_rs, s) => void statuses.push(s) },
    now: () => new Date("2025-01-01T00:00:00Z"),
    burstReplicas,
  });
  /** What the informer would do when the created pods show up. */
  const observe = () => {
    for (const pod of created.splice(0)) {
      pods.set(pod);
      controller.podHandler.onAdd!(pod);
    }
  };
  return { controller, pods, created, deleted, statuses, observe };
}

const owned = (name: string, ready: boolean): Pod => ({
  metadata: { name, namespace: "ns", labels: { app: "web" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "rs-uid", controller: true }] },
  spec: { containers: [{ name: "c" }] },
  status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

test("creates the missing replicas once, however stale the cache", async () => {
  const t = setup(3);
  await t.controller.sync("ns/web");
  expect(t.created.length).toBe(3);
  // The informer has not delivered the pods yet: expectations stop a second round of creates.
  await t.controller.sync("ns/web");
  expect(t.created.length).toBe(3);
  t.observe();
  await t.controller.sync("ns/web");
  expect(t.created.length).toBe(0);
  expect(t.statuses.at(-1)).toMatchObject({ replicas: 3, readyReplicas: 0, observedGeneration: 1 });
});

test("a large scale-up is capped per sync and requeued", async () => {
  const t = setup(10, 4);
  await t.controller.sync("ns/web");
  expect(t.created.length).toBe(4);
  expect(t.controller.queue.len()).toBe(1);
});

test("deletes the surplus, not-ready pods first, once", async () => {
  const t = setup(2);
  for (const p of [owned("a", true), owned("b", false), owned("c", true), owned("d", false)]) t.pods.set(p);
  await t.controller.sync("ns/web");
  expect(t.deleted.sort()).toEqual(["b", "d"]);
  await t.controller.sync("ns/web");
  expect(t.deleted.length).toBe(2);
});

test("adopts a matching orphan instead of creating a pod", async () => {
  const t = setup(1);
  t.pods.set({ metadata: { name: "orphan", namespace: "ns", labels: { app: "web" } }, spec: { containers: [{ name: "c" }] } });
  await t.controller.sync("ns/web");
  expect(t.created.length).toBe(0);
  expect(t.statuses.at(-1)?.replicas).toBe(1);
});
