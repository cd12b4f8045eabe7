// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding — their
// types, defaults (SetDefaults_Subject, SetDefaults_RoleBinding), validation
// (pkg/apis/rbac/validation) and the columns `kubectl get` prints for them.
import { fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, isObject, objectAt, objectsAt, stringAt, stringListAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import type { LabelSelector } from "../selector.ts";
import { validateLabelSelector } from "../metadata.ts";
import { type Printer, age, column, wide } from "../table.ts";
import { isDNS1123Subdomain, isValidPathSegmentName } from "../validation.ts";

export const RBAC_GROUP = "rbac.authorization.k8s.io";

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind?: string; // "User" | "Group" | "ServiceAccount"
  apiGroup?: string;
  name?: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind?: string; // "Role" | "ClusterRole"
  name?: string;
}

export interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[];
}

export interface Role extends KubeObject {
  rules?: PolicyRule[];
}

export interface ClusterRole extends Role {
  aggregationRule?: AggregationRule;
}

export interface RoleBinding extends KubeObject {
  subjects?: Subject[];
  roleRef?: RoleRef;
}

/** Users and groups name RBAC's API group, service accounts the core one. */
export function defaultBinding(obj: KubeObject): void {
  const b = obj as RoleBinding;
  if (isObject(b.roleRef) && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  if (!Array.isArray(b.subjects)) return;
  for (const s of b.subjects) {
    if (isObject(s) && !s.apiGroup && (s.kind === "User" || s.kind === "Group")) s.apiGroup = RBAC_GROUP;
  }
}

function validateRules(errs: Causes, obj: JsonObject, namespaced: boolean): void {
  for (const [rule, p] of objectsAt(errs, "rules", obj.rules)) {
    const verbs = stringListAt(errs, `${p}.verbs`, rule.verbs);
    const apiGroups = stringListAt(errs, `${p}.apiGroups`, rule.apiGroups) ?? [];
    const resources = stringListAt(errs, `${p}.resources`, rule.resources) ?? [];
    const names = stringListAt(errs, `${p}.resourceNames`, rule.resourceNames) ?? [];
    const urls = stringListAt(errs, `${p}.nonResourceURLs`, rule.nonResourceURLs) ?? [];
    if (!verbs?.length) errs.push(fieldRequired(`${p}.verbs`, "verbs must contain at least one value"));
    if (urls.length) {
      if (namespaced) errs.push(fieldInvalid(`${p}.nonResourceURLs`, urls, "namespaced rules cannot apply to non-resource URLs"));
      if (apiGroups.length || resources.length || names.length) {
        errs.push(fieldInvalid(`${p}.nonResourceURLs`, urls, "rules cannot apply to both regular resources and non-resource URLs"));
      }
      continue;
    }
    if (!apiGroups.length) errs.push(fieldRequired(`${p}.apiGroups`, "resource rules must supply at least one api group"));
    if (!resources.length) errs.push(fieldRequired(`${p}.resources`, "resource rules must supply at least one resource"));
  }
}

export const validateRole = (errs: Causes, obj: JsonObject) => validateRules(errs, obj, true);

export function validateClusterRole(errs: Causes, obj: JsonObject): void {
  validateRules(errs, obj, false);
  const agg = objectAt(errs, "aggregationRule", obj.aggregationRule);
  if (!agg) return;
  const selectors = objectsAt(errs, "aggregationRule.clusterRoleSelectors", agg.clusterRoleSelectors);
  if (!selectors.length) errs.push(fieldRequired("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil"));
  for (const [sel, p] of selectors) validateLabelSelector(errs, p, sel);
}

function validateSubject(errs: Causes, s: JsonObject, p: string, namespaced: boolean): void {
  const name = stringAt(errs, `${p}.name`, s.name);
  const apiGroup = stringAt(errs, `${p}.apiGroup`, s.apiGroup) ?? "";
  stringAt(errs, `${p}.namespace`, s.namespace);
  if (!name) errs.push(fieldRequired(`${p}.name`));
  switch (s.kind) {
    case "ServiceAccount":
      if (name) for (const msg of isDNS1123Subdomain(name)) errs.push(fieldInvalid(`${p}.name`, name, msg));
      if (apiGroup) errs.push(fieldNotSupported(`${p}.apiGroup`, apiGroup, [""]));
      if (!namespaced && !s.namespace) errs.push(fieldRequired(`${p}.namespace`));
      break;
    case "User":
    case "Group":
      if (apiGroup !== RBAC_GROUP) errs.push(fieldNotSupported(`${p}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldNotSupported(`${p}.kind`, s.kind, ["ServiceAccount", "User", "Group"]));
  }
}

function validateBinding(errs: Causes, obj: JsonObject, namespaced: boolean): void {
  const ref = objectAt(errs, "roleRef", obj.roleRef) ?? {};
  const apiGroup = stringAt(errs, "roleRef.apiGroup", ref.apiGroup) ?? "";
  if (apiGroup !== RBAC_GROUP) errs.push(fieldNotSupported("roleRef.apiGroup", apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(ref.kind as string)) errs.push(fieldNotSupported("roleRef.kind", ref.kind ?? "", kinds));
  const name = stringAt(errs, "roleRef.name", ref.name);
  if (!name) errs.push(fieldRequired("roleRef.name"));
  else for (const msg of isValidPathSegmentName(name)) errs.push(fieldInvalid("roleRef.name", name, msg));
  for (const [s, p] of objectsAt(errs, "subjects", obj.subjects)) validateSubject(errs, s, p, namespaced);
}

export const validateRoleBinding = (errs: Causes, obj: JsonObject) => validateBinding(errs, obj, true);
export const validateClusterRoleBinding = (errs: Causes, obj: JsonObject) => validateBinding(errs, obj, false);

/** A binding's roleRef is fixed: binding another role means another binding. */
export function validateBindingUpdate(errs: Causes, obj: JsonObject, old: JsonObject): void {
  if (!Bun.deepEquals(obj.roleRef, old.roleRef)) errs.push(fieldInvalid("roleRef", obj.roleRef, "cannot change roleRef"));
}

export const rolePrinter: Printer<Role> = {
  columns: [column("Name"), column("Created At", "", { type: "date" })],
  cells: (r) => [r.metadata.name ?? "", r.metadata.creationTimestamp ?? ""],
};

const subjectsOf = (b: RoleBinding, kind: string) => (b.subjects ?? []).filter((s) => s.kind === kind);

export const roleBindingPrinter: Printer<RoleBinding> = {
  columns: [column("Name"), column("Role"), column("Age"), wide("Users"), wide("Groups"), wide("ServiceAccounts")],
  cells: (b, now) => [
    b.metadata.name ?? "",
    `${b.roleRef?.kind ?? ""}/${b.roleRef?.name ?? ""}`,
    age(b, now),
    subjectsOf(b, "User").map((s) => s.name).join(", "),
    subjectsOf(b, "Group").map((s) => s.name).join(", "),
    subjectsOf(b, "ServiceAccount").map((s) => `${s.namespace ?? b.metadata.namespace ?? ""}/${s.name}`).join(", "),
  ],
};
