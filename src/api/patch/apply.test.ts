import { describe, expect, test } from "bun:test";
import { StatusError } from "../../apis/errors.ts";
import type { KubeObject, ManagedFieldsEntry } from "../../apis/meta.ts";
import { serverSideApply, type ApplyOptions } from "./apply.ts";
import { FieldSet, fieldsOf, pathString } from "./field-set.ts";
import { rootType } from "./merge-keys.ts";
import { statusErrorOf } from "../../apis/errors-testing.ts";

const T0 = "2025-01-01T00:00:00Z";
const T1 = "2025-01-01T00:01:00Z";
const opts = (extra: Partial<ApplyOptions> = {}): ApplyOptions => ({ manager: "kubectl", force: false, kind: "Deployment", now: T0, ...extra });

const config = (o: { replicas?: number; image?: string; labels?: Record<string, string>; ports?: unknown[] } = {}): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default", labels: o.labels ?? { app: "web" } },
  spec: {
    ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: o.image ?? "nginx:1", ports: o.ports ?? [{ containerPort: 80 }] }] },
    },
  },
});

const entry = (obj: KubeObject, manager: string) => obj.metadata.managedFields?.find((e) => e.manager === manager);
const owned = (obj: KubeObject, manager: string) => [...FieldSet.fromFieldsV1(entry(obj, manager)?.fieldsV1 ?? {})].map(pathString).sort();
const spec = (obj: KubeObject) => obj.spec as any;

/** A live object written by some Update manager that owns the fields of `obj`. */
function ownedBy(obj: KubeObject, manager: string, fields?: string[][]): KubeObject {
  const set = fields ? new FieldSet(fields) : fieldsOf(obj, rootType("Deployment"));
  const e: ManagedFieldsEntry = { manager, operation: "Update", apiVersion: "apps/v1", time: T0, fieldsType: "FieldsV1", fieldsV1: set.toFieldsV1() };
  return { ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), managedFields: [e] } };
}

const conflictOf = statusErrorOf;

