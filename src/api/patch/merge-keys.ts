// Patch strategies of the fields of the kinds kubun serves, transcribed from the
// `patchStrategy` / `patchMergeKey` struct tags (and, for server-side apply, the
// `+listType=map` / `+listMapKey` markers) of k8s.io/api core/v1, apps/v1, coordination/v1,
// discovery/v1 and admissionregistration/v1.
//
// It is a small type graph rather than a table of paths, because PodSpec appears under Pod,
// Deployment and ReplicaSet and ObjectMeta under everything. Fields not listed have the default
// strategy: maps merge key by key, lists are atomic (replaced whole). That default is why, for
// example, tolerations, readinessGates, envFrom, node taints, container statuses, Endpoints
// subsets and EndpointSlice endpoints are absent: they carry no patch tags in k8s.io/api.

import { customField, customRoot } from "./custom-types.ts";

export interface FieldStrategy {
  /** "merge": a list merged item by item (by mergeKey), or a set of primitives when no key. */
  strategy?: "merge";
  /** The field of list items that identifies them (patchMergeKey). */
  mergeKey?: string;
  /** Server-side apply's key fields (listMapKey) where they are more than the merge key. */
  listMapKeys?: readonly string[];
  /** The type of the value, or of the list's items, for looking up nested fields. */
  type?: string;
  /**
   * A map owned as a whole in server-side apply (+structType=atomic / +mapType=atomic); strategic
   * merge still merges it key by key, as Kubernetes does.
   */
  atomic?: boolean;
  /** patchStrategy "replace": a strategic merge patch replaces the value whole (a PDB's selector). */
  replace?: boolean;
}

type TypeSchema = Readonly<Record<string, FieldStrategy>>;

const ATOMIC: FieldStrategy = {};
const atomicMap: FieldStrategy = { atomic: true };
const struct = (type: string): FieldStrategy => ({ type });
const set: FieldStrategy = { strategy: "merge" };
const byKey = (mergeKey: string, type?: string, listMapKeys?: string[]): FieldStrategy => ({
  strategy: "merge",
  mergeKey,
  type,
  listMapKeys,
});
const metadata = struct("ObjectMeta");
const conditions = byKey("type");

const TYPES: Readonly<Record<string, TypeSchema>> = {
  Object: { metadata },
  ObjectMeta: {
    finalizers: set,
    ownerReferences: byKey("uid"),
  },

  // core/v1 Pod and the pod template shared by the workload kinds.
  Pod: { metadata, spec: struct("PodSpec"), status: struct("PodStatus") },
  PodTemplateSpec: { metadata, spec: struct("PodSpec") },
  PodSpec: {
    volumes: byKey("name"), // "merge,retainKeys": $retainKeys arrives in the patch when needed
    initContainers: byKey("name", "Container"),
    containers: byKey("name", "Container"),
    ephemeralContainers: byKey("name", "Container"),
    imagePullSecrets: byKey("name"),
    hostAliases: byKey("ip"),
    topologySpreadConstraints: byKey("topologyKey", undefined, ["topologyKey", "whenUnsatisfiable"]),
    schedulingGates: byKey("name"),
    resourceClaims: byKey("name"),
  },
  Container: {
    ports: byKey("containerPort", undefined, ["containerPort", "protocol"]),
    env: byKey("name"),
    volumeMounts: byKey("mountPath"),
    volumeDevices: byKey("devicePath"),
    resources: struct("ResourceRequirements"),
  },
  ResourceRequirements: { claims: ATOMIC },
  PodStatus: {
    conditions,
    podIPs: byKey("ip"),
    hostIPs: byKey("ip"),
    resourceClaimStatuses: byKey("name"),
  },

  // apps/v1
  Deployment: { metadata, spec: struct("WorkloadSpec"), status: struct("WorkloadStatus") },
  ReplicaSet: { metadata, spec: struct("WorkloadSpec"), status: struct("WorkloadStatus") },
  WorkloadSpec: { selector: atomicMap, template: struct("PodTemplateSpec") },
  WorkloadStatus: { conditions },
  DaemonSet: { metadata, spec: struct("WorkloadSpec"), status: struct("WorkloadStatus") },
  // batch/v1
  Job: { metadata, spec: struct("WorkloadSpec"), status: struct("WorkloadStatus") },
  CronJob: { metadata, spec: struct("CronJobSpec") },
  CronJobSpec: { jobTemplate: struct("JobTemplateSpec") },
  JobTemplateSpec: { metadata, spec: struct("WorkloadSpec") },

  // core/v1 Service, Node, Namespace, ServiceAccount
  Service: { metadata, spec: struct("ServiceSpec"), status: struct("ServiceStatus") },
  ServiceSpec: { ports: byKey("port", undefined, ["port", "protocol"]), selector: atomicMap },
  ServiceStatus: { conditions },
  Node: { metadata, spec: struct("NodeSpec"), status: struct("NodeStatus") },
  NodeSpec: { podCIDRs: set },
  NodeStatus: { conditions, addresses: byKey("type") },
  Namespace: { metadata, status: struct("NamespaceStatus") },
  NamespaceStatus: { conditions },
  ServiceAccount: { metadata, secrets: byKey("name") },
  // policy/v1: the selector is atomic, conditions merge by type.
  PodDisruptionBudget: { metadata, spec: struct("PodDisruptionBudgetSpec"), status: struct("WorkloadStatus") },
  PodDisruptionBudgetSpec: { selector: { atomic: true, replace: true } },

  // admissionregistration/v1: webhooks are merged by name.
  WebhookConfiguration: { metadata, webhooks: byKey("name") },
};

/** Kinds whose root type differs from the generic Object (metadata only). */
const ROOTS: Readonly<Record<string, string>> = {
  Pod: "Pod",
  Deployment: "Deployment",
  ReplicaSet: "ReplicaSet",
  DaemonSet: "DaemonSet",
  Job: "Job",
  CronJob: "CronJob",
  Service: "Service",
  Node: "Node",
  Namespace: "Namespace",
  ServiceAccount: "ServiceAccount",
  PodDisruptionBudget: "PodDisruptionBudget",
  ValidatingWebhookConfiguration: "WebhookConfiguration",
  MutatingWebhookConfiguration: "WebhookConfiguration",
};

/** The type name at the root of an object of this kind ("Object" when nothing is special). */
export function rootType(kind: string): string {
  const root = ROOTS[kind];
  return root && TYPES[root] ? root : (customRoot(kind) ?? "Object");
}

/** The patch strategy of field `name` inside a value of `type` (undefined type: no schema). */
export function fieldStrategy(type: string | undefined, name: string): FieldStrategy {
  return (type && (TYPES[type]?.[name] ?? customField(type, name))) || ATOMIC;
}

/** The key fields that identify an item of a merged list in server-side apply. */
export function listKeys(field: FieldStrategy): readonly string[] {
  return field.listMapKeys ?? (field.mergeKey ? [field.mergeKey] : []);
}
