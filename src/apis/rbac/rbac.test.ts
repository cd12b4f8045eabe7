import { describe, expect, test } from "bun:test";
import { applyDefaults, toTable, validateObject } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";

const G = "rbac.authorization.k8s.io";
const roles = findResource(G, "v1", "roles")!;
const clusterRoles = findResource(G, "v1", "clusterroles")!;
const roleBindings = findResource(G, "v1", "rolebindings")!;
const clusterRoleBindings = findResource(G, "v1", "clusterrolebindings")!;
const meta = (namespace?: string) => ({ name: "r", ...(namespace && { namespace }), creationTimestamp: "2026-01-01T00:00:00Z" });
const causesOf = (r: typeof roles, obj: object, old?: object) => {
  const o = structuredClone(obj) as KubeObject;
  applyDefaults(r, o);
  return validateObject(r, o, old as KubeObject | undefined).map((c) => `${c.field}: ${c.message}`);
};

describe("Role and ClusterRole rules", () => {
  test.each<[string, typeof roles, object[], string]>([
    ["no verbs", roles, [{ apiGroups: [""], resources: ["pods"] }], "rules[0].verbs: verbs must contain at least one value"],
    ["no api group", roles, [{ verbs: ["get"], resources: ["pods"] }], "rules[0].apiGroups: resource rules must supply at least one api group"],
    ["no resources", roles, [{ verbs: ["get"], apiGroups: [""] }], "rules[0].resources: resource rules must supply at least one resource"],
    ["URLs in a Role", roles, [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }], "namespaced rules cannot apply to non-resource URLs"],
    ["URLs with resources", clusterRoles, [{ verbs: ["get"], resources: ["pods"], nonResourceURLs: ["/healthz"] }], "rules cannot apply to both regular resources and non-resource URLs"],
    ["verbs not strings", clusterRoles, [{ verbs: [1], apiGroups: [""], resources: ["pods"] }], "rules[0].verbs[0]: Invalid value: 1: must be a string"],
  ])("%s", (_, r, rules, want) => {
    expect(causesOf(r, { metadata: meta(r.namespaced ? "default" : undefined), rules }).join("\n")).toContain(want);
  });

  test("valid rules, and an aggregationRule needs a selector", () => {
    expect(causesOf(clusterRoles, { metadata: meta(), rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }, { verbs: ["*"], apiGroups: ["*"], resources: ["*"] }] })).toEqual([]);
    expect(causesOf(clusterRoles, { metadata: meta(), aggregationRule: { clusterRoleSelectors: [] } })).toEqual([
      "aggregationRule.clusterRoleSelectors: at least one clusterRoleSelector required if aggregationRule is non-nil",
    ]);
  });
});

describe("RoleBinding and ClusterRoleBinding", () => {
  const ref = { kind: "ClusterRole", name: "view" };
  test("users and groups are defaulted into RBAC's group, and validate", () => {
    const b = { metadata: meta("default"), roleRef: ref, subjects: [{ kind: "User", name: "u" }, { kind: "ServiceAccount", name: "sa" }] } as unknown as KubeObject;
    applyDefaults(roleBindings, b);
    expect(b).toMatchObject({ roleRef: { apiGroup: G }, subjects: [{ apiGroup: G }, { kind: "ServiceAccount" }] });
    expect((b as unknown as { subjects: object[] }).subjects[1]).not.toHaveProperty("apiGroup");
    expect(validateObject(roleBindings, b)).toEqual([]);
    expect(toTable(roleBindings, [b], { now: new Date("2026-01-01T00:01:00Z") }).rows[0]!.cells).toEqual(["r", "ClusterRole/view", "60s", "u", "", "default/sa"]);
  });

  test.each<[string, typeof roles, object, string]>([
    ["a Role in a ClusterRoleBinding", clusterRoleBindings, { roleRef: { kind: "Role", name: "x" }, subjects: [] }, 'roleRef.kind: Unsupported value: "Role"'],
    ["another group", roleBindings, { roleRef: { apiGroup: "example.com", kind: "Role", name: "x" } }, 'roleRef.apiGroup: Unsupported value: "example.com"'],
    ["no role name", roleBindings, { roleRef: { kind: "Role" } }, "roleRef.name: Required value"],
    ["a subject without a name", roleBindings, { roleRef: ref, subjects: [{ kind: "User" }] }, "subjects[0].name: Required value"],
    ["an unknown subject kind", roleBindings, { roleRef: ref, subjects: [{ kind: "Robot", name: "r" }] }, 'subjects[0].kind: Unsupported value: "Robot"'],
    ["a service account without namespace, cluster-wide", clusterRoleBindings, { roleRef: ref, subjects: [{ kind: "ServiceAccount", name: "sa" }] }, "subjects[0].namespace: Required value"],
    ["a service account in RBAC's group", roleBindings, { roleRef: ref, subjects: [{ kind: "ServiceAccount", name: "sa", apiGroup: G }] }, "subjects[0].apiGroup: Unsupported value"],
  ])("%s", (_, r, body, want) => {
    expect(causesOf(r, { metadata: meta(r.namespaced ? "default" : undefined), ...body }).join("\n")).toContain(want);
  });

  test("roleRef cannot change", () => {
    const old = { metadata: meta("default"), roleRef: { ...ref, apiGroup: G } };
    expect(causesOf(roleBindings, { ...old, roleRef: { apiGroup: G, kind: "ClusterRole", name: "admin" } }, old)).toContain(
      'roleRef: Invalid value: {"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"}: cannot change roleRef',
    );
  });
});
