// The bootstrap RBAC policy reconciled with what is stored: the pure rule and subject math, and
// ensureBootstrapPolicy over a real store bringing tampered built-in objects back in line.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import { SqliteStore } from "../store/index.ts";
import { AGGREGATED_CLUSTER_ROLES, BOOTSTRAP_CLUSTER_ROLES, ensureBootstrapPolicy } from "./rbac-bootstrap.ts";
import { uncoveredRules } from "./rbac-covers.ts";
import { AUTOUPDATE_ANNOTATION, reconcileClusterRole, reconcileClusterRoleBinding, type Reconciliation } from "./rbac-reconcile.ts";
import type { PolicyRule, Subject } from "./rbac-rules.ts";
import { Storage } from "./storage.ts";

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({ verbs, apiGroups, resources, ...(resourceNames && { resourceNames }) });

describe("uncoveredRules", () => {
  test.each([
    { name: "an identical rule covers", have: [rule(["get"], [""], ["pods"])], want: [rule(["get"], [""], ["pods"])], missing: 0 },
    { name: "wildcards cover", have: [rule(["*"], ["*"], ["*"])], want: [rule(["get", "list"], ["apps"], ["deployments", "deployments/scale"])], missing: 0 },
    { name: "a missing verb is missing", have: [rule(["get"], [""], ["pods"])], want: [rule(["get", "list"], [""], ["pods"])], missing: 1 },
    { name: "a resource does not cover its subresource", have: [rule(["get"], [""], ["pods"])], want: [rule(["get"], [""], ["pods/log"])], missing: 1 },
    { name: "*/sub covers the subresource", have: [rule(["get"], [""], ["*/log"])], want: [rule(["get"], [""], ["pods/log"])], missing: 0 },
    { name: "split across rules still covers", have: [rule(["get"], [""], ["pods"]), rule(["list"], [""], ["pods"])], want: [rule(["get", "list"], [""], ["pods"])], missing: 0 },
    { name: "named rules do not cover unnamed ones", have: [rule(["get"], [""], ["secrets"], ["a"])], want: [rule(["get"], [""], ["secrets"])], missing: 1 },
    { name: "unnamed rules cover named ones", have: [rule(["get"], [""], ["secrets"])], want: [rule(["get"], [""], ["secrets"], ["a"])], missing: 0 },
    { name: "another group does not cover", have: [rule(["get"], ["apps"], ["pods"])], want: [rule(["get"], [""], ["pods"])], missing: 1 },
    { name: "URL prefixes cover", have: [{ verbs: ["get"], nonResourceURLs: ["/api/*"] }], want: [{ verbs: ["get"], nonResourceURLs: ["/api/v1"] }], missing: 0 },
    { name: "a missing URL is missing", have: [{ verbs: ["get"], nonResourceURLs: ["/api"] }], want: [{ verbs: ["get"], nonResourceURLs: ["/api", "/version"] }], missing: 1 },
  ] as { name: string; have: PolicyRule[]; want: PolicyRule[]; missing: number }[])("$name", ({ have, want, missing }) => {
    expect(uncoveredRules(have, want)).toHaveLength(missing);
  });
});

const role = (rules: PolicyRule[], annotations: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "r", annotations }, rules }) as KubeObject;
const binding = (roleName: string, subjects: Subject[], annotations: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "b", annotations }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName }, subjects }) as KubeObject;
const user = (name: string): Subject => ({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name });

describe("reconcileClusterRole", () => {
  const expected = role([rule(["get"], [""], ["pods"]), rule(["list"], [""], ["pods"])], { [AUTOUPDATE_ANNOTATION]: "true" });

  test("adds what is missing and keeps the admin's own rules", () => {
    const custom = rule(["get"], ["example.com"], ["widgets"]);
    const result = reconcileClusterRole(role([rule(["get"], [""], ["pods"]), custom]), expected);
    expect(result.action).toBe("update");
    const rules = (result as unknown as { object: { rules: PolicyRule[] } }).object.rules;
    expect(rules).toEqual([rule(["get"], [""], ["pods"]), custom, rule(["list"], [""], ["pods"])]);
  });

  test("leaves a role that already grants everything", () => {
    expect(reconcileClusterRole(role([rule(["*"], [""], ["pods"])], { [AUTOUPDATE_ANNOTATION]: "true" }), expected)).toEqual({ action: "none" });
  });

  test('autoupdate "false" leaves it alone', () => {
    expect(reconcileClusterRole(role([], { [AUTOUPDATE_ANNOTATION]: "false" }), expected)).toEqual({ action: "none" });
  });
});

