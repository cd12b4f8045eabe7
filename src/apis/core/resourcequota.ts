// core/v1 ResourceQuota: types, validation and the `kubectl get quota` columns. Only the
// resource names kubun can count are accepted (so every accepted quota is enforced); scopes
// and scopeSelector take upstream's scopes, each decided by the pod itself.
import { fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, arrayAt, key, objectAt, index, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { QUANTITY_FORMAT_MESSAGE, formatQuantity, isNegativeQuantity, isQuantity } from "../quantity.ts";
import { type Printer, age, column } from "../table.ts";

export type ResourceList = Record<string, string>;

export interface ResourceQuota extends KubeObject {
  apiVersion?: "v1";
  kind?: "ResourceQuota";
  spec?: { hard?: ResourceList; scopes?: string[]; scopeSelector?: { matchExpressions?: ScopeRequirement[] } };
  status?: { hard?: ResourceList; used?: ResourceList };
}

/** Resources that quota a pod's life cycle and compute requests/limits. */
export const POD_COMPUTE_RESOURCES = new Set([
  "pods", "cpu", "memory", "ephemeral-storage",
  "requests.cpu", "requests.memory", "requests.ephemeral-storage",
  "limits.cpu", "limits.memory", "limits.ephemeral-storage",
]);

/** Object-count names of kube's legacy form ("configmaps" = count/configmaps). */
export const LEGACY_COUNTS: Record<string, string> = {
  configmaps: "configmaps",
  secrets: "secrets",
  services: "services",
  replicationcontrollers: "replicationcontrollers",
  resourcequotas: "resourcequotas",
  persistentvolumeclaims: "persistentvolumeclaims",
};

const OTHER_RESOURCES = new Set(["services.nodeports", "services.loadbalancers", "requests.storage"]);

/** One requirement of a scopeSelector; a `scopes` entry is the same with operator Exists. */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

// Upstream's scopes and what a scoped quota may track (IsResourceQuotaScopeValidForResource).
const SCOPE_RESOURCES: Record<string, Set<string>> = {
  BestEffort: new Set(["pods", "count/pods"]),
  NotBestEffort: new Set([...POD_COMPUTE_RESOURCES, "count/pods"]),
  Terminating: new Set([...POD_COMPUTE_RESOURCES, "count/pods"]),
  NotTerminating: new Set([...POD_COMPUTE_RESOURCES, "count/pods"]),
  PriorityClass: new Set([...POD_COMPUTE_RESOURCES, "count/pods"]),
  CrossNamespacePodAffinity: new Set([...POD_COMPUTE_RESOURCES, "count/pods"]),
};
const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];

/** What selects the quota's objects: its scopes (each as Exists) and its scopeSelector's requirements. */
export function scopeRequirements(quota: ResourceQuota): ScopeRequirement[] {
  return [...(quota.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: "Exists" })), ...(quota.spec?.scopeSelector?.matchExpressions ?? [])];
}

const COUNT = /^count\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isQuotaResourceName(name: string): boolean {
  return POD_COMPUTE_RESOURCES.has(name) || name in LEGACY_COUNTS || OTHER_RESOURCES.has(name) || COUNT.test(name);
}

export function validateResourceQuota(errs: Causes, rq: JsonObject): void {
  const spec = objectAt(errs, "spec", rq.spec) ?? {};
  const hard = objectAt(errs, "spec.hard", spec.hard) ?? {};
  for (const [name, q] of Object.entries(hard)) {
    const p = key("spec.hard", name);
    if (!isQuotaResourceName(name)) errs.push(fieldInvalid(p, name, "must be a standard resource for quota"));
    validateQuantity(errs, p, q);
  }
  const scopes = arrayAt(errs, "spec.scopes", spec.scopes) ?? [];
  scopes.forEach((s, i) => {
    const p = index("spec.scopes", i);
    const scope = stringAt(errs, p, s);
    if (scope === undefined) return;
    const allowed = SCOPE_RESOURCES[scope];
    if (!allowed) return void errs.push(fieldNotSupported(p, scope, Object.keys(SCOPE_RESOURCES)));
    for (const name of Object.keys(hard)) {
      if (!allowed.has(name)) errs.push(fieldInvalid("spec.hard", name, `unsupported scope applied to resource`));
    }
  });
  if (conflicting(new Set(scopes))) errs.push(fieldInvalid("spec.scopes", scopes, "conflicting scopes"));
  if (spec.scopeSelector !== undefined && spec.scopeSelector !== null) validateScopeSelector(errs, spec.scopeSelector, Object.keys(hard));
  const status = objectAt(errs, "status", rq.status) ?? {};
  for (const field of ["hard", "used"]) {
    const list = objectAt(errs, `status.${field}`, status[field]) ?? {};
    for (const [name, q] of Object.entries(list)) validateQuantity(errs, key(`status.${field}`, name), q);
  }
}

