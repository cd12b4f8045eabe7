// The resources kubun serves: one entry per REST resource, the single source for routing,
// discovery, OpenAPI and kubectl's short names.

export interface SubresourceInfo {
  name: string; // "status", "scale", "binding", "log", "exec", "attach", "portforward"
  kind: string;
  group?: string; // when the subresource's kind lives in another group (Scale → autoscaling)
  version?: string;
  verbs: string[];
}

export interface ResourceInfo {
  group: string; // "" for core
  version: string;
  resource: string; // plural, the path segment
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  subresources: SubresourceInfo[];
  /** Set for a custom resource: what its CustomResourceDefinition says (src/apis/apiextensions/). */
  custom?: CustomResourceInfo;
}

/** The parts of a served CustomResourceDefinition version the generic machinery asks for. */
export interface CustomResourceInfo {
  /** The CRD's name ("websites.example.com"). */
  crd: string;
  /** The kind's strategy (a Strategy of strategies/strategy.ts; typed loosely to keep this file a leaf). */
  strategy: unknown;
  /** scale subresource paths (`.spec.replicas` ...), when the version has one. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /** Field paths list and watch may select on, besides metadata.name and metadata.namespace. */
  selectableFields: string[];
  /** The version objects are stored in (their apiVersion in the store). */
  storageVersion: string;
  /** The version's openAPIV3Schema, for OpenAPI documents. */
  schema?: Record<string, unknown>;
  /** Set when the version is deprecated: the Warning every answer carries. */
  deprecationWarning?: string;
}

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const status = (kind: string): SubresourceInfo => ({ name: "status", kind, verbs: ["get", "patch", "update"] });
const scale: SubresourceInfo = { name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] };

function res(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<Pick<ResourceInfo, "shortNames" | "categories" | "verbs" | "subresources">> = {},
): ResourceInfo {
  return {
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    verbs: extra.verbs ?? ALL_VERBS,
    shortNames: extra.shortNames,
    categories: extra.categories,
    subresources: extra.subresources ?? [],
  };
}

