// The default RBAC policy (after plugin/pkg/auth/authorizer/rbac/bootstrappolicy): cluster-admin,
// the aggregated admin, edit and view, and the system roles every user or component needs,
// bound as kube binds them. Created when missing at server start; edits made to them
// by the admin are kept.
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import { isAlreadyExists } from "../apis/errors.ts";
import { objectKey, type Storage } from "./storage.ts";
import { AUTOUPDATE_ANNOTATION, reconcileClusterRole, reconcileClusterRoleBinding, type Reconciliation } from "./rbac-reconcile.ts";
import { GROUP_AUTHENTICATED, GROUP_BOOTSTRAPPERS, GROUP_MASTERS, USER_CONTROLLER_MANAGER, USER_SCHEDULER } from "./auth.ts";
import { RBAC_GROUP } from "./rbac.ts";
import type { PolicyRule, Subject } from "./rbac-rules.ts";

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];
const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources });

// What view may read: everything in a namespace but secrets (and the token subresource).
const VIEW_RULES: PolicyRule[] = [
  rule(READ, [""], [
    "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers",
    "replicationcontrollers/scale", "serviceaccounts", "services", "services/status", "pods/log", "pods/status", "events",
    "namespaces", "namespaces/status", "limitranges", "resourcequotas", "resourcequotas/status", "bindings",
  ]),
  rule(READ, ["apps"], [
    "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
    "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status",
  ]),
  rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
  rule(READ, ["events.k8s.io"], ["events"]),
  rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
  rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
  rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
  rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
];

