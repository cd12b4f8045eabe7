// The StatefulSet controller's sync against seeded caches and a fake StatefulPodControl.
import { expect, test } from "bun:test";
import type { ControllerRevision } from "../apis/apps/controllerrevision.ts";
import type { StatefulSet, StatefulSetStatus } from "../apis/apps/statefulset.ts";
import type { PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { Pod } from "../apis/core/pod.ts";
import { ObjectCache } from "../client/index.ts";
import type { OwnerPatcher } from "./controller-utils.ts";
import { StatefulSetController } from "./statefulset.ts";
import type { StatefulPodControl } from "./statefulset-control.ts";
import { templatePatch } from "./controller-history.ts";
import { computeHash } from "./deployment-util.ts";
import { fakeRevisionControl } from "./controller-history-testing.ts";
import { REVISION_LABEL } from "./statefulset-util.ts";

function setup(spec: Partial<StatefulSet["spec"]> = {}) {
  const sets = new ObjectCache<StatefulSet>();
  const pods = new ObjectCache<Pod>();
  const claims = new ObjectCache<PersistentVolumeClaim>();
  const revisions = new ObjectCache<ControllerRevision>();
  const set: StatefulSet = {
    metadata: { name: "web", namespace: "ns", uid: "set-uid", generation: 1 },
    spec: {
      replicas: 3,
      serviceName: "web",
      podManagementPolicy: "OrderedReady",
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      ...spec,
    },
  };
  sets.set(set);
  const log: string[] = [];
  const statuses: StatefulSetStatus[] = [];
  const control: StatefulPodControl = {
    async createPod(_s, pod) {
      log.push(`create ${pod.metadata.name}`);
      pods.set({ ...pod, metadata: { ...pod.metadata, uid: `uid-${pod.metadata.name}` }, status: { phase: "Pending" } });
    },
    async deletePod(_s, pod) {
      log.push(`delete ${pod.metadata.name}`);
      pods.delete(`ns/${pod.metadata.name}`);
    },
    async createClaim(_s, claim) {
      log.push(`claim ${claim.metadata.name}`);
      claims.set(claim);
    },
    async deleteClaim(_s, claim) {
      log.push(`unclaim ${claim.metadata.name}`);
      claims.delete(`ns/${claim.metadata.name}`);
    },
    async writeStatus(s, status) {
      statuses.push(status);
      sets.set({ ...s, status });
    },
  };
  const owners: OwnerPatcher = { setOwnerReferences: async (_r, obj, refs) => ({ ...obj, metadata: { ...obj.metadata, ownerReferences: refs } }) };
  const controller = new StatefulSetController({ sets, pods, claims, revisions, control, revisionControl: fakeRevisionControl(revisions), owners, recorder: { event() {} }, now: () => new Date("2025-01-01T00:00:00Z") });
  /** Makes every pod Running and Ready (what the agent would report). */
  const ready = (...names: string[]) => {
    for (const p of pods.list()) {
      if (names.length && !names.includes(p.metadata.name!)) continue;
      pods.set({ ...p, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } });
    }
  };
  const sync = () => controller.sync("ns/web");
  /** A new template image (and optionally strategy), keeping the status the controller wrote. */
  const setImage = (image: string, spec: Partial<StatefulSet["spec"]> = {}) => {
    const cur = sets.getByKey("ns/web")!;
    sets.set({ ...cur, spec: { ...cur.spec!, template: { ...cur.spec!.template, spec: { containers: [{ name: "c", image }] } }, ...spec } });
  };
  const revisionOf = (pod: string) => pods.get("ns", pod)?.metadata.labels?.[REVISION_LABEL];
  const history = () => revisions.list().map((r) => [r.revision, r.metadata.name]).sort();
  return { set, sets, pods, claims, revisions, log, statuses, ready, sync, setImage, revisionOf, history };
}

test("OrderedReady creates web-0, its claim, and waits for it to be Ready before web-1", async () => {
  const t = setup();
  await t.sync();
  expect(t.log).toEqual(["claim data-web-0", "create web-0"]);
  await t.sync();
  expect(t.log.length).toBe(2); // web-0 is not Ready yet
  t.ready();
  await t.sync();
  expect(t.log.slice(2)).toEqual(["claim data-web-1", "create web-1"]);
  const pod = t.pods.get("ns", "web-1")!;
  expect(pod.spec?.hostname).toBe("web-1");
  expect(pod.spec?.subdomain).toBe("web");
  expect(pod.spec?.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "data-web-1" } }]);
  expect(pod.metadata.labels).toMatchObject({ app: "web", "statefulset.kubernetes.io/pod-name": "web-1", "apps.kubernetes.io/pod-index": "1" });
  expect(t.claims.get("ns", "data-web-1")?.metadata.labels).toMatchObject({ app: "web" });
});

