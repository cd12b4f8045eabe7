// A manager new on the object (a kubelet's first status write, a controller's first update) has
// its own path in updateManagedFields: its FieldsV1 tree built in the diff's walk. These tests
// hold it to the general path (field sets: updateByFieldSets), byte for byte, and check which
// path each case takes, so a case meant for the new path cannot pass on the general one.
import { describe, expect, test } from "bun:test";
import type { KubeObject, ManagedFieldsEntry } from "../../apis/meta.ts";
import { serverSideApply } from "./apply.ts";
import { newManagerPath, updateByFieldSets, updateManagedFields } from "./managed-fields.ts";

const T0 = "2025-01-01T00:00:00Z";
const T1 = "2025-01-01T00:01:00Z";
const T2 = "2025-01-01T00:02:00Z";

type Case = [name: string, old: KubeObject | undefined, updated: KubeObject, manager: string, subresource: string | undefined, path: "new" | "general"];

const clone = <T>(v: T): T => structuredClone(v);
const withStatus = (obj: KubeObject, status: unknown) => ({ ...clone(obj), status: clone(status) }) as KubeObject;
const withSpec = (obj: KubeObject, spec: unknown) => ({ ...clone(obj), spec: clone(spec) }) as KubeObject;
const entry = (manager: string, fieldsV1: Record<string, unknown>, subresource?: string): ManagedFieldsEntry => ({ manager, operation: "Update", apiVersion: "v1", time: T0, fieldsType: "FieldsV1", fieldsV1, ...(subresource ? { subresource } : {}) });