const conflicting = (set: Set<unknown>) => (set.has("BestEffort") && set.has("NotBestEffort")) || (set.has("Terminating") && set.has("NotTerminating"));

// Upstream's validateScopedResourceSelectorRequirement, message for message.
function validateScopeSelector(errs: Causes, value: unknown, hard: string[]): void {
  const selector = objectAt(errs, "spec.scopeSelector", value) ?? {};
  const path = "spec.scopeSelector.matchExpressions";
  const expressions = arrayAt(errs, path, selector.matchExpressions) ?? [];
  const names = new Set<string>();
  expressions.forEach((e, i) => {
    const req = objectAt(errs, index(path, i), e);
    if (!req) return;
    const scope = stringAt(errs, `${index(path, i)}.scopeName`, req.scopeName);
    const operator = stringAt(errs, `${index(path, i)}.operator`, req.operator);
    const values = arrayAt(errs, `${index(path, i)}.values`, req.values) ?? [];
    values.forEach((v, j) => stringAt(errs, index(`${index(path, i)}.values`, j), v));
    if (scope === undefined || operator === undefined) return;
    const allowed = SCOPE_RESOURCES[scope];
    if (!allowed) errs.push(fieldInvalid(`${index(path, i)}.scopeName`, scope, "unsupported scope"));
    else if (hard.some((name) => !allowed.has(name))) errs.push(fieldInvalid(path, value, "unsupported scope applied to resource"));
    if (scope !== "PriorityClass" && allowed && operator !== "Exists") {
      errs.push(fieldInvalid(`${index(path, i)}.operator`, operator, "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"));
    }
    if (operator === "In" || operator === "NotIn") {
      if (values.length === 0) errs.push(fieldRequired(`${index(path, i)}.values`, "Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    } else if (operator === "Exists" || operator === "DoesNotExist") {
      if (values.length !== 0) errs.push(fieldInvalid(`${index(path, i)}.values`, values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    } else errs.push(fieldNotSupported(`${index(path, i)}.operator`, operator, OPERATORS));
    names.add(scope);
  });
  if (conflicting(names)) errs.push(fieldInvalid(path, value, "conflicting scopes"));
}

function validateQuantity(errs: Causes, path: string, q: unknown): void {
  if (!isQuantity(q)) errs.push(fieldInvalid(path, q, QUANTITY_FORMAT_MESSAGE));
  else if (isNegativeQuantity(q)) errs.push(fieldInvalid(path, formatQuantity(q), "must be greater than or equal to 0"));
}

// kube-apiserver prints "requests.cpu: 500m/1, pods: 1/2": requests (and pods, counts) under
// REQUEST, limits.* under LIMIT, each "used/hard" in key order.
function usage(rq: ResourceQuota, limits: boolean): string {
  const hard = rq.status?.hard ?? {};
  const used = rq.status?.used ?? {};
  return Object.keys(hard)
    .sort()
    .filter((k) => k.startsWith("limits.") === limits)
    .map((k) => `${k}: ${used[k] ?? "0"}/${hard[k]}`)
    .join(", ");
}

export const resourceQuotaPrinter: Printer<ResourceQuota> = {
  columns: [
    column("Name"),
    column("Age"),
    column("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
    column("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
  ],
  cells: (rq, now) => [rq.metadata.name ?? "", age(rq, now), usage(rq, false), usage(rq, true)],
};