test("Parallel creates every pod at once", async () => {
  const t = setup({ podManagementPolicy: "Parallel" });
  await t.sync();
  expect(t.log.filter((l) => l.startsWith("create"))).toEqual(["create web-0", "create web-1", "create web-2"]);
});

test("a re-created pod reuses its claim", async () => {
  const t = setup({ replicas: 1 });
  await t.sync();
  t.pods.delete("ns/web-0");
  await t.sync();
  expect(t.log).toEqual(["claim data-web-0", "create web-0", "create web-0"]);
});

test("scale down deletes the highest ordinal first, one at a time, keeping claims under Retain", async () => {
  const t = setup({ podManagementPolicy: "Parallel" });
  await t.sync();
  t.ready();
  t.sets.set({ ...t.set, spec: { ...t.set.spec!, replicas: 1, podManagementPolicy: "OrderedReady" } });
  t.log.length = 0;
  await t.sync();
  expect(t.log).toEqual(["delete web-2"]);
  await t.sync();
  expect(t.log).toEqual(["delete web-2", "delete web-1"]);
  expect(t.claims.list().map((c) => c.metadata.name).sort()).toEqual(["data-web-0", "data-web-1", "data-web-2"]);
});

test("whenScaled: Delete removes the claims of pods scaled away", async () => {
  const t = setup({ podManagementPolicy: "Parallel", persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Delete" } });
  await t.sync();
  t.ready();
  t.sets.set({ ...t.set, spec: { ...t.set.spec!, replicas: 1, persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Delete" } } });
  await t.sync();
  // The claims go once their pods are gone.
  await t.sync();
  expect(t.claims.list().map((c) => c.metadata.name)).toEqual(["data-web-0"]);
});

test("whenDeleted: Delete makes the set an owner of its claims", async () => {
  const t = setup({ replicas: 1, persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" } });
  await t.sync();
  expect(t.claims.get("ns", "data-web-0")?.metadata.ownerReferences).toEqual([
    { apiVersion: "apps/v1", kind: "StatefulSet", name: "web", uid: "set-uid", controller: false, blockOwnerDeletion: true },
  ]);
});

test("a rolling update with a partition replaces only ordinals at or above it, highest first", async () => {
  const t = setup({ podManagementPolicy: "Parallel" });
  await t.sync();
  t.ready();
  await t.sync();
  const oldRevision = t.revisionOf("web-0")!;
  t.setImage("busybox:2", { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } });
  t.log.length = 0;
  await t.sync();
  expect(t.log).toEqual(["delete web-2"]);
  await t.sync(); // web-2 comes back at the new revision
  expect(t.log).toEqual(["delete web-2", "create web-2"]);
  const newRevision = t.revisionOf("web-2")!;
  expect(newRevision).not.toBe(oldRevision);
  t.ready();
  await t.sync();
  expect(t.log).toEqual(["delete web-2", "create web-2", "delete web-1"]);
  t.log.length = 0;
  await t.sync();
  t.ready();
  await t.sync();
  expect(t.log).toEqual(["create web-1"]); // web-0 is below the partition: kept
  expect(t.statuses.at(-1)).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 2, currentReplicas: 1, currentRevision: oldRevision, updateRevision: newRevision });
});

test("OnDelete replaces nothing by itself", async () => {
  const t = setup({ replicas: 1, updateStrategy: { type: "OnDelete" } });
  await t.sync();
  t.ready();
  t.sets.set({ ...t.set, spec: { ...t.set.spec!, updateStrategy: { type: "OnDelete" }, template: { ...t.set.spec!.template, metadata: { labels: { app: "web", v: "2" } } } } });
  t.log.length = 0;
  await t.sync();
  expect(t.log).toEqual([]);
});

test("status: once every replica is updated and ready, the update revision is current", async () => {
  const t = setup({ replicas: 2, podManagementPolicy: "Parallel" });
  await t.sync();
  t.ready();
  await t.sync();
  const [rev] = t.revisions.list().map((r) => r.metadata.name);
  expect(t.statuses.at(-1)).toEqual({
    observedGeneration: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2, currentReplicas: 2, updatedReplicas: 2,
    currentRevision: rev, updateRevision: rev, collisionCount: 0,
  });
});

test("with minReadySeconds, the next ordinal waits until the previous pod has been Ready that long", async () => {
  const t = setup({ minReadySeconds: 30 });
  await t.sync();
  // Ready since 10 s before the controller's clock: not available yet.
  const pod = t.pods.get("ns", "web-0")!;
  const since = (s: number) => new Date(Date.parse("2025-01-01T00:00:00Z") - s * 1000).toISOString();
  t.pods.set({ ...pod, status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: since(10) }] } });
  await t.sync();
  expect(t.log).toEqual(["claim data-web-0", "create web-0"]);
  t.pods.set({ ...pod, status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: since(31) }] } });
  await t.sync();
  expect(t.log.slice(2)).toEqual(["claim data-web-1", "create web-1"]);
});

