// The VolumeBinding pre-filter and filter: a table of {pod's claims, cluster, want}.
import { describe, expect, test } from "bun:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { StorageClass } from "../apis/storage/storageclass.ts";
import { ObjectCache } from "../client/index.ts";
import { podQueryFrom } from "./convert.ts";
import { REASON_NO_VOLUME_TO_BIND, REASON_UNBOUND_IMMEDIATE, REASON_VOLUME_NODE_CONFLICT, filterByVolumes, podVolumes } from "./volume-binding.ts";

const node = (name: string, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({ metadata: { name, labels: { "kubernetes.io/hostname": name }, ...extra } });
const NODES = [node("a", { annotations: { "kubun.io/local-path-dir": "/a" } }), node("b", { annotations: { "kubun.io/local-path-dir": "/b" } }), node("c")];
const pod = (claims: string[], spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: "p", namespace: "ns" },
  spec: { containers: [{ name: "c" }], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })), ...spec },
});
const claim = (name: string, spec: PersistentVolumeClaim["spec"], annotations?: Record<string, string>): PersistentVolumeClaim => ({
  metadata: { name, namespace: "ns", uid: name, annotations },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec },
});
const pinned = (name: string, nodeName: string): PersistentVolume => ({
  metadata: { name },
  spec: {
    capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], storageClassName: "manual", hostPath: { path: "/x" },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [nodeName] }] }] } },
  },
  status: { phase: "Available" },
});

function listers() {
  const claims = new ObjectCache<PersistentVolumeClaim>();
  const volumes = new ObjectCache<PersistentVolume>();
  const classes = new ObjectCache<StorageClass>();
  classes.set({ metadata: { name: "local-path" }, provisioner: "kubun.io/local-path", volumeBindingMode: "WaitForFirstConsumer" });
  classes.set({ metadata: { name: "manual" }, provisioner: "kubernetes.io/no-provisioner", volumeBindingMode: "WaitForFirstConsumer" });
  classes.set({ metadata: { name: "now" }, provisioner: "kubun.io/local-path", volumeBindingMode: "Immediate" });
  claims.set(claim("bound-on-b", { storageClassName: "manual", volumeName: "pv-b" }));
  volumes.set(pinned("pv-b", "b"));
  volumes.set(pinned("pv-c", "c"));
  claims.set(claim("wffc", { storageClassName: "local-path" }));
  claims.set(claim("wffc-chosen", { storageClassName: "local-path" }, { "volume.kubernetes.io/selected-node": "a" }));
  claims.set(claim("manual", { storageClassName: "manual" }));
  claims.set(claim("immediate", { storageClassName: "now" }));
  return { claims, volumes, classes };
}

describe("pre-filter", () => {
  test.each([
    ["no claims", [], undefined],
    ["a missing claim", ["nope"], 'persistentvolumeclaim "nope" not found'],
    ["an unbound Immediate claim", ["immediate"], REASON_UNBOUND_IMMEDIATE],
    ["a bound claim", ["bound-on-b"], undefined],
    ["a WaitForFirstConsumer claim", ["wffc"], undefined],
  ])("%s", (_name, claims, want) => {
    expect(podVolumes(pod(claims), listers()).unschedulable).toBe(want);
  });
});

describe("filter", () => {
  test.each([
    ["a bound volume pins the pod to its node", ["bound-on-b"], { b: undefined, a: REASON_VOLUME_NODE_CONFLICT, c: REASON_VOLUME_NODE_CONFLICT }],
    ["local-path goes to nodes with a local-path dir", ["wffc"], { a: undefined, b: undefined, c: REASON_NO_VOLUME_TO_BIND }],
    ["a selected node holds for an unbound claim", ["wffc-chosen"], { a: undefined, b: REASON_VOLUME_NODE_CONFLICT, c: REASON_VOLUME_NODE_CONFLICT }],
    ["no-provisioner claims go where a matching volume is", ["manual"], { a: REASON_NO_VOLUME_TO_BIND, b: undefined, c: undefined }],
  ])("%s", (_name, claims, want) => {
    const { filter } = podVolumes(pod(claims), listers());
    const got = Object.fromEntries(NODES.map((n) => [n.metadata.name!, filter!(n)]));
    expect(got).toEqual(want);
  });

  test("only unannotated WaitForFirstConsumer claims are annotated at binding", () => {
    expect(podVolumes(pod(["wffc", "wffc-chosen", "bound-on-b"]), listers()).toProvision.map((c) => c.metadata.name)).toEqual(["wffc"]);
  });

  test("the query is narrowed to the allowed nodes; nodes the pod's own selector rejects keep that reason", () => {
    const p = pod(["bound-on-b"], { nodeSelector: { "kubernetes.io/hostname": "a" } });
    const { filter } = podVolumes(p, listers());
    const r = filterByVolumes(podQueryFrom(p), NODES, filter!);
    expect(r.allowed).toBe(1);
    expect(r.query.requiredTerms).toEqual([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["b"] }] }]);
    // a matches the pod's selector but not the volume; c matches neither (counted as node affinity).
    expect(r.rejections).toEqual({ [REASON_VOLUME_NODE_CONFLICT]: 1 });
  });
});