describe("reconcileClusterRoleBinding", () => {
  const expected = binding("view", [user("a")]);

  test.each([
    { name: "a missing subject is added, extra ones stay", have: binding("view", [user("x")]), action: "update", subjects: ["x", "a"] },
    { name: "nothing to do", have: binding("view", [user("a"), user("x")]), action: "none" },
    { name: "another roleRef: recreated", have: binding("edit", [user("x")]), action: "recreate", subjects: ["x", "a"] },
    { name: 'autoupdate "false": left alone', have: binding("edit", [], { [AUTOUPDATE_ANNOTATION]: "false" }), action: "none" },
  ] as { name: string; have: KubeObject; action: Reconciliation["action"]; subjects?: string[] }[])("$name", ({ have, action, subjects }) => {
    const result = reconcileClusterRoleBinding(have, expected);
    expect(result.action).toBe(action);
    if (subjects) {
      const object = (result as unknown as { object: { roleRef: { name: string }; subjects: Subject[] } }).object;
      expect(object.subjects.map((s) => s.name)).toEqual(subjects);
      expect(object.roleRef.name).toBe("view");
    }
  });
});

describe("ensureBootstrapPolicy on a stored policy", () => {
  const CLUSTER_ROLES = findResource("rbac.authorization.k8s.io", "v1", "clusterroles")!;
  const BINDINGS = findResource("rbac.authorization.k8s.io", "v1", "clusterrolebindings")!;
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function storage(): Promise<Storage> {
    const dir = mkdtempSync(join(tmpdir(), "kubun-rbac-reconcile-"));
    const store = new SqliteStore(join(dir, "state.db"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
    return new Storage(store);
  }

  const rulesOf = (s: Storage, name: string) => (s.get(CLUSTER_ROLES, undefined, name) as unknown as { rules: PolicyRule[] }).rules;
  const replace = (s: Storage, r: typeof CLUSTER_ROLES, name: string, change: (o: any) => void) =>
    s.update(r, undefined, name, (o) => {
      change(o);
      return o;
    });

  test("brings tampered built-in roles and bindings back, except where autoupdate is off", async () => {
    const s = await storage();
    await ensureBootstrapPolicy(s);
    const custom = rule(["get"], ["example.com"], ["widgets"]);
    // The view rules lost most of their rules and gained one of the admin's; the edit rules lost theirs but are marked hands-off.
    const VIEW = "system:aggregate-to-view";
    const EDIT = "system:aggregate-to-edit";
    await replace(s, CLUSTER_ROLES, VIEW, (o) => (o.rules = [BOOTSTRAP_CLUSTER_ROLES[VIEW]![0], custom]));
    await replace(s, CLUSTER_ROLES, EDIT, (o) => {
      o.rules = [custom];
      o.metadata.annotations[AUTOUPDATE_ANNOTATION] = "false";
    });
    await replace(s, BINDINGS, "system:basic-user", (o) => (o.subjects = [user("someone")]));
    await s.delete(BINDINGS, undefined, "system:discovery");
    const discovery = binding("system:public-info-viewer", [user("someone")]);
    discovery.metadata.name = "system:discovery";
    await s.create(BINDINGS, undefined, discovery);
    const unchanged = s.get(CLUSTER_ROLES, undefined, "admin").metadata.resourceVersion;

    await ensureBootstrapPolicy(s);

    expect(uncoveredRules(rulesOf(s, VIEW), BOOTSTRAP_CLUSTER_ROLES[VIEW]!)).toEqual([]);
    expect(rulesOf(s, VIEW)).toContainEqual(custom);
    expect(rulesOf(s, EDIT)).toEqual([custom]);
    expect(s.get(CLUSTER_ROLES, undefined, "admin").metadata.resourceVersion).toBe(unchanged);
    const basic = s.get(BINDINGS, undefined, "system:basic-user") as unknown as { subjects: Subject[] };
    expect(basic.subjects.map((x) => x.name)).toEqual(["someone", "system:authenticated"]);
    const rebound = s.get(BINDINGS, undefined, "system:discovery") as unknown as { roleRef: { name: string }; subjects: Subject[] };
    expect(rebound.roleRef.name).toBe("system:discovery");
    expect(rebound.subjects.map((x) => x.name)).toEqual(["someone", "system:authenticated"]);
  });

  test("an aggregated role gets its selectors back, and its rules are left to the aggregation controller", async () => {
    const s = await storage();
    await ensureBootstrapPolicy(s);
    expect(rulesOf(s, "admin")).toEqual(AGGREGATED_CLUSTER_ROLES.admin!);
    const custom = rule(["get"], ["example.com"], ["widgets"]);
    await replace(s, CLUSTER_ROLES, "view", (o) => {
      delete o.aggregationRule;
      o.rules = [custom];
    });
    await ensureBootstrapPolicy(s);
    const view = s.get(CLUSTER_ROLES, undefined, "view") as unknown as { rules: PolicyRule[]; aggregationRule: object };
    expect(view.aggregationRule).toEqual({ clusterRoleSelectors: [{ matchLabels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } }] });
    expect(view.rules).toEqual([custom]);
  });

  test("a second start with nothing changed writes nothing", async () => {
    const s = await storage();
    await ensureBootstrapPolicy(s);
    const revision = s.store.revision;
    await ensureBootstrapPolicy(s);
    expect(s.store.revision).toBe(revision);
  });
});