// A pod as a ReplicaSet controller creates it, bound, then the status a kubelet writes.
const podSpec = {
  containers: [{ name: "app", image: "busybox", ports: [{ containerPort: 80 }, { containerPort: 53, protocol: "UDP" }], resources: { requests: { cpu: "100m" } }, env: [{ name: "A", value: "1" }] }],
  restartPolicy: "Always",
  tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
};
const created = updateManagedFields(
  undefined,
  { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", uid: "u", resourceVersion: "1", labels: { app: "web" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "r", controller: true }] }, spec: podSpec, status: { phase: "Pending", qosClass: "Burstable" } },
  "kube-controller-manager",
  "Update",
  T0,
);
const scheduledCondition = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: T0 };
// The scheduler's binding (its own handler records no managedFields) and its condition written through status.
const bound = updateManagedFields(created, withStatus(withSpec(created, { ...podSpec, nodeName: "n1" }), { phase: "Pending", qosClass: "Burstable", conditions: [scheduledCondition] }), "default-scheduler", "Update", T0, "status");
const condition = (type: string, at = T1) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: at });
const kubeletStatus = (scheduled: unknown = scheduledCondition) => ({
  phase: "Running",
  conditions: [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"), condition("ContainersReady"), scheduled],
  hostIP: "172.16.0.1",
  hostIPs: [{ ip: "172.16.0.1" }],
  podIP: "10.0.0.7",
  podIPs: [{ ip: "10.0.0.7" }, { ip: "fd00::7" }],
  startTime: T1,
  qosClass: "Burstable",
  containerStatuses: [{ name: "app", state: { running: { startedAt: T1 } }, lastState: {}, ready: true, restartCount: 0, image: "busybox", imageID: "sha", containerID: "containerd://x", started: true }],
});

const lease = updateManagedFields(undefined, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "n1", namespace: "kube-node-lease" }, spec: { leaseDurationSeconds: 40 } }, "node-controller", "Update", T0);
const deployment = updateManagedFields(
  undefined,
  { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "default", labels: { app: "d" } }, spec: { selector: { matchLabels: { app: "d" } }, template: { metadata: { labels: { app: "d" } }, spec: { containers: [{ name: "c", image: "i" }] } } } },
  "kubectl-create",
  "Update",
  T0,
);
const widget = updateManagedFields(undefined, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "default" }, spec: { list: [{ a: 1 }, 2, [3]], map: { "x.y": { z: null } }, size: 1 } }, "widget-cli", "Update", T0);
const applied = serverSideApply(undefined, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default" }, data: { a: "1" } }, { manager: "kubectl", force: false, kind: "ConfigMap", now: T0 });

/** The bound pod with another status manager's set as a client may have sent it. */
const oddOwner = (fieldsV1: Record<string, unknown>) => ({ ...clone(bound), metadata: { ...clone(bound.metadata), managedFields: [entry("odd", fieldsV1, "status"), ...clone(bound.metadata.managedFields!)] } }) as KubeObject;
const renewed = updateManagedFields(lease, withSpec(lease, { leaseDurationSeconds: 40, holderIdentity: "n1", renewTime: T1 }), "kubelet", "Update", T1);
const noManagers = (obj: KubeObject) => ({ ...clone(obj), metadata: { ...clone(obj.metadata), managedFields: undefined } }) as KubeObject;

const cases: Case[] = [
  ["kubelet's first status write: conditions, containerStatuses, podIPs", bound, withStatus(bound, kubeletStatus()), "kubelet", "status", "new"],
  ["kubelet's first status write with the scheduler's condition changed (the scheduler owns it)", bound, withStatus(bound, kubeletStatus(condition("PodScheduled"))), "kubelet", "status", "general"],
  ["kubelet's first status write that drops the scheduler's condition", bound, withStatus(bound, { ...kubeletStatus(), conditions: [condition("Ready")] }), "kubelet", "status", "general"],
  ["a status write that removes a field no one owns", withStatus(bound, { ...bound.status as object, reason: "x" }), withStatus(bound, kubeletStatus()), "kubelet", "status", "new"],
  ["a binding-like update of spec.nodeName by a new manager", created, withSpec(created, { ...podSpec, nodeName: "n2" }), "my-scheduler", undefined, "new"],
  ["a new manager's update of a field the creator owns", bound, withSpec(bound, { ...podSpec, containers: [{ ...podSpec.containers[0], image: "other" }] }), "kubectl-edit", undefined, "general"],
  ["a new manager's update that removes a field the creator owns", bound, { ...clone(bound), metadata: { ...clone(bound.metadata), labels: {} } }, "kubectl-label", undefined, "general"],
  ["a new manager adding a label beside the creator's", bound, { ...clone(bound), metadata: { ...clone(bound.metadata), labels: { app: "web", tier: "fe" }, annotations: { a: "b" } } }, "kubectl-label", undefined, "new"],
  ["a new manager's write that changes nothing", bound, clone(bound), "kubectl", undefined, "new"],
  ["a new manager's status write that changes nothing", bound, clone(bound), "kubelet", "status", "new"],
  ["a Lease's first holder", lease, withSpec(lease, { leaseDurationSeconds: 40, holderIdentity: "n1", renewTime: "2025-01-01T00:00:10.000000Z" }), "kubelet", undefined, "new"],
  ["a Lease renewed by a new manager (the renewTime is the last holder's)", renewed, withSpec(renewed, { leaseDurationSeconds: 40, holderIdentity: "n1", renewTime: T2 }), "kubelet-2", undefined, "general"],
  ["a Deployment scaled by a new manager through scale", deployment, withSpec(deployment, { ...(deployment.spec as object), replicas: 3 }), "kubectl-scale", "scale", "new"],
  ["a Deployment's first status", deployment, withStatus(deployment, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: "Available", status: "True", lastUpdateTime: T1, lastTransitionTime: T1, reason: "MinimumReplicasAvailable", message: "m" }, { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" }] }), "kube-controller-manager", "status", "new"],
  ["a custom object's first status", widget, withStatus(widget, { ready: true, items: [{ a: 1 }, "s", "s"], nested: { deep: { leaf: [1, 2] } } }), "widget-controller", "status", "new"],
  ["a custom object's spec reshaped by a new manager", widget, withSpec(widget, { list: "now a leaf", map: { "x.y": { z: 1, w: {} } }, size: 1, extra: [] }), "widget-editor", undefined, "general"],
  ["a custom object's new fields by a new manager", widget, withSpec(widget, { ...(widget.spec as object), more: { a: [1, { b: 2 }], c: {} } }), "widget-editor", undefined, "new"],
  ["an applier's object updated beside it", applied, { ...clone(applied), data: { a: "1", b: "2" } } as KubeObject, "kubectl-edit", undefined, "new"],
  ["an applier's field taken by a new updater", applied, { ...clone(applied), data: { a: "2" } } as KubeObject, "kubectl-edit", undefined, "general"],
  ["managedFields sent in the body", bound, { ...withStatus(bound, kubeletStatus()), metadata: { ...clone(bound.metadata), managedFields: [entry("sent", { "f:status": { "f:phase": {} } }, "status")] } } as KubeObject, "kubelet", "status", "general"],
  ["managedFields sent in the body, none of them touched", bound, { ...withStatus(bound, kubeletStatus()), metadata: { ...clone(bound.metadata), managedFields: [entry("sent", { "f:spec": { "f:x": {} }, "f:metadata": { ".": {} } }), entry("empty", {})] } } as KubeObject, "kubelet", "status", "new"],
  ["an owner's odd set: a member as '.' alone", oddOwner({ "f:status": { "f:podIP": { ".": {} }, "f:x": {} } }), withStatus(oddOwner({ "f:status": { "f:podIP": { ".": {} }, "f:x": {} } }), kubeletStatus()), "kubelet", "status", "general"],
  ["an owner's odd set: a value that is not a tree, a list's node as a member", oddOwner({ "f:status": { "f:podIP": 1, "f:hostIPs": {} } }), withStatus(oddOwner({ "f:status": { "f:podIP": 1, "f:hostIPs": {} } }), kubeletStatus()), "kubelet", "status", "new"],
  ["an owner's odd set: an empty node is a member", oddOwner({ "f:status": { "f:startTime": {} } }), withStatus(oddOwner({ "f:status": { "f:startTime": {} } }), kubeletStatus()), "kubelet", "status", "general"],
  ["an owner's unsorted set, untouched", oddOwner({ "f:spec": { "f:z": {}, "f:a": {} } }), withStatus(oddOwner({ "f:spec": { "f:z": {}, "f:a": {} } }), kubeletStatus()), "kubelet", "status", "new"],
  ["the same manager under another subresource", bound, withSpec(bound, { ...podSpec, nodeName: "n1", priority: 0 }), "default-scheduler", undefined, "new"],
  ["metadata emptied (its system fields on one side only)", bound, { ...clone(bound), metadata: {} } as KubeObject, "kubectl", undefined, "general"],
  ["metadata filled in (its system fields on one side only)", { ...noManagers(bound), metadata: {} } as KubeObject, noManagers(bound), "kubectl", undefined, "general"],
  ["a list with duplicate keys", bound, withSpec(bound, { ...podSpec, containers: [{ name: "a", image: "1" }, { name: "a", image: "2" }] }), "kubectl", undefined, "general"],
  ["a create through status, no managedFields", undefined, withStatus(noManagers(bound), kubeletStatus()), "kubelet", "status", "new"],
  ["a create that sends managedFields", undefined, { ...withStatus(created, { phase: "x" }), metadata: { ...clone(created.metadata), managedFields: [entry("sent", { "f:spec": { "f:restartPolicy": {} } })] } } as KubeObject, "kubectl", undefined, "general"],
];

describe("a new manager's managedFields, made in the diff's walk", () => {
  test.each(cases)("%s", (_name, old, updated, manager, subresource, path) => {
    const want = JSON.stringify(updateByFieldSets(old, updated, manager, "Update", T1, subresource));
    expect(JSON.stringify(updateManagedFields(old, updated, manager, "Update", T1, subresource))).toBe(want);
    const entries = newManagerPath(old, updated, manager, T1, subresource);
    if (path === "general") expect(entries).toBeUndefined();
    else {
      expect(entries).toBeDefined();
      const mf = JSON.parse(want).metadata.managedFields;
      expect(JSON.stringify(entries!.length > 0 ? entries : undefined)).toBe(JSON.stringify(mf));
    }
  });

  test("the kubelet's entry: its fields, the status scope, the time", () => {
    const out = updateManagedFields(bound, withStatus(bound, kubeletStatus()), "kubelet", "Update", T1, "status");
    const kubelet = out.metadata.managedFields!.at(-1)!;
    expect(Object.keys(kubelet)).toEqual(["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"]);
    expect(kubelet).toMatchObject({ manager: "kubelet", operation: "Update", time: T1, subresource: "status" });
    const status = (kubelet.fieldsV1 as any)["f:status"];
    expect(Object.keys(status)).toEqual(["f:conditions", "f:containerStatuses", "f:hostIP", "f:hostIPs", "f:phase", "f:podIP", "f:podIPs", "f:startTime"]);
    expect(Object.keys(status["f:conditions"])).toEqual(['k:{"type":"ContainersReady"}', 'k:{"type":"Initialized"}', 'k:{"type":"PodReadyToStartContainers"}', 'k:{"type":"Ready"}']);
    expect(status["f:conditions"]['k:{"type":"Ready"}']).toEqual({ ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} });
    expect(Object.keys(status["f:podIPs"])).toEqual(['k:{"ip":"10.0.0.7"}', 'k:{"ip":"fd00::7"}']);
    // The scheduler's and the creator's entries are the live object's own.
    expect(out.metadata.managedFields!.slice(0, -1)).toEqual(bound.metadata.managedFields!);
  });

  // Random writes over a pod-like object by a new manager beside two others: both paths agree.
  test("random writes: the same bytes as the general path", () => {
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const pick = <T>(xs: T[]): T => xs[rnd(xs.length)]!;
    const leaf = () => pick<unknown>(["a", "b", 1, 2, true, null, {}, [], [1], { x: 1 }]);
    const status = (): Record<string, unknown> => {
      const s: Record<string, unknown> = {};
      for (const name of ["phase", "reason", "podIP", "hostIP"]) if (rnd(2)) s[name] = leaf();
      if (rnd(3)) s.conditions = Array.from({ length: rnd(4) }, () => ({ type: pick(["A", "B", "C", "D"]), status: pick(["True", "False"]), ...(rnd(2) ? { reason: leaf() } : {}) }));
      if (rnd(3)) s.podIPs = Array.from({ length: rnd(3) }, () => ({ ip: pick(["1", "2", "3"]) }));
      if (rnd(3)) s.containerStatuses = Array.from({ length: rnd(3) }, () => ({ name: pick(["x", "y", "z"]), ready: leaf(), state: rnd(2) ? { running: { startedAt: leaf() } } : leaf() }));
      if (rnd(4) === 0) s.extra = rnd(2) ? { a: leaf(), b: { c: leaf() } } : leaf();
      return s;
    };
    let viaNew = 0;
    let viaGeneral = 0;
    for (let i = 0; i < 400; i++) {
      const base = withStatus(created, status());
      // Two earlier writers: owners of whatever they wrote.
      const first = updateManagedFields(base, withStatus(base, status()), "writer-1", "Update", T0, "status");
      const second = updateManagedFields(first, withStatus(first, status()), "writer-2", "Update", T0, rnd(4) ? "status" : undefined);
      const updated = withStatus(second, status());
      const want = JSON.stringify(updateByFieldSets(second, updated, "kubelet", "Update", T1, "status"));
      expect(JSON.stringify(updateManagedFields(second, updated, "kubelet", "Update", T1, "status"))).toBe(want);
      if (newManagerPath(second, updated, "kubelet", T1, "status") === undefined) viaGeneral++;
      else viaNew++;
    }
    // Both paths were taken often enough for the comparison to mean something.
    expect(viaNew).toBeGreaterThan(50);
    expect(viaGeneral).toBeGreaterThan(50);
  });
});
