// The binder's sync against seeded caches and a fake writer that applies its writes to them.
import { expect, test } from "bun:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { StorageClass } from "../apis/storage/storageclass.ts";
import { ObjectCache } from "../client/index.ts";
import { PersistentVolumeBinder } from "./persistentvolume-binder.ts";
import type { VolumeWriter } from "./persistentvolume-writer.ts";

function setup() {
  const claims = new ObjectCache<PersistentVolumeClaim>();
  const volumes = new ObjectCache<PersistentVolume>();
  const classes = new ObjectCache<StorageClass>();
  const nodes = new ObjectCache<KubeObject>();
  const events: string[] = [];
  let rv = 1;
  const next = <T extends KubeObject>(o: T): T => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } });
  const writer: VolumeWriter = {
    async bindVolume(pv, pvc) {
      const n = next({ ...pv, spec: { ...pv.spec, claimRef: { namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid } } });
      volumes.set(n);
      return n;
    },
    async volumeStatus(pv, status) {
      const n = next({ ...pv, status });
      volumes.set(n);
      return n;
    },
    async bindClaim(pvc, pv) {
      const n = next({ ...pvc, metadata: { ...pvc.metadata, annotations: { "pv.kubernetes.io/bind-completed": "yes" } }, spec: { ...pvc.spec, volumeName: pv.metadata.name } });
      claims.set(n);
      return n;
    },
    async claimStatus(pvc, status) {
      const n = next({ ...pvc, status });
      claims.set(n);
      return n;
    },
    async annotateClaim(pvc, annotations) {
      claims.set(next({ ...pvc, metadata: { ...pvc.metadata, annotations: { ...pvc.metadata.annotations, ...annotations } } }));
    },
    async createVolume(pv) {
      volumes.set(next(pv));
    },
    async claimExists(ns, name, uid) {
      return claims.get(ns, name)?.metadata.uid === uid;
    },
  };
  const recorder = { event: (_o: KubeObject, _t: string, reason: string, message: string) => void events.push(`${reason}: ${message}`) };
  const binder = new PersistentVolumeBinder({ claims, volumes, classes, nodes, writer, recorder });
  return { binder, claims, volumes, classes, nodes, events };
}

const claim = (name: string, spec: PersistentVolumeClaim["spec"] = {}, annotations?: Record<string, string>): PersistentVolumeClaim => ({
  metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: "1", annotations },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "", ...spec },
  status: { phase: "Pending" },
});

const volume = (name: string, storage: string, spec: PersistentVolume["spec"] = {}): PersistentVolume => ({
  metadata: { name, resourceVersion: "1" },
  spec: { capacity: { storage }, accessModes: ["ReadWriteOnce"], hostPath: { path: `/srv/${name}` }, ...spec },
  status: { phase: "Available" },
});

const localPath: StorageClass = { metadata: { name: "local-path" }, provisioner: "kubun.io/local-path", reclaimPolicy: "Delete", volumeBindingMode: "WaitForFirstConsumer" };

test("a claim binds to the smallest volume that fits, both sides", async () => {
  const t = setup();
  t.claims.set(claim("data"));
  for (const pv of [volume("big", "10Gi"), volume("small", "2Gi"), volume("tiny", "500Mi"), volume("rox", "1Gi", { accessModes: ["ReadOnlyMany"] })]) t.volumes.set(pv);
  await t.binder.sync("pvc:ns/data");
  const pvc = t.claims.get("ns", "data")!;
  expect(pvc.spec?.volumeName).toBe("small");
  expect(pvc.status).toEqual({ phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "2Gi" } });
  const pv = t.volumes.get(undefined, "small")!;
  expect(pv.spec?.claimRef).toMatchObject({ namespace: "ns", name: "data", uid: "uid-data" });
  expect(pv.status?.phase).toBe("Bound");
});

test("a claim's selector and class narrow the choice; without a match it stays Pending and says why", async () => {
  const t = setup();
  t.claims.set(claim("sel", { selector: { matchLabels: { tier: "fast" } } }));
  t.volumes.set(volume("slow", "5Gi"));
  await t.binder.sync("pvc:ns/sel");
  expect(t.claims.get("ns", "sel")?.spec?.volumeName).toBeUndefined();
  expect(t.events).toEqual(["FailedBinding: no persistent volumes available for this claim and no storage class is set"]);
  t.volumes.set({ ...volume("fast", "5Gi"), metadata: { name: "fast", labels: { tier: "fast" } } });
  await t.binder.sync("pvc:ns/sel");
  expect(t.claims.get("ns", "sel")?.spec?.volumeName).toBe("fast");
});

