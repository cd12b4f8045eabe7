// Reconciling the bootstrap RBAC policy with what is stored, as kube-apiserver does at every start
// (pkg/registry/rbac/reconciliation): a built-in ClusterRole that lacks rules of this version gets
// them added, a built-in ClusterRoleBinding that lacks subjects gets them added, and one whose
// roleRef changed is recreated. What the admin added stays; an object annotated
// rbac.authorization.kubernetes.io/autoupdate: "false" is left alone. Pure functions.
import type { KubeObject } from "../apis/meta.ts";
import { uncoveredRules } from "./rbac-covers.ts";
import type { ClusterRole, RoleRef, Subject } from "../apis/rbac/rbac.ts";

export const AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate";

const sameSubject = (a: Subject, b: Subject) => a.kind === b.kind && a.name === b.name && (a.namespace ?? "") === (b.namespace ?? "") && (a.apiGroup ?? "") === (b.apiGroup ?? "");
const sameRoleRef = (a: RoleRef | undefined, b: RoleRef | undefined) => a?.kind === b?.kind && a?.name === b?.name && (a?.apiGroup ?? "") === (b?.apiGroup ?? "");

/** Expected labels and annotations added where the stored object has none of that key (the admin's values win). */
function mergedMetadata(existing: KubeObject, expected: KubeObject): KubeObject["metadata"] {
  const metadata = { ...existing.metadata };
  for (const field of ["labels", "annotations"] as const) {
    const merged = { ...expected.metadata[field], ...existing.metadata[field] };
    if (Object.keys(merged).length) metadata[field] = merged;
  }
  return metadata;
}

const protectedFromUpdate = (existing: KubeObject) => existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === "false";

export type Reconciliation = { action: "none" } | { action: "update"; object: KubeObject } | { action: "recreate"; object: KubeObject };

/**
 * A built-in role gets the rules it lacks; an aggregated one the selectors it lacks instead
 * (its rules are the aggregation controller's to keep).
 */
export function reconcileClusterRole(existing: KubeObject, expected: KubeObject): Reconciliation {
  if (protectedFromUpdate(existing)) return { action: "none" };
  const want = expected as ClusterRole;
  const have = existing as ClusterRole;
  const object = { ...existing, metadata: mergedMetadata(existing, expected) } as ClusterRole;
  if (want.aggregationRule) {
    const selectors = [...(have.aggregationRule?.clusterRoleSelectors ?? [])];
    for (const s of want.aggregationRule.clusterRoleSelectors ?? []) if (!selectors.some((x) => Bun.deepEquals(x, s))) selectors.push(s);
    object.aggregationRule = { ...have.aggregationRule, clusterRoleSelectors: selectors };
    object.rules = have.rules ?? [];
  } else {
    const rules = (have.rules ?? []).slice();
    rules.push(...uncoveredRules(rules, want.rules ?? []));
    object.rules = rules;
  }
  return Bun.deepEquals(object, existing) ? { action: "none" } : { action: "update", object };
}

export function reconcileClusterRoleBinding(existing: KubeObject, expected: KubeObject): Reconciliation {
  if (protectedFromUpdate(existing)) return { action: "none" };
  const want = expected as { roleRef?: RoleRef; subjects?: Subject[] };
  const have = existing as { roleRef?: RoleRef; subjects?: Subject[] };
  const subjects = [...(have.subjects ?? [])];
  for (const s of want.subjects ?? []) if (!subjects.some((x) => sameSubject(x, s))) subjects.push(s);
  const object = { ...existing, metadata: mergedMetadata(existing, expected), roleRef: want.roleRef, subjects } as KubeObject;
  // roleRef is immutable: a binding to another role can only be replaced.
  if (!sameRoleRef(have.roleRef, want.roleRef)) return { action: "recreate", object };
  return Bun.deepEquals(object, existing) ? { action: "none" } : { action: "update", object };
}
