import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../apis/meta.ts";
import { serverSideApply } from "./apply.ts";
import { FieldSet, pathString } from "./field-set.ts";
import { changedFields, isManager, readOwners, updateManagedFields, writeOwners } from "./managed-fields.ts";

const T0 = "2025-01-01T00:00:00Z";
const T1 = "2025-01-01T00:01:00Z";

const pod = (image = "a", extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", uid: "u1", resourceVersion: "5", labels: { app: "web" } },
  spec: { containers: [{ name: "c", image }] },
  ...extra,
});
const owned = (obj: KubeObject, manager: string, subresource?: string) =>
  [
    ...FieldSet.fromFieldsV1(
      obj.metadata.managedFields?.find((e) => e.manager === manager && (e.subresource ?? "") === (subresource ?? ""))?.fieldsV1 ?? {},
    ),
  ]
    .map(pathString)
    .sort();

describe("updateManagedFields", () => {
  test("a create makes the manager own every field but identity, system metadata and status", () => {
    const out = updateManagedFields(undefined, pod("a", { status: { phase: "Pending" } }), "kubectl-run", "Update", T0);
    expect(out.metadata.managedFields).toHaveLength(1);
    expect(out.metadata.managedFields![0]).toMatchObject({ manager: "kubectl-run", operation: "Update", apiVersion: "v1", time: T0, fieldsType: "FieldsV1" });
    expect(owned(out, "kubectl-run")).toEqual([
      ".metadata.labels.app",
      '.spec.containers[name="c"]',
      '.spec.containers[name="c"].image',
      '.spec.containers[name="c"].name',
    ]);
  });

  test("an update takes the changed fields away from their previous owner", () => {
    const created = updateManagedFields(undefined, pod("a"), "kubectl-run", "Update", T0);
    const edited = structuredClone(created);
    (edited.spec as any).containers[0].image = "b";
    edited.metadata.labels = { app: "web", tier: "fe" };
    const out = updateManagedFields(created, edited, "kubectl-edit", "Update", T1);
    expect(owned(out, "kubectl-edit")).toEqual([".metadata.labels.tier", '.spec.containers[name="c"].image']);
    expect(owned(out, "kubectl-run")).not.toContain('.spec.containers[name="c"].image');
    expect(owned(out, "kubectl-run")).toContain(".metadata.labels.app");
    expect(out.metadata.managedFields!.find((e) => e.manager === "kubectl-run")!.time).toBe(T0);
  });

  test("an update takes fields from an applier too, without conflict", () => {
    const applied = serverSideApply(undefined, pod("a"), { manager: "kubectl", force: false, kind: "Pod", now: T0 });
    const edited = structuredClone(applied);
    (edited.spec as any).containers[0].image = "b";
    const out = updateManagedFields(applied, edited, "kubectl-edit", "Update", T1);
    expect(owned(out, "kubectl")).not.toContain('.spec.containers[name="c"].image');
    expect(owned(out, "kubectl-edit")).toEqual(['.spec.containers[name="c"].image']);
  });

  test("an update that changes nothing leaves managedFields alone", () => {
    const created = updateManagedFields(undefined, pod("a"), "kubectl-run", "Update", T0);
    const out = updateManagedFields(created, structuredClone(created), "kubectl-edit", "Update", T1);
    expect(out.metadata.managedFields).toEqual(created.metadata.managedFields);
  });

  test("removed fields leave every owner, and owners with nothing left disappear", () => {
    const created = updateManagedFields(undefined, pod("a"), "kubectl-run", "Update", T0);
    const labelled = updateManagedFields(created, { ...structuredClone(created), metadata: { ...created.metadata, labels: { app: "web", x: "1" } } }, "kubectl-label", "Update", T1);
    const unlabelled = structuredClone(labelled);
    delete unlabelled.metadata.labels!.x;
    const out = updateManagedFields(labelled, unlabelled, "kubectl-label", "Update", T1);
    expect(out.metadata.managedFields?.map((e) => e.manager)).toEqual(["kubectl-run"]);
  });

  test("a body without managedFields keeps the live object's", () => {
    const created = updateManagedFields(undefined, pod("a"), "kubectl-run", "Update", T0);
    const body = pod("b");
    delete body.metadata.managedFields;
    const out = updateManagedFields(created, body, "kubectl-replace", "Update", T1);
    expect(out.metadata.managedFields?.map((e) => e.manager)).toEqual(["kubectl-run", "kubectl-replace"]);
  });

  test("a status update owns only status fields, under the status subresource", () => {
    const created = updateManagedFields(undefined, pod("a"), "kubectl-run", "Update", T0);
    const running = { ...structuredClone(created), status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } };
    running.metadata.labels = { app: "changed-by-a-status-write" };
    const out = updateManagedFields(created, running, "kubelet", "Update", T1, "status");
    expect(owned(out, "kubelet", "status")).toEqual([".status.conditions[type=\"Ready\"]", ".status.conditions[type=\"Ready\"].status", ".status.conditions[type=\"Ready\"].type", ".status.phase"]);
    expect(out.metadata.managedFields!.find((e) => e.manager === "kubelet")!.subresource).toBe("status");
    expect(owned(out, "kubectl-run")).toContain(".metadata.labels.app");
  });

  test("the updated object is not mutated", () => {
    const body = pod("a");
    updateManagedFields(undefined, body, "m", "Update", T0);
    expect(body.metadata.managedFields).toBeUndefined();
  });
});