// What edit adds to view, and admin to edit (the system:aggregate-to-* roles upstream).
const EDIT_ONLY_RULES: PolicyRule[] = [
  rule([...READ, ...WRITE], [""], [
    "configmaps", "endpoints", "persistentvolumeclaims", "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy",
    "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy",
  ]),
  rule(["create"], [""], ["serviceaccounts/token", "pods/eviction"]),
  rule(["impersonate"], [""], ["serviceaccounts"]),
  rule([...READ, ...WRITE], ["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"]),
  rule([...READ, ...WRITE], ["discovery.k8s.io"], ["endpointslices"]),
  rule([...READ, ...WRITE], ["batch"], ["cronjobs", "jobs"]),
  rule([...READ, ...WRITE], ["autoscaling"], ["horizontalpodautoscalers"]),
  rule([...READ, ...WRITE], ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
  rule([...READ, ...WRITE], ["policy"], ["poddisruptionbudgets"]),
  rule([...READ, ...WRITE], ["coordination.k8s.io"], ["leases"]),
];

const ADMIN_ONLY_RULES: PolicyRule[] = [
  rule([...READ, ...WRITE], [RBAC_GROUP], ["roles", "rolebindings"]),
  rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
];

// metrics-server's system:aggregated-metrics-reader: `kubectl top` for view, edit and admin.
const METRICS_READER_RULES: PolicyRule[] = [rule(["get", "list", "watch"], ["metrics.k8s.io"], ["pods", "nodes"])];

export const BOOTSTRAP_CLUSTER_ROLES: Record<string, PolicyRule[]> = {
  "cluster-admin": [
    { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
    { verbs: ["*"], nonResourceURLs: ["*"] },
  ],
  "system:aggregate-to-admin": ADMIN_ONLY_RULES,
  "system:aggregate-to-edit": EDIT_ONLY_RULES,
  "system:aggregate-to-view": VIEW_RULES,
  "system:aggregated-metrics-reader": METRICS_READER_RULES,
  "system:discovery": [{ verbs: ["get"], nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/"] }],
  "system:public-info-viewer": [{ verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"] }],
  "system:basic-user": [
    rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
    rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
  ],
  // The join token may only trade itself for a node's own credential (tokens-node.ts).
  "system:node-bootstrapper": [rule(["create"], ["kubun.io"], ["nodetokens"])],
};

const aggregateTo = (role: string) => ({ [`${RBAC_GROUP}/aggregate-to-${role}`]: "true" });

/** Labels of built-in roles beyond the bootstrapping one: what makes them part of an aggregate. */
const ROLE_LABELS: Record<string, Record<string, string>> = {
  "system:aggregate-to-admin": aggregateTo("admin"),
  "system:aggregate-to-edit": aggregateTo("edit"),
  "system:aggregate-to-view": aggregateTo("view"),
  "system:aggregated-metrics-reader": { ...aggregateTo("view"), ...aggregateTo("edit"), ...aggregateTo("admin") },
  edit: aggregateTo("admin"),
  view: aggregateTo("edit"),
};

/**
 * admin, edit and view are aggregated as upstream: each gathers the ClusterRoles labelled
 * aggregate-to-<it> (admin gathers edit, edit gathers view), and the aggregation controller
 * keeps their rules. They are created holding the rules that controller would compute from the
 * built-in roles, in its order, so they grant from the first request on even before it runs.
 */
export const AGGREGATED_CLUSTER_ROLES: Record<string, PolicyRule[]> = {
  admin: [...VIEW_RULES, ...METRICS_READER_RULES, ...EDIT_ONLY_RULES, ...ADMIN_ONLY_RULES],
  edit: [...VIEW_RULES, ...METRICS_READER_RULES, ...EDIT_ONLY_RULES],
  view: [...VIEW_RULES, ...METRICS_READER_RULES],
};

const group = (name: string): Subject => ({ kind: "Group", apiGroup: RBAC_GROUP, name });
const user = (name: string): Subject => ({ kind: "User", apiGroup: RBAC_GROUP, name });

/** [binding name, cluster role, subjects]. The controller manager and scheduler get cluster-admin: simpler than kube's per-controller roles. */
export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: [string, string, Subject[]][] = [
  ["cluster-admin", "cluster-admin", [group(GROUP_MASTERS)]],
  ["system:discovery", "system:discovery", [group(GROUP_AUTHENTICATED)]],
  ["system:public-info-viewer", "system:public-info-viewer", [group(GROUP_AUTHENTICATED)]],
  ["system:basic-user", "system:basic-user", [group(GROUP_AUTHENTICATED)]],
  ["system:node-bootstrapper", "system:node-bootstrapper", [group(GROUP_BOOTSTRAPPERS)]],
  ["system:kube-controller-manager", "cluster-admin", [user(USER_CONTROLLER_MANAGER)]],
  ["system:kube-scheduler", "cluster-admin", [user(USER_SCHEDULER)]],
];

const BOOTSTRAP_LABELS = { "kubernetes.io/bootstrapping": "rbac-defaults" };
const AUTOUPDATE = { [AUTOUPDATE_ANNOTATION]: "true" };

type Reconcile = (existing: KubeObject, expected: KubeObject) => Reconciliation;

async function ensure(storage: Storage, resource: string, expected: KubeObject, reconcile: Reconcile): Promise<void> {
  const r = findResource(RBAC_GROUP, "v1", resource)!;
  const name = expected.metadata.name!;
  const existing = storage.store.get(objectKey(r, undefined, name))?.object;
  if (!existing) {
    try {
      await storage.create(r, undefined, structuredClone(expected));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return;
  }
  const result = reconcile(existing, expected);
  if (result.action === "update") {
    // Recomputed from whatever is current should another writer get in between.
    await storage.update(r, undefined, name, (current) => {
      const again = reconcile(current, expected);
      return again.action === "none" ? current : structuredClone(again.object);
    });
  } else if (result.action === "recreate") {
    await storage.delete(r, undefined, name, { preconditions: { uid: existing.metadata.uid } });
    await storage.create(r, undefined, structuredClone(result.object));
  }
}

/** Creates the default cluster roles and bindings that don't exist yet and reconciles those that do. */
export async function ensureBootstrapPolicy(storage: Storage): Promise<void> {
  const metadata = (name: string) => ({ name, labels: { ...BOOTSTRAP_LABELS, ...ROLE_LABELS[name] }, annotations: { ...AUTOUPDATE } });
  const clusterRole = (name: string, rules: PolicyRule[], aggregationRule?: object) =>
    ({ apiVersion: `${RBAC_GROUP}/v1`, kind: "ClusterRole", metadata: metadata(name), ...(aggregationRule && { aggregationRule }), rules }) as KubeObject;
  for (const [name, rules] of Object.entries(BOOTSTRAP_CLUSTER_ROLES)) await ensure(storage, "clusterroles", clusterRole(name, rules), reconcileClusterRole);
  for (const [name, rules] of Object.entries(AGGREGATED_CLUSTER_ROLES)) {
    const aggregationRule = { clusterRoleSelectors: [{ matchLabels: aggregateTo(name) }] };
    await ensure(storage, "clusterroles", clusterRole(name, rules, aggregationRule), reconcileClusterRole);
  }
  for (const [name, role, subjects] of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) {
    const binding = {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: "ClusterRoleBinding",
      metadata: metadata(name),
      roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: role },
      subjects,
    };
    await ensure(storage, "clusterrolebindings", binding as KubeObject, reconcileClusterRoleBinding);
  }
}
