// core/v1 ResourceQuota: types, validation and the `kubectl get quota` columns. Only the
// resource names kubun can count are accepted (so every accepted quota is enforced), and of
// the scopes only those decided by the pod itself; scopeSelector is refused.
import { fieldInvalid, fieldNotSupported, fieldForbidden } from "../errors.ts";
import { type Causes, type JsonObject, arrayAt, key, objectAt, index, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { QUANTITY_FORMAT_MESSAGE, formatQuantity, isNegativeQuantity, isQuantity } from "../quantity.ts";
import { type Printer, age, column } from "../table.ts";

export type ResourceList = Record<string, string>;

export interface ResourceQuota extends KubeObject {
  apiVersion?: "v1";
  kind?: "ResourceQuota";
  spec?: { hard?: ResourceList; scopes?: string[]; scopeSelector?: unknown };
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

// Upstream's scopes and what a scoped quota may track (ValidateResourceQuotaSpec).
const SCOPE_RESOURCES: Record<string, Set<string>> = {
  BestEffort: new Set(["pods", "count/pods"]),
  NotBestEffort: new Set([...POD_COMPUTE_RESOURCES, "count/pods"]),
  Terminating: new Set([...POD_COMPUTE_RESOURCES, "count/pods"]),
  NotTerminating: new Set([...POD_COMPUTE_RESOURCES, "count/pods"]),
};

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
  const set = new Set(scopes);
  if ((set.has("BestEffort") && set.has("NotBestEffort")) || (set.has("Terminating") && set.has("NotTerminating"))) {
    errs.push(fieldInvalid("spec.scopes", scopes, "conflicting scopes"));
  }
  if (spec.scopeSelector !== undefined && spec.scopeSelector !== null) {
    errs.push(fieldForbidden("spec.scopeSelector", "scopeSelector (PriorityClass, CrossNamespacePodAffinity) is not supported by kubun"));
  }
  const status = objectAt(errs, "status", rq.status) ?? {};
  for (const field of ["hard", "used"]) {
    const list = objectAt(errs, `status.${field}`, status[field]) ?? {};
    for (const [name, q] of Object.entries(list)) validateQuantity(errs, key(`status.${field}`, name), q);
  }
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