describe("updateManagedFields keeps the sets of managers a write does not touch", () => {
  /** The definition: every manager's set decoded, changed and encoded again (writeOwners). */
  function byDefinition(old: KubeObject | undefined, updated: KubeObject, manager: string, now: string, subresource?: string): KubeObject {
    const { changed, removed } = changedFields(old, updated, updated.kind ?? "", subresource);
    const sent = updated.metadata.managedFields;
    const owners = readOwners(sent && sent.length > 0 ? sent : old?.metadata.managedFields);
    let mine = owners.find((o) => isManager(o.entry, manager, "Update", updated.apiVersion ?? "", subresource));
    if (!mine) owners.push((mine = { entry: { manager, operation: "Update", apiVersion: updated.apiVersion ?? "", ...(subresource ? { subresource } : {}) }, fields: new FieldSet() }));
    for (const o of owners) if (o !== mine) for (const p of [...changed, ...removed]) o.fields.delete(p);
    for (const p of removed) mine.fields.delete(p);
    for (const p of changed) mine.fields.add(p);
    if (changed.size > 0 || removed.size > 0) mine.entry.time = now;
    const entries = writeOwners(owners);
    const metadata = { ...updated.metadata };
    if (entries.length > 0) metadata.managedFields = entries;
    else delete metadata.managedFields;
    return { ...updated, metadata };
  }
  const entry = (manager: string, fieldsV1: Record<string, unknown>, subresource?: string) => ({ manager, operation: "Update" as const, apiVersion: "v1", time: T0, fieldsType: "FieldsV1", fieldsV1, ...(subresource ? { subresource } : {}) });
  const base = pod("a", { status: { phase: "Pending" } });
  const created = updateManagedFields(undefined, base, "creator", "Update", T0);
  const bound = updateManagedFields(created, { ...created, spec: { ...(created.spec as object), nodeName: "n1" } } as KubeObject, "scheduler", "Update", T0);
  const running = { ...bound, status: { phase: "Running", podIPs: [{ ip: "10.0.0.1" }] } } as KubeObject;
  // Sets as a client may send them: out of order, "." alone, values that are not sets, empty.
  const odd = (mf: unknown[]) => ({ ...bound, metadata: { ...bound.metadata, managedFields: mf } }) as KubeObject;
  const unsorted = entry("unsorted", { "f:spec": { "f:nodeName": {} }, "f:metadata": { "f:labels": { "f:app": {} } } });
  const dotAlone = entry("dot", { "f:metadata": { "f:labels": { ".": {} } } });
  const notAnObject = entry("value", { "f:metadata": { "f:labels": { "f:app": 1 } } });
  const empty = entry("empty", {});
  const dotLast = entry("dotlast", { "f:spec": { "f:containers": { 'k:{"name":"c"}': {}, ".": {} } } });

  test.each([
    ["a status write beside the creator and the scheduler", bound, running, "kubelet", "status"],
    ["a spec write that takes a field from the creator", bound, { ...bound, spec: { ...(bound.spec as object), containers: [{ name: "c", image: "b" }] } }, "kubectl", undefined],
    ["a write by the creator itself", bound, { ...bound, metadata: { ...bound.metadata, labels: { app: "x" } } }, "creator", undefined],
    ["a write that removes a field", bound, { ...bound, metadata: { ...bound.metadata, labels: {} } }, "kubectl", undefined],
    ["a write that changes nothing", bound, bound, "kubectl", undefined],
    ["odd sets carried over from the live object", odd([unsorted, dotAlone, notAnObject, empty, dotLast, ...bound.metadata.managedFields!]), { ...running, metadata: { ...running.metadata, managedFields: [] } }, "kubelet", "status"],
    ["odd sets sent in the body", bound, { ...running, metadata: { ...running.metadata, managedFields: [dotLast, unsorted, empty, dotAlone] } }, "kubelet", "status"],
  ] as [string, KubeObject, KubeObject, string, string | undefined][])("%s: the same bytes as decoding and encoding every set", (_, old, updated, manager, subresource) => {
    const got = updateManagedFields(old, updated, manager, "Update", T1, subresource);
    expect(JSON.stringify(got)).toBe(JSON.stringify(byDefinition(old, updated, manager, T1, subresource)));
  });

  test("an untouched set is the live object's own", () => {
    const got = updateManagedFields(bound, running, "kubelet", "Update", T1, "status");
    expect(got.metadata.managedFields![0]!.fieldsV1).toBe(bound.metadata.managedFields![0]!.fieldsV1);
  });
});