describe("serverSideApply: creating and re-applying", () => {
  test("creates the object with an Apply entry owning what the configuration sets", () => {
    const out = serverSideApply(undefined, config({ replicas: 2 }), opts());
    expect(spec(out).replicas).toBe(2);
    expect(out.metadata.managedFields).toHaveLength(1);
    const e = entry(out, "kubectl")!;
    expect({ ...e, fieldsV1: undefined }).toEqual({ manager: "kubectl", operation: "Apply", apiVersion: "apps/v1", time: T0, fieldsType: "FieldsV1", fieldsV1: undefined });
    expect(owned(out, "kubectl")).toEqual([
      ".metadata.labels.app",
      ".spec.replicas",
      ".spec.selector",
      ".spec.template.metadata.labels.app",
      '.spec.template.spec.containers[name="web"]',
      '.spec.template.spec.containers[name="web"].image',
      '.spec.template.spec.containers[name="web"].name',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort',
    ]);
  });

  test("re-applying the same configuration changes nothing but the time", () => {
    const first = serverSideApply(undefined, config({ replicas: 2 }), opts());
    const again = serverSideApply(first, config({ replicas: 2 }), opts({ now: T1 }));
    expect({ ...again, metadata: { ...again.metadata, managedFields: undefined } }).toEqual({ ...first, metadata: { ...first.metadata, managedFields: undefined } });
    expect(entry(again, "kubectl")!.time).toBe(T1);
    expect(owned(again, "kubectl")).toEqual(owned(first, "kubectl"));
  });

  test("changing the image keeps the fields it does not mention", () => {
    const live = serverSideApply(undefined, config(), opts());
    (live.spec as any).template.spec.containers[0].terminationMessagePath = "/dev/termination-log"; // a defaulted field
    const out = serverSideApply(live, config({ image: "nginx:2" }), opts());
    expect(spec(out).template.spec.containers).toEqual([
      { name: "web", image: "nginx:2", ports: [{ containerPort: 80 }], terminationMessagePath: "/dev/termination-log" },
    ]);
  });

  test("fields the manager applied before and omits now are removed", () => {
    const live = serverSideApply(undefined, config({ replicas: 3, labels: { app: "web", tier: "fe" }, ports: [{ containerPort: 80 }, { containerPort: 443 }] }), opts());
    const out = serverSideApply(live, config(), opts());
    expect(out.metadata.labels).toEqual({ app: "web" });
    expect("replicas" in spec(out)).toBe(false);
    expect(spec(out).template.spec.containers[0].ports).toEqual([{ containerPort: 80 }]);
    expect(owned(out, "kubectl")).not.toContain(".spec.replicas");
  });

  test("an omitted field another manager also owns stays", () => {
    const applied = serverSideApply(undefined, config({ labels: { app: "web", team: "a" } }), opts());
    const shared: ManagedFieldsEntry = {
      manager: "kubectl-label",
      operation: "Update",
      apiVersion: "v1",
      time: T0,
      fieldsType: "FieldsV1",
      fieldsV1: { "f:metadata": { "f:labels": { "f:team": {} } } },
    };
    const live = { ...applied, metadata: { ...applied.metadata, managedFields: [...applied.metadata.managedFields!, shared] } };
    const out = serverSideApply(live, config(), opts());
    expect(out.metadata.labels).toEqual({ app: "web", team: "a" });
    expect(owned(out, "kubectl-label")).toEqual([".metadata.labels.team"]);
  });

  test("fields set by other writers survive an apply", () => {
    const live = serverSideApply(undefined, config(), opts());
    live.metadata.annotations = { "deployment.kubernetes.io/revision": "1" };
    live.status = { replicas: 1 };
    const out = serverSideApply(live, config({ image: "x" }), opts());
    expect(out.metadata.annotations).toEqual({ "deployment.kubernetes.io/revision": "1" });
    expect(out.status).toEqual({ replicas: 1 });
  });

  test("status in the configuration is not applied through the main resource", () => {
    const out = serverSideApply(undefined, { ...config(), status: { replicas: 9 } }, opts());
    expect(out.status).toBeUndefined();
  });

  test("two appliers of different fields each own their own", () => {
    const first = serverSideApply(undefined, config(), opts());
    const scaler: KubeObject = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: { replicas: 5 } };
    const out = serverSideApply(first, scaler, opts({ manager: "autoscaler" }));
    expect(spec(out).replicas).toBe(5);
    expect(owned(out, "autoscaler")).toEqual([".spec.replicas"]);
    expect(owned(out, "kubectl")).not.toContain(".spec.replicas");
  });

  test("inputs are not mutated", () => {
    const live = serverSideApply(undefined, config(), opts());
    const applied = config({ image: "z" });
    const before = [structuredClone(live), structuredClone(applied)];
    serverSideApply(live, applied, opts());
    expect([live, applied]).toEqual(before);
  });
});

