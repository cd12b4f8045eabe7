// Reconciling the bootstrap RBAC policy with what is stored, as kube-apiserver does at every start
// (pkg/registry/rbac/reconciliation): a built-in ClusterRole that lacks rules of this version gets
// them added, a built-in ClusterRoleBinding that lacks subjects gets them added, and one whose
// roleRef changed is recreated. What the admin added stays; an object annotated
// rbac.authorization.kubernetes.io/autoupdate: "false" is left alone. Pure functions.
import type { KubeObject } from "../apis/meta.ts";
import type { PolicyRule, RoleRef, Subject } from "./rbac-rules.ts";

export const AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate";

const ALL = "*";
const has = (list: readonly string[] | undefined, value: string) => (list ?? []).some((x) => x === ALL || x === value);

/** A rule split into rules of one verb and one resource (and one name, or one URL): kube's BreakdownRule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs ?? []) {
    for (const apiGroup of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        if (rule.resourceNames?.length) for (const name of rule.resourceNames) out.push({ verbs: [verb], apiGroups: [apiGroup], resources: [resource], resourceNames: [name] });
        else out.push({ verbs: [verb], apiGroups: [apiGroup], resources: [resource] });
      }
    }
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

function resourceCovered(owned: readonly string[] | undefined, resource: string): boolean {
  if (has(owned, resource)) return true;
  const slash = resource.indexOf("/");
  return slash > 0 && (owned ?? []).includes(`*${resource.slice(slash)}`);
}

function urlCovered(owned: readonly string[] | undefined, url: string): boolean {
  return (owned ?? []).some((u) => u === ALL || u === url || (u.endsWith(ALL) && url.startsWith(u.slice(0, -1))));
}

/** Whether `owner` grants everything a broken-down rule (breakdownRule) grants. */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  if (!has(owner.verbs, sub.verbs![0]!)) return false;
  if (sub.nonResourceURLs) return urlCovered(owner.nonResourceURLs, sub.nonResourceURLs[0]!);
  if (!has(owner.apiGroups, sub.apiGroups![0]!) || !resourceCovered(owner.resources, sub.resources![0]!)) return false;
  if (!owner.resourceNames?.length) return true;
  return sub.resourceNames !== undefined && owner.resourceNames.includes(sub.resourceNames[0]!);
}

/** The rules of `expected` that `existing` does not grant in full. */
export function uncoveredRules(existing: readonly PolicyRule[], expected: readonly PolicyRule[]): PolicyRule[] {
  return expected.filter((rule) => breakdownRule(rule).some((sub) => !existing.some((owner) => ruleCovers(owner, sub))));
}

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

export function reconcileClusterRole(existing: KubeObject, expected: KubeObject): Reconciliation {
  if (protectedFromUpdate(existing)) return { action: "none" };
  const rules = ((existing as { rules?: PolicyRule[] }).rules ?? []).slice();
  rules.push(...uncoveredRules(rules, (expected as { rules?: PolicyRule[] }).rules ?? []));
  const object = { ...existing, metadata: mergedMetadata(existing, expected), rules } as KubeObject;
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