describe("a create's managedFields, made in one walk", () => {
  // What the general path makes of a create (changedFields' set, written by toFieldsV1), byte for byte.
  const general = (obj: KubeObject) => {
    const changed = changedFields(undefined, obj, obj.kind ?? "").changed;
    return changed.size > 0 ? JSON.stringify(changed.toFieldsV1()) : undefined;
  };
  const objects: KubeObject[] = [
    pod("a", { status: { phase: "Pending" } }),
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "ns", generateName: "p-", labels: { b: "2", a: "1" }, annotations: {}, finalizers: ["x", "y", "x"], ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u2", controller: true }] },
      spec: {
        containers: [
          { name: "c", image: "i", ports: [{ containerPort: 80 }, { containerPort: 53, protocol: "UDP", name: "dns" }, { containerPort: 80 }], env: [{ name: "A", value: "1" }, { name: "B", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }], resources: { requests: { cpu: "1" } }, args: ["a", "b"] },
          { name: "d", image: "j", volumeMounts: [] },
        ],
        tolerations: [{ key: "k", operator: "Exists" }],
        nodeSelector: { zone: "a" },
        securityContext: {},
        volumes: [{ name: "v", emptyDir: {} }],
      },
    },
    { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { selector: { app: "a" }, ports: [{ port: 80, targetPort: 8080 }, { port: 80, protocol: "UDP" }], clusterIPs: ["10.0.0.1"] } },
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", labels: { app: "d" } }, spec: { replicas: 2, selector: { matchLabels: { app: "d" } }, template: { metadata: { labels: { app: "d" } }, spec: { containers: [{ name: "c", image: "i" }] } } } },
    { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "n1", namespace: "kube-node-lease", ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "n1", uid: "u" }] }, spec: { holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: "2025-01-01T00:00:00.000000Z" } },
    { apiVersion: "v1", kind: "Event", metadata: { name: "p.1", namespace: "default" }, involvedObject: { apiVersion: "v1", kind: "Pod", namespace: "default", name: "p" }, reason: "Scheduled", message: "m", type: "Normal", source: { component: "default-scheduler" }, firstTimestamp: T0, lastTimestamp: T0, count: 1, reportingComponent: "default-scheduler" },
    { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { list: [{ a: 1 }, 2, [3]], map: { "x.y": { z: null } }, empty: [] } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "only-system", namespace: "ns", uid: "u", resourceVersion: "1" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: {} as KubeObject["metadata"], data: { "k:{}": "v", ".": "dot" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, status: { phase: "x" } } as KubeObject,
    // Wide nodes (past the few tokens searched in order), keys in no order.
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "wide", labels: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`l${(i * 7) % 40}`, "v"])) }, data: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${(i * 131) % 300}`, String(i)])) },
  ];
  test.each(objects.map((o) => [`${o.kind} ${o.metadata.name ?? ""}`, o] as const))("%s", (_name, obj) => {
    const out = updateManagedFields(undefined, obj, "m", "Update", T0);
    const want = general(obj);
    if (want === undefined) expect(out.metadata.managedFields).toBeUndefined();
    else {
      expect(JSON.stringify(out.metadata.managedFields![0]!.fieldsV1)).toBe(want);
      expect(out.metadata.managedFields).toEqual([{ manager: "m", operation: "Update", apiVersion: obj.apiVersion!, time: T0, fieldsType: "FieldsV1", fieldsV1: JSON.parse(want) }]);
    }
  });
});