export const RESOURCES: readonly ResourceInfo[] = [
  res("", "v1", "namespaces", "Namespace", false, {
    shortNames: ["ns"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    subresources: [status("Namespace"), { name: "finalize", kind: "Namespace", verbs: ["update"] }],
  }),
  res("", "v1", "pods", "Pod", true, {
    shortNames: ["po"],
    categories: ["all"],
    subresources: [
      status("Pod"),
      { name: "binding", kind: "Binding", verbs: ["create"] },
      { name: "log", kind: "Pod", verbs: ["get"] },
      { name: "exec", kind: "PodExecOptions", verbs: ["create", "get"] },
      { name: "attach", kind: "PodAttachOptions", verbs: ["create", "get"] },
      { name: "portforward", kind: "PodPortForwardOptions", verbs: ["create", "get"] },
      { name: "eviction", kind: "Eviction", group: "policy", version: "v1", verbs: ["create"] },
    ],
  }),
  res("", "v1", "nodes", "Node", false, { shortNames: ["no"], subresources: [status("Node")] }),
  res("", "v1", "services", "Service", true, {
    shortNames: ["svc"],
    categories: ["all"],
    verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
    subresources: [status("Service")],
  }),
  res("", "v1", "endpoints", "Endpoints", true, { shortNames: ["ep"] }),
  res("", "v1", "persistentvolumes", "PersistentVolume", false, { shortNames: ["pv"], subresources: [status("PersistentVolume")] }),
  res("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, { shortNames: ["pvc"], subresources: [status("PersistentVolumeClaim")] }),
  res("", "v1", "events", "Event", true, { shortNames: ["ev"] }),
  res("", "v1", "configmaps", "ConfigMap", true, { shortNames: ["cm"] }),
  res("", "v1", "secrets", "Secret", true),
  res("", "v1", "serviceaccounts", "ServiceAccount", true, {
    shortNames: ["sa"],
    subresources: [{ name: "token", kind: "TokenRequest", group: "authentication.k8s.io", version: "v1", verbs: ["create"] }],
  }),
  res("", "v1", "resourcequotas", "ResourceQuota", true, { shortNames: ["quota"], subresources: [status("ResourceQuota")] }),
  res("", "v1", "limitranges", "LimitRange", true, { shortNames: ["limits"] }),
  res("apps", "v1", "deployments", "Deployment", true, {
    shortNames: ["deploy"],
    categories: ["all"],
    subresources: [status("Deployment"), scale],
  }),
  res("apps", "v1", "replicasets", "ReplicaSet", true, {
    shortNames: ["rs"],
    categories: ["all"],
    subresources: [status("ReplicaSet"), scale],
  }),
  res("apps", "v1", "daemonsets", "DaemonSet", true, { shortNames: ["ds"], categories: ["all"], subresources: [status("DaemonSet")] }),
  res("apps", "v1", "controllerrevisions", "ControllerRevision", true),
  res("batch", "v1", "jobs", "Job", true, { categories: ["all"], subresources: [status("Job")] }),
  res("batch", "v1", "cronjobs", "CronJob", true, { shortNames: ["cj"], categories: ["all"], subresources: [status("CronJob")] }),
  res("apps", "v1", "statefulsets", "StatefulSet", true, {
    shortNames: ["sts"],
    categories: ["all"],
    subresources: [status("StatefulSet"), scale],
  }),
  res("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, {
    shortNames: ["hpa"],
    categories: ["all"],
    subresources: [status("HorizontalPodAutoscaler")],
  }),
  res("coordination.k8s.io", "v1", "leases", "Lease", true),
  res("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, { shortNames: ["pdb"], subresources: [status("PodDisruptionBudget")] }),
  res("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, { shortNames: ["sc"] }),
  res("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, { shortNames: ["pc"] }),
  res("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true),
  res("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, { shortNames: ["netpol"] }),
  res("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, {
    shortNames: ["crd", "crds"],
    categories: ["api-extensions"],
    subresources: [status("CustomResourceDefinition")],
  }),
  res("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
  res("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
  res("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
  res("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
  res("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, { categories: ["api-extensions"] }),
  res("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, { categories: ["api-extensions"] }),
  res("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, {
    categories: ["api-extensions"],
    subresources: [status("ValidatingAdmissionPolicy")],
  }),
  res("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, { categories: ["api-extensions"] }),
  // Virtual, create-only: the answer is computed, nothing is stored.
  res("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, { verbs: ["create"] }),
  res("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, { verbs: ["create"] }),
  res("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, { verbs: ["create"] }),
  res("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, { verbs: ["create"] }),
];

/**
 * Resources also served in an older version, stored in the version RESOURCES lists and
 * converted at the API's edge (conversion.ts): discovered and routed, but not in RESOURCES, so
 * that what walks every kind (garbage collector, quota, namespace deletion) sees each once.
 */
export const CONVERTED_RESOURCES: readonly ResourceInfo[] = [
  res("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, {
    shortNames: ["hpa"],
    categories: ["all"],
    subresources: [status("HorizontalPodAutoscaler")],
  }),
];

// Endpoints' singular is "endpoints" in Kubernetes discovery.
for (const r of RESOURCES) if (r.resource === "endpoints") r.singular = "endpoints";

export function groupVersion(r: Pick<ResourceInfo, "group" | "version">): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

const byPath = new Map([...RESOURCES, ...CONVERTED_RESOURCES].map((r) => [`${groupVersion(r)}/${r.resource}`, r]));

// Custom resources, by the CRD that defines them: set by the API server's CRD registrar
// (src/api/crd/) as CustomResourceDefinitions become Established, removed when they go. Like
// RESOURCES this is process-wide: one API server per process serves one set of CRDs.
const customByCRD = new Map<string, ResourceInfo[]>();
let customByPath = new Map<string, ResourceInfo>();
let generation = 0;

/** Bumped on every change to the served custom resources: derived documents (OpenAPI) rebuild when it moves. */
export const customGeneration = (): number => generation;

/** Serves (or, with an empty list, stops serving) the resources of one CustomResourceDefinition. */
export function setCustomResources(crd: string, resources: ResourceInfo[]): void {
  if (resources.length) customByCRD.set(crd, resources);
  else customByCRD.delete(crd);
  generation++;
  customByPath = new Map([...customByCRD.values()].flat().map((r) => [`${groupVersion(r)}/${r.resource}`, r]));
}

/** The resources a CRD currently serves. */
export const customResourcesOf = (crd: string): readonly ResourceInfo[] => customByCRD.get(crd) ?? [];

/** Built-in and custom resources, built-in first. */
export function allResources(): ResourceInfo[] {
  return customByPath.size ? [...RESOURCES, ...customByPath.values()] : (RESOURCES as ResourceInfo[]);
}

/** Looks a resource up by group, version and plural name as they appear in a URL. */
export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  const key = `${group ? `${group}/` : ""}${version}/${resource}`;
  return byPath.get(key) ?? customByPath.get(key);
}

export function resourcesIn(group: string, version: string): ResourceInfo[] {
  return [...allResources(), ...CONVERTED_RESOURCES].filter((r) => r.group === group && r.version === version);
}

/** The store key prefix of a resource: "/registry/<group>/<resource>/". */
export function storePrefix(r: Pick<ResourceInfo, "group" | "resource">): string {
  return `/${r.group || "core"}/${r.resource}/`;
}

/** The store key of one object: its resource's prefix, then namespace/name or name. */
export function storeKey(r: Pick<ResourceInfo, "group" | "resource" | "namespaced">, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${storePrefix(r)}${namespace}/${name}` : `${storePrefix(r)}${name}`;
}