test("maxUnavailable lets a rolling update replace that many pods at once", async () => {
  const t = setup({ podManagementPolicy: "Parallel" });
  await t.sync();
  t.ready();
  const strategy = { type: "RollingUpdate" as const, rollingUpdate: { partition: 0, maxUnavailable: 2 } };
  t.sets.set({ ...t.set, spec: { ...t.set.spec!, updateStrategy: strategy, template: { ...t.set.spec!.template, metadata: { labels: { app: "web", v: "2" } } } } });
  t.log.length = 0;
  await t.sync();
  expect(t.log).toEqual(["delete web-2", "delete web-1"]);
});

test("the template is recorded as a ControllerRevision the set owns, whose name labels the pods", async () => {
  const t = setup({ replicas: 1 });
  await t.sync();
  const [rev, ...more] = t.revisions.list();
  expect(more).toEqual([]);
  expect(rev).toMatchObject({ revision: 1, data: templatePatch(t.set.spec!.template), metadata: { namespace: "ns", labels: { app: "web" } } });
  expect(rev!.metadata.name).toBe(`web-${rev!.metadata.labels!["controller-revision-hash"]}`);
  expect(rev!.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "StatefulSet", name: "web", uid: "set-uid", controller: true, blockOwnerDeletion: true }]);
  expect(t.revisionOf("web-0")).toBe(rev!.metadata.name);
  expect(t.statuses.at(-1)).toMatchObject({ currentRevision: rev!.metadata.name, updateRevision: rev!.metadata.name });
});

test("a pod below the partition that is deleted comes back at the current revision's template", async () => {
  const t = setup({ podManagementPolicy: "Parallel" });
  await t.sync();
  t.ready();
  await t.sync();
  const current = t.revisionOf("web-0");
  t.setImage("busybox:2", { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } });
  await t.sync(); // web-2 goes
  await t.sync(); // and comes back at the update revision
  expect(t.pods.get("ns", "web-2")?.spec?.containers[0]?.image).toBe("busybox:2");
  t.pods.delete("ns/web-0");
  await t.sync();
  expect(t.pods.get("ns", "web-0")?.spec?.containers[0]?.image).toBe("busybox");
  expect(t.revisionOf("web-0")).toBe(current);
});

test("going back to an earlier template renumbers its revision to the top instead of making a new one", async () => {
  const t = setup({ replicas: 1 });
  await t.sync();
  const first = t.revisionOf("web-0")!;
  t.setImage("busybox:2");
  await t.sync();
  const second = t.statuses.at(-1)!.updateRevision!;
  expect(t.history()).toEqual([[1, first], [2, second]]);
  t.setImage("busybox");
  await t.sync();
  expect(t.history()).toEqual([[2, second], [3, first]]);
  expect(t.statuses.at(-1)?.updateRevision).toBe(first);
});

test("history is truncated to revisionHistoryLimit, keeping the current and update revisions and those pods run", async () => {
  const t = setup({ replicas: 1, revisionHistoryLimit: 0 });
  await t.sync();
  t.ready();
  await t.sync();
  const first = t.revisionOf("web-0")!;
  t.setImage("busybox:2");
  await t.sync(); // web-0 (at the first, current revision) is deleted: both revisions stay
  expect(t.history().map(([, name]) => name)).toContain(first);
  await t.sync();
  t.ready();
  await t.sync(); // web-0 runs the update, which becomes current
  const second = t.revisionOf("web-0")!;
  await t.sync(); // pruned once the status names the new current revision
  expect(t.history()).toEqual([[2, second]]);
});

test("a revision name taken by another snapshot raises collisionCount and takes the next name", async () => {
  const t = setup({ replicas: 1 });
  const taken = `web-${computeHash(t.set.spec!.template, 0)}`;
  t.revisions.set({ metadata: { name: taken, namespace: "ns", uid: "other" }, data: { other: true }, revision: 1 });
  await t.sync();
  expect(t.statuses.at(-1)?.collisionCount).toBe(1);
  expect(t.revisionOf("web-0")).toBe(`web-${computeHash(t.set.spec!.template, 1)}`);
});