test("a claim naming a missing class stays Pending with a ProvisioningFailed event", async () => {
  const t = setup();
  t.claims.set(claim("x", { storageClassName: "gold" }));
  await t.binder.sync("pvc:ns/x");
  expect(t.claims.get("ns", "x")?.status?.phase).toBe("Pending");
  expect(t.events).toEqual(['ProvisioningFailed: storageclass.storage.k8s.io "gold" not found']);
});

test("WaitForFirstConsumer: nothing happens until a node is selected, then a local-path volume is made there and bound", async () => {
  const t = setup();
  t.classes.set(localPath);
  t.nodes.set({ metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1" }, annotations: { "kubun.io/local-path-dir": "/var/lib/kubun/storage" } } });
  t.claims.set(claim("data", { storageClassName: "local-path" }));
  await t.binder.sync("pvc:ns/data");
  expect(t.volumes.list()).toEqual([]);
  expect(t.events).toEqual(["WaitForFirstConsumer: waiting for first consumer to be created before binding"]);

  t.claims.set(claim("data", { storageClassName: "local-path" }, { "volume.kubernetes.io/selected-node": "n1" }));
  await t.binder.sync("pvc:ns/data");
  const pv = t.volumes.get(undefined, "pvc-uid-data")!;
  expect(pv.spec?.hostPath).toEqual({ path: "/var/lib/kubun/storage/pvc-uid-data_ns_data", type: "DirectoryOrCreate" });
  expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["n1"] }] }]);
  expect(pv.spec?.persistentVolumeReclaimPolicy).toBe("Delete");
  expect(pv.metadata.annotations?.["pv.kubernetes.io/provisioned-by"]).toBe("kubun.io/local-path");
  // The new volume is pre-bound to the claim: the next claim sync binds them.
  await t.binder.sync("pvc:ns/data");
  expect(t.claims.get("ns", "data")?.spec?.volumeName).toBe("pvc-uid-data");
  expect(t.claims.get("ns", "data")?.status?.phase).toBe("Bound");
});

test("a WaitForFirstConsumer claim binds an existing volume only if it can live on the selected node", async () => {
  const t = setup();
  t.classes.set({ metadata: { name: "manual" }, provisioner: "kubernetes.io/no-provisioner", volumeBindingMode: "WaitForFirstConsumer" });
  t.nodes.set({ metadata: { name: "n2", labels: { "kubernetes.io/hostname": "n2" } } });
  const on = (node: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In" as const, values: [node] }] }] } });
  t.volumes.set(volume("on-n1", "1Gi", { storageClassName: "manual", nodeAffinity: on("n1") }));
  t.volumes.set(volume("on-n2", "5Gi", { storageClassName: "manual", nodeAffinity: on("n2") }));
  t.claims.set(claim("data", { storageClassName: "manual" }, { "volume.kubernetes.io/selected-node": "n2" }));
  await t.binder.sync("pvc:ns/data");
  expect(t.claims.get("ns", "data")?.spec?.volumeName).toBe("on-n2");
});

test("a volume whose claim is gone is Released; a Delete volume no provisioner made is Failed", async () => {
  const t = setup();
  const ref = { namespace: "ns", name: "gone", uid: "uid-gone" };
  t.volumes.set({ ...volume("kept", "1Gi", { claimRef: ref, persistentVolumeReclaimPolicy: "Retain" }), status: { phase: "Bound" } });
  t.volumes.set({ ...volume("hand", "1Gi", { claimRef: ref, persistentVolumeReclaimPolicy: "Delete" }), status: { phase: "Bound" } });
  await t.binder.sync("pv:kept");
  await t.binder.sync("pv:hand");
  expect(t.volumes.get(undefined, "kept")?.status?.phase).toBe("Released");
  expect(t.volumes.get(undefined, "hand")?.status?.phase).toBe("Failed");
  // A Released volume is not bound again (its data belongs to the old claim).
  t.claims.set(claim("new"));
  await t.binder.sync("pvc:ns/new");
  expect(t.claims.get("ns", "new")?.spec?.volumeName).toBeUndefined();
});

test("a volume without a claimRef turns Available", async () => {
  const t = setup();
  t.volumes.set({ ...volume("fresh", "1Gi"), status: { phase: "Pending" } });
  await t.binder.sync("pv:fresh");
  expect(t.volumes.get(undefined, "fresh")?.status?.phase).toBe("Available");
});