describe("serverSideApply: conflicts", () => {
  const clientSideApplied = () => ownedBy(config({ replicas: 1 }), "kubectl-client-side-apply");

  test("a changed field owned by another manager is a 409 in Kubernetes' words", () => {
    const err = conflictOf(() => serverSideApply(clientSideApplied(), config({ replicas: 3 }), opts()));
    expect(err.code).toBe(409);
    expect(err.reason).toBe("Conflict");
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(err.status.details?.causes).toEqual([
      { reason: "FieldManagerConflict", message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: ".spec.replicas" },
    ]);
  });

  test("several conflicts are listed per manager", () => {
    const err = conflictOf(() => serverSideApply(clientSideApplied(), config({ replicas: 3, image: "b" }), opts()));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
        "- .spec.replicas\n" +
        '- .spec.template.spec.containers[name="web"].image',
    );
  });

  test("a conflict with another applier names it without an apiVersion", () => {
    const live = serverSideApply(undefined, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: { replicas: 5 } }, opts({ manager: "hpa" }));
    const err = conflictOf(() => serverSideApply(live, config({ replicas: 1 }), opts()));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "hpa": .spec.replicas');
  });

  test("applying the value the other manager set shares ownership", () => {
    const out = serverSideApply(clientSideApplied(), config({ replicas: 1 }), opts());
    expect(owned(out, "kubectl")).toContain(".spec.replicas");
    expect(owned(out, "kubectl-client-side-apply")).toContain(".spec.replicas");
  });

  test("force takes the field over", () => {
    const out = serverSideApply(clientSideApplied(), config({ replicas: 3 }), opts({ force: true }));
    expect(spec(out).replicas).toBe(3);
    expect(owned(out, "kubectl")).toContain(".spec.replicas");
    expect(owned(out, "kubectl-client-side-apply")).not.toContain(".spec.replicas");
    expect(owned(out, "kubectl-client-side-apply")).toContain('.spec.template.spec.containers[name="web"].image');
  });

  test("an object without managedFields is attributed to before-first-apply", () => {
    const live = config({ replicas: 1 });
    const err = conflictOf(() => serverSideApply(live, config({ replicas: 2 }), opts()));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
    const same = serverSideApply(live, config({ replicas: 1 }), opts());
    expect(same.metadata.managedFields?.map((e) => e.manager)).toEqual(["before-first-apply", "kubectl"]);
  });

  test("removing a field is never a conflict", () => {
    const live = serverSideApply(clientSideApplied(), config({ replicas: 1 }), opts());
    const out = serverSideApply(live, config(), opts());
    expect(spec(out).replicas).toBe(1); // still owned by the client-side applier
  });
});

describe("serverSideApply: request errors", () => {
  test("a missing field manager is 422", () => {
    const err = conflictOf(() => serverSideApply(undefined, config(), opts({ manager: "" })));
    expect(err.code).toBe(422);
    expect(err.message).toContain("fieldManager");
  });

  test("managedFields in the configuration is 400", () => {
    const applied = config();
    applied.metadata.managedFields = [];
    expect(conflictOf(() => serverSideApply(undefined, applied, opts())).code).toBe(400);
  });
});

describe("serverSideApply: removing list items", () => {
  test("a dropped container goes whole", () => {
    const two = config();
    (two.spec as any).template.spec.containers.push({ name: "side", image: "s" });
    const live = serverSideApply(undefined, two, opts());
    const out = serverSideApply(live, config(), opts());
    expect(spec(out).template.spec.containers.map((c: any) => c.name)).toEqual(["web"]);
  });

  test("a dropped container another manager changed keeps that manager's fields and its key", () => {
    const two = config();
    (two.spec as any).template.spec.containers.push({ name: "side", image: "s", args: ["-v"] });
    const applied = serverSideApply(undefined, two, opts());
    const imageSetter: ManagedFieldsEntry = {
      manager: "kubectl-set",
      operation: "Update",
      apiVersion: "apps/v1",
      time: T0,
      fieldsType: "FieldsV1",
      fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"side"}': { "f:image": {} } } } } } },
    };
    const live = { ...applied, metadata: { ...applied.metadata, managedFields: [...applied.metadata.managedFields!, imageSetter] } };
    const out = serverSideApply(live, config(), opts());
    expect(spec(out).template.spec.containers).toEqual([
      { name: "web", image: "nginx:1", ports: [{ containerPort: 80 }] },
      { name: "side", image: "s" },
    ]);
  });
});

describe("serverSideApply: status subresource", () => {
  test("applies and owns only status, under the status subresource", () => {
    const live = serverSideApply(undefined, config({ replicas: 1 }), opts());
    const body: KubeObject = { ...config({ replicas: 9 }), status: { replicas: 1, conditions: [{ type: "Available", status: "True" }] } };
    const out = serverSideApply(live, body, opts({ manager: "controller", subresource: "status" }));
    expect(spec(out).replicas).toBe(1);
    expect(out.status).toEqual({ replicas: 1, conditions: [{ type: "Available", status: "True" }] });
    const e = out.metadata.managedFields!.find((m) => m.manager === "controller")!;
    expect(e.subresource).toBe("status");
    expect(owned(out, "controller")).toEqual(['.status.conditions[type="Available"]', '.status.conditions[type="Available"].status', '.status.conditions[type="Available"].type', ".status.replicas"]);
  });
});
