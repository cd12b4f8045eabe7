// PersistentVolume, PersistentVolumeClaim and StorageClass through stock kubectl: the default
// class, admission (default class, protection finalizers), validation refusing what kubun
// doesn't implement, and the `kubectl get pv,pvc,sc` columns.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

const ok = (args: string[], stdin?: string) => s.kubectlOk(args, stdin);

const claim = (name: string, extra = "") => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
${extra}`;

const volume = (name: string, extra = "") => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  storageClassName: manual
  hostPath: {path: /srv/${name}}
${extra}`;

test("the server starts with the default local-path class, printed as kubectl prints it", async () => {
  const out = await ok(["get", "sc"]);
  expect(out).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE/);
  expect(out).toMatch(/^local-path \(default\)\s+kubun\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+/m);
});

test("a new claim gets the default class and the pvc-protection finalizer, and starts Pending", async () => {
  await ok(["create", "-f", "-"], claim("data"));
  const pvc = JSON.parse(await ok(["get", "pvc", "data", "-o", "json"]));
  expect(pvc.spec.storageClassName).toBe("local-path");
  expect(pvc.spec.volumeMode).toBe("Filesystem");
  expect(pvc.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
  expect(pvc.status.phase).toBe("Pending");
  expect(await ok(["get", "pvc"])).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\n(.*\n)*data\s+Pending\s+local-path\s+<unset>/);
  // An explicit "" means no class and is kept.
  await ok(["create", "-f", "-"], claim("classless", '  storageClassName: ""'));
  const classless = JSON.parse(await ok(["get", "pvc", "classless", "-o", "json"]));
  expect(classless.spec.storageClassName).toBe("");
});

test("a hand-made hostPath volume gets pv-protection and prints its access modes", async () => {
  await ok(["create", "-f", "-"], volume("manual-1"));
  const pv = JSON.parse(await ok(["get", "pv", "manual-1", "-o", "json"]));
  expect(pv.metadata.finalizers).toEqual(["kubernetes.io/pv-protection"]);
  expect(pv.spec.persistentVolumeReclaimPolicy).toBe("Retain");
  const out = await ok(["get", "pv"]);
  expect(out).toMatch(/^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE/);
  expect(out).toMatch(/^manual-1\s+2Gi\s+RWO,ROX\s+Retain\s+Pending\s+manual\s+<unset>/m);
});

test.each([
  ["an nfs volume", volume("nfs-1", "  nfs: {server: x, path: /x}").replace("  hostPath: {path: /srv/nfs-1}\n", ""), "spec.nfs: Forbidden: volume type not supported by kubun"],
  ["a Recycle policy", volume("rec-1", "  persistentVolumeReclaimPolicy: Recycle"), 'spec.persistentVolumeReclaimPolicy: Unsupported value: "Recycle"'],
  ["a local volume without node affinity", volume("loc-1").replace("hostPath: {path: /srv/loc-1}", "local: {path: /srv/loc-1}"), "spec.nodeAffinity: Local volume requires node affinity"],
  ["a relative hostPath", volume("rel-1").replace("/srv/rel-1", "srv/rel-1"), "spec.hostPath.path: Invalid value"],
  ["a Block claim", claim("block", "  volumeMode: Block"), 'spec.volumeMode: Unsupported value: "Block"'],
  ["a claim without storage", claim("nostorage").replace("{requests: {storage: 1Gi}}", "{}"), "spec.resources[storage]: Required value"],
  ["a claim from a snapshot", claim("snap", "  dataSource: {kind: VolumeSnapshot, name: s, apiGroup: snapshot.storage.k8s.io}"), "spec.dataSource: Forbidden"],
  ["a class of an external provisioner", "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: ebs}\nprovisioner: ebs.csi.aws.com\n", 'provisioner: Unsupported value: "ebs.csi.aws.com"'],
  ["a class allowing expansion", `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: grow}\nprovisioner: kubun.io/local-path\nallowVolumeExpansion: true\n`, "allowVolumeExpansion: Forbidden"],
])("%s is refused with 422 naming the field", async (_what, manifest, message) => {
  const r = await s.kubectl(["create", "-f", "-"], { stdin: manifest });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("is invalid");
  expect(r.stderr).toContain(message);
});

test("a claim's spec is immutable, and a class's provisioner too", async () => {
  const r = await s.kubectl(["patch", "pvc", "data", "--type", "merge", "-p", '{"spec":{"accessModes":["ReadWriteMany"]}}']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("spec: Forbidden: spec is immutable after creation");
  const sc = await s.kubectl(["patch", "sc", "local-path", "--type", "merge", "-p", '{"reclaimPolicy":"Retain"}']);
  expect(sc.code).not.toBe(0);
  expect(sc.stderr).toContain("reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.");
});

test("a LimitRange's PersistentVolumeClaim min and max hold claims' storage requests", async () => {
  await ok(["create", "namespace", "limited"]);
  await ok(["apply", "-n", "limited", "-f", "-"], `apiVersion: v1
kind: LimitRange
metadata: {name: storage}
spec:
  limits: [{type: PersistentVolumeClaim, min: {storage: 500Mi}, max: {storage: 1Gi}}]`);
  const sized = (name: string, storage: string) => claim(name).replace("storage: 1Gi", `storage: ${storage}`);
  await ok(["create", "-n", "limited", "-f", "-"], sized("fits", "1Gi"));
  const big = await s.kubectl(["create", "-n", "limited", "-f", "-"], { stdin: sized("big", "2Gi") });
  expect(big.stderr).toContain('persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 2Gi');
  const small = await s.kubectl(["create", "-n", "limited", "-f", "-"], { stdin: sized("small", "100Mi") });
  expect(small.stderr).toContain('persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 500Mi, but request is 100Mi');
  expect(await ok(["get", "pvc", "-n", "limited", "-o", "name"])).toBe("persistentvolumeclaim/fits\n");
});
