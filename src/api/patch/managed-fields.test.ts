import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../apis/meta.ts";
import { serverSideApply } from "./apply.ts";
import { FieldSet, pathString } from "./field-set.ts";
import { updateManagedFields } from "./managed-fields.ts";

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
