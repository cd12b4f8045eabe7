// Generates src/api/openapi/definitions.json: OpenAPI (Swagger 2.0 style) definitions named as
// Kubernetes names them, derived from @kubernetes/client-node's generated models. The server
// only reads the JSON; client-node stays a dev dependency.
//
//   bun scripts/gen-openapi-schemas.ts          writes the file
//   generateDefinitions()                       the same content in memory (used by the test)
import { fileURLToPath } from "node:url";
import { CONVERTED_RESOURCES, RESOURCES, groupVersion } from "../src/apis/registry.ts";

export type Schema = Record<string, unknown>;

const MODELS = fileURLToPath(new URL("../node_modules/@kubernetes/client-node/dist/gen/models/", import.meta.url));
export const DEFINITIONS_FILE = fileURLToPath(new URL("../src/api/openapi/definitions.json", import.meta.url));

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

// client-node's class names drop the API group, so the package of each type is spelled out;
// every other V1/CoreV1 type is core/v1. Types of any other prefix fail the generator loudly.
const PACKAGES: Record<string, string[]> = {
  [META]: [
    "Condition", "DeleteOptions", "LabelSelector", "LabelSelectorRequirement", "ListMeta", "ManagedFieldsEntry",
    "ObjectMeta", "OwnerReference", "Preconditions", "ShardInfo", "Status", "StatusCause", "StatusDetails", "WatchEvent",
    "FieldSelectorRequirement",
  ],
  "io.k8s.api.apps.v1": [
    "Deployment", "DeploymentCondition", "DeploymentList", "DeploymentSpec", "DeploymentStatus", "DeploymentStrategy",
    "ReplicaSet", "ReplicaSetCondition", "ReplicaSetList", "ReplicaSetSpec", "ReplicaSetStatus", "RollingUpdateDeployment",
    "DaemonSet", "DaemonSetCondition", "DaemonSetList", "DaemonSetSpec", "DaemonSetStatus", "DaemonSetUpdateStrategy",
    "RollingUpdateDaemonSet", "ControllerRevision", "ControllerRevisionList",
  ],
  "io.k8s.api.batch.v1": [
    "Job", "JobCondition", "JobList", "JobSpec", "JobStatus", "JobTemplateSpec", "PodFailurePolicy",
    "PodFailurePolicyOnExitCodesRequirement", "PodFailurePolicyOnPodConditionsPattern", "PodFailurePolicyRule", "SuccessPolicy",
    "SuccessPolicyRule", "UncountedTerminatedPods", "CronJob", "CronJobList", "CronJobSpec", "CronJobStatus",
    "StatefulSet", "StatefulSetCondition", "StatefulSetList", "StatefulSetOrdinals", "StatefulSetPersistentVolumeClaimRetentionPolicy",
    "StatefulSetSpec", "StatefulSetStatus", "StatefulSetUpdateStrategy", "RollingUpdateStatefulSetStrategy",
  ],
  "io.k8s.api.storage.v1": ["StorageClass", "StorageClassList"],
  "io.k8s.api.networking.v1": [
    "NetworkPolicy", "NetworkPolicyList", "NetworkPolicySpec", "NetworkPolicyIngressRule", "NetworkPolicyEgressRule",
    "NetworkPolicyPeer", "NetworkPolicyPort", "IPBlock",
  ],
  "io.k8s.api.policy.v1": ["Eviction", "PodDisruptionBudget", "PodDisruptionBudgetList", "PodDisruptionBudgetSpec", "PodDisruptionBudgetStatus"],
  "io.k8s.api.admissionregistration.v1": [
    "MatchCondition", "MutatingWebhook", "MutatingWebhookConfiguration", "MutatingWebhookConfigurationList", "RuleWithOperations",
    "ValidatingWebhook", "ValidatingWebhookConfiguration", "ValidatingWebhookConfigurationList",
    "AuditAnnotation", "ExpressionWarning", "MatchResources", "NamedRuleWithOperations", "ParamKind", "ParamRef", "TypeChecking",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ValidatingAdmissionPolicyBindingList", "ValidatingAdmissionPolicyBindingSpec",
    "ValidatingAdmissionPolicyList", "ValidatingAdmissionPolicySpec", "ValidatingAdmissionPolicyStatus", "Validation", "Variable",
  ],
  "io.k8s.api.scheduling.v1": ["PriorityClass", "PriorityClassList"],
  "io.k8s.api.autoscaling.v1": [
    "Scale", "ScaleSpec", "ScaleStatus", "HorizontalPodAutoscaler", "HorizontalPodAutoscalerList", "HorizontalPodAutoscalerSpec",
    "HorizontalPodAutoscalerStatus", "CrossVersionObjectReference",
  ],
  "io.k8s.api.coordination.v1": ["Lease", "LeaseList", "LeaseSpec"],
  "io.k8s.api.rbac.v1": [
    "AggregationRule", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBindingList", "ClusterRoleList", "PolicyRule", "Role",
    "RoleBinding", "RoleBindingList", "RoleList", "RoleRef",
  ],
  "io.k8s.api.authorization.v1": [
    "FieldSelectorAttributes", "LabelSelectorAttributes", "NonResourceAttributes", "ResourceAttributes", "SelfSubjectAccessReview",
    "SelfSubjectAccessReviewSpec", "SubjectAccessReview", "SubjectAccessReviewSpec", "SubjectAccessReviewStatus",
    "SelfSubjectRulesReview", "SelfSubjectRulesReviewSpec", "SubjectRulesReviewStatus", "ResourceRule", "NonResourceRule",
  ],
  "io.k8s.api.authentication.v1": [
    "BoundObjectReference", "TokenRequestSpec", "TokenRequestStatus", "SelfSubjectReview", "SelfSubjectReviewStatus", "UserInfo",
  ],
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1": [
    "CustomResourceColumnDefinition", "CustomResourceConversion", "CustomResourceDefinition", "CustomResourceDefinitionCondition",
    "CustomResourceDefinitionList", "CustomResourceDefinitionNames", "CustomResourceDefinitionSpec", "CustomResourceDefinitionStatus",
    "CustomResourceDefinitionVersion", "CustomResourceSubresourceScale", "CustomResourceSubresources", "CustomResourceValidation",
    "ExternalDocumentation", "JSONSchemaProps", "SelectableField", "ValidationRule", "WebhookConversion",
  ],
  "io.k8s.api.discovery.v1": [
    "Endpoint", "EndpointConditions", "EndpointHints", "EndpointSlice", "EndpointSliceList", "ForNode", "ForZone",
  ],
};
const packageOf = new Map(Object.entries(PACKAGES).flatMap(([pkg, names]) => names.map((n) => [n, pkg] as const)));

/** The Kubernetes definition name of a client-node model class. */
export function definitionName(className: string): string {
  const m = /^(CoreV1|DiscoveryV1|RbacV1|AuthenticationV1|AdmissionregistrationV1|ApiextensionsV1|V1|V2)([A-Z]\w*)$/.exec(className);
  if (!m) throw new Error(`no Kubernetes package known for model ${className}`);
  const [, prefix, local] = m as unknown as [string, string, string];
  if (prefix === "V2") return `io.k8s.api.autoscaling.v2.${local}`; // the only v2 kubun serves
  if (prefix === "DiscoveryV1") return `io.k8s.api.discovery.v1.${local}`;
  if (prefix === "CoreV1") return `io.k8s.api.core.v1.${local}`;
  if (prefix === "RbacV1") return `io.k8s.api.rbac.v1.${local}`;
  if (prefix === "AuthenticationV1") return `io.k8s.api.authentication.v1.${local}`;
  if (prefix === "AdmissionregistrationV1") return `io.k8s.api.admissionregistration.v1.${local}`;
  if (prefix === "ApiextensionsV1") return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.${local}`;
  return `${packageOf.get(local) ?? "io.k8s.api.core.v1"}.${local}`;
}

// Strategic merge patch metadata, from the struct tags in k8s.io/api (client-node drops them).
// [owner.field, patch strategy, merge key, list-map keys]
const PATCH_META: [string, string, string?, string[]?][] = [
  ["ObjectMeta.finalizers", "merge"],
  ["ObjectMeta.ownerReferences", "merge", "uid", ["uid"]],
  ["PodSpec.volumes", "merge,retainKeys", "name", ["name"]],
  ["PodSpec.initContainers", "merge", "name", ["name"]],
  ["PodSpec.containers", "merge", "name", ["name"]],
  ["MutatingWebhookConfiguration.webhooks", "merge", "name", ["name"]],
  ["ValidatingWebhookConfiguration.webhooks", "merge", "name", ["name"]],
  ["PodSpec.ephemeralContainers", "merge", "name", ["name"]],
  ["PodSpec.imagePullSecrets", "merge", "name", ["name"]],
  ["PodSpec.hostAliases", "merge", "ip", ["ip"]],
  ["PodSpec.topologySpreadConstraints", "merge", "topologyKey", ["topologyKey", "whenUnsatisfiable"]],
  ["PodSpec.schedulingGates", "merge", "name", ["name"]],
  ["PodSpec.resourceClaims", "merge,retainKeys", "name", ["name"]],
  ["Container.ports", "merge", "containerPort", ["containerPort", "protocol"]],
  ["Container.env", "merge", "name", ["name"]],
  ["Container.volumeMounts", "merge", "mountPath", ["mountPath"]],
  ["Container.volumeDevices", "merge", "devicePath", ["devicePath"]],
  ["EphemeralContainer.ports", "merge", "containerPort", ["containerPort", "protocol"]],
  ["EphemeralContainer.env", "merge", "name", ["name"]],
  ["EphemeralContainer.volumeMounts", "merge", "mountPath", ["mountPath"]],
  ["EphemeralContainer.volumeDevices", "merge", "devicePath", ["devicePath"]],
  ["PodStatus.conditions", "merge", "type", ["type"]],
  ["PodStatus.podIPs", "merge", "ip", ["ip"]],
  ["PodStatus.hostIPs", "merge", "ip"],
  ["PodStatus.resourceClaimStatuses", "merge,retainKeys", "name", ["name"]],
  ["NodeSpec.podCIDRs", "merge"],
  ["NodeStatus.conditions", "merge", "type", ["type"]],
  ["NodeStatus.addresses", "merge", "type", ["type"]],
  ["ServiceSpec.ports", "merge", "port", ["port", "protocol"]],
  ["ServiceStatus.conditions", "merge", "type", ["type"]],
  ["NamespaceStatus.conditions", "merge", "type", ["type"]],
  ["ServiceAccount.secrets", "merge", "name", ["name"]],
  ["DeploymentSpec.strategy", "retainKeys"],
  ["DeploymentStatus.conditions", "merge", "type", ["type"]],
  ["ReplicaSetStatus.conditions", "merge", "type", ["type"]],
  ["DaemonSetStatus.conditions", "merge", "type", ["type"]],
  ["JobStatus.conditions", "merge", "type"],
  ["StatefulSetStatus.conditions", "merge", "type", ["type"]],
  ["PersistentVolumeClaimStatus.conditions", "merge", "type", ["type"]],
  ["PodDisruptionBudgetStatus.conditions", "merge", "type", ["type"]],
  ["HorizontalPodAutoscalerStatus.conditions", "merge", "type", ["type"]],
];

// client-node types resource.Quantity as a plain string.
const QUANTITIES = new Set([
  "ResourceRequirements.limits", "ResourceRequirements.requests", "VolumeResourceRequirements.limits",
  "VolumeResourceRequirements.requests", "NodeStatus.capacity", "NodeStatus.allocatable", "PodSpec.overhead",
  "PodStatus.allocatedResources", "ContainerStatus.allocatedResources", "NodeAllocatableResourceClaimStatus.resources",
  "EmptyDirVolumeSource.sizeLimit", "ResourceFieldSelector.divisor", "PersistentVolumeSpec.capacity",
  "PersistentVolumeClaimStatus.capacity", "PersistentVolumeClaimStatus.allocatedResources",
  "ResourceQuotaSpec.hard", "ResourceQuotaStatus.hard", "ResourceQuotaStatus.used",
  "LimitRangeItem.max", "LimitRangeItem.min", "LimitRangeItem.default", "LimitRangeItem.defaultRequest",
  "LimitRangeItem.maxLimitRequestRatio", "MetricTarget.value", "MetricTarget.averageValue", "MetricValueStatus.value",
  "MetricValueStatus.averageValue",
]);

// Leaf types that have no client-node model of their own.
const LEAVES: Record<string, Schema> = {
  [`${META}.Time`]: {
    type: "string",
    format: "date-time",
    description: "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. Wrappers are provided for many of the factory methods that the time package offers.",
  },
  [`${META}.MicroTime`]: {
    type: "string",
    format: "date-time",
    description: "MicroTime is version of Time with microsecond level precision.",
  },
  [`${META}.FieldsV1`]: {
    type: "object",
    description: "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.",
  },
  [`${META}.Patch`]: {
    type: "object",
    description: "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
  },
  "io.k8s.apimachinery.pkg.runtime.RawExtension": {
    type: "object",
    description: "RawExtension is used to hold extensions in external versions.",
  },
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
    type: "string",
    format: "int-or-string",
    "x-kubernetes-int-or-string": true,
    description: "IntOrString is a type that can hold an int32 or a string.",
  },
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {
    type: "string",
    description: "Quantity is a fixed-point representation of a number, e.g. 100m, 1Gi or 0.5.",
  },
};
const ANY_FIELDS: Record<string, string> = { "ControllerRevision.data": "io.k8s.apimachinery.pkg.runtime.RawExtension", "ManagedFieldsEntry.fieldsV1": `${META}.FieldsV1`, "WatchEvent.object": "io.k8s.apimachinery.pkg.runtime.RawExtension" };

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface Docs {
  description?: string;
  properties: Map<string, { description?: string; required: boolean }>;
}

const unescape = (s: string) => s.replace(/\\(['"])/g, "$1");
const commentText = (block: string) =>
  unescape(
    block
      .split("\n")
      .map((l) => l.replace(/^\s*\*\s?/, "").trim())
      .filter(Boolean)
      .join(" "),
  );

/** Reads the doc comments and optional markers (`'name'?:`) from a model's .d.ts. */
async function readDocs(className: string): Promise<Docs> {
  const text = await Bun.file(`${MODELS}${className}.d.ts`).text();
  const classDoc = /\/\*\*\n((?:(?!\*\/)[\s\S])*)\*\/\nexport declare class/.exec(text);
  const properties: Docs["properties"] = new Map();
  for (const m of text.matchAll(/(?:\/\*\*\n((?:(?!\*\/)[\s\S])*)\*\/\n)?\s*'([^']+)'(\?)?:/g)) {
    properties.set(m[2]!, { description: m[1] ? commentText(m[1]) : undefined, required: !m[3] });
  }
  return { description: classDoc ? commentText(classDoc[1]!) : undefined, properties };
}

async function attributes(className: string): Promise<Attribute[]> {
  const mod = (await import(`${MODELS}${className}.js`)) as Record<string, { attributeTypeMap: Attribute[] }>;
  const cls = mod[className];
  if (!cls) throw new Error(`model ${className} not found`);
  return cls.attributeTypeMap;
}

const scalar = (type: string, format: string): Schema | undefined => {
  if (type === "string") return format ? { type, format } : { type };
  if (type === "boolean") return { type };
  if (type === "number") {
    if (format === "int32" || format === "int64") return { type: "integer", format };
    return format ? { type: "number", format } : { type: "number" };
  }
  return undefined;
};

/** Turns a client-node type string into a schema, queueing the model classes it names. */
function typeSchema(type: string, format: string, owner: string, queue: string[]): Schema {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return { type: "array", items: typeSchema(array[1]!, format, owner, queue) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: "object", additionalProperties: typeSchema(map[1]!, format, owner, queue) };
  if (QUANTITIES.has(owner)) return ref("io.k8s.apimachinery.pkg.api.resource.Quantity");
  const leaf = scalar(type, format);
  if (leaf) return leaf;
  if (type === "Date") return ref(`${META}.Time`);
  if (type === "V1MicroTime") return ref(`${META}.MicroTime`);
  if (type === "IntOrString") return ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  if (type === "any") {
    const known = ANY_FIELDS[owner];
    return known ? ref(known) : { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  }
  queue.push(type);
  return ref(definitionName(type));
}

const localName = (definition: string) => definition.slice(definition.lastIndexOf(".") + 1);

async function modelSchema(className: string, queue: string[]): Promise<Schema> {
  const name = definitionName(className);
  const docs = await readDocs(className);
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const a of await attributes(className)) {
    const owner = `${localName(name)}.${a.baseName}`;
    const doc = docs.properties.get(a.name);
    const prop: Schema = { ...typeSchema(a.type, a.format, owner, queue) };
    if (doc?.description) prop.description = doc.description;
    const meta = PATCH_META.find(([field]) => field === owner);
    if (meta) {
      const [, strategy, mergeKey, mapKeys] = meta;
      prop["x-kubernetes-patch-strategy"] = strategy;
      if (mergeKey) prop["x-kubernetes-patch-merge-key"] = mergeKey;
      if (mapKeys) Object.assign(prop, { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": mapKeys });
    }
    properties[a.baseName] = prop;
    if (doc?.required) required.push(a.baseName);
  }
  const schema: Schema = { type: "object", properties };
  if (docs.description) schema.description = docs.description;
  if (required.length) schema.required = required.sort();
  return schema;
}

interface GVK {
  group: string;
  version: string;
  kind: string;
}

/** The top-level kinds: what the generator walks from, with their group-version-kinds. */
export function rootKinds(): Map<string, GVK[]> {
  const roots = new Map<string, GVK[]>();
  const add = (className: string, gvk: GVK) => roots.set(className, [...(roots.get(className) ?? []), gvk]);
  const served = new Map<string, GVK>();
  for (const r of [...RESOURCES, ...CONVERTED_RESOURCES]) {
    const prefix = r.kind === "Event" ? "CoreV1" : r.version === "v2" ? "V2" : "V1";
    add(`${prefix}${r.kind}`, { group: r.group, version: r.version, kind: r.kind });
    // Create-only kinds (SelfSubjectAccessReview) have no list.
    if (r.verbs.includes("list")) add(`${prefix}${r.listKind}`, { group: r.group, version: r.version, kind: r.listKind });
    served.set(groupVersion(r), { group: r.group, version: r.version, kind: "" });
    for (const s of r.subresources) {
      if (s.group !== undefined) served.set(`${s.group}/${s.version}`, { group: s.group, version: s.version!, kind: "" });
    }
  }
  add("V1Scale", { group: "autoscaling", version: "v1", kind: "Scale" });
  add("V1Binding", { group: "", version: "v1", kind: "Binding" });
  add("V1Eviction", { group: "policy", version: "v1", kind: "Eviction" });
  add("AuthenticationV1TokenRequest", { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" });
  add("V1Status", { group: "", version: "v1", kind: "Status" });
  // Every group accepts DeleteOptions and streams WatchEvents, as in kube-apiserver.
  const gvs = [...served.values()].sort((a, b) => `${a.group}/${a.version}`.localeCompare(`${b.group}/${b.version}`));
  for (const gv of gvs) add("V1DeleteOptions", { ...gv, kind: "DeleteOptions" });
  for (const gv of gvs) add("V1WatchEvent", { ...gv, kind: "WatchEvent" });
  return roots;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/** All definitions reachable from the root kinds, keys sorted at every level. */
export async function generateDefinitions(): Promise<Record<string, Schema>> {
  const roots = rootKinds();
  const definitions: Record<string, Schema> = { ...LEAVES };
  const queue = [...roots.keys()];
  const done = new Set<string>();
  while (queue.length) {
    const className = queue.shift()!;
    if (done.has(className)) continue;
    done.add(className);
    const schema = await modelSchema(className, queue);
    const gvks = roots.get(className);
    if (gvks) schema["x-kubernetes-group-version-kind"] = gvks;
    definitions[definitionName(className)] = schema;
  }
  return sortKeys(definitions) as Record<string, Schema>;
}

export const serializeDefinitions = (defs: Record<string, Schema>) => `${JSON.stringify(defs, null, 1)}\n`;

if (import.meta.main) {
  const defs = await generateDefinitions();
  await Bun.write(DEFINITIONS_FILE, serializeDefinitions(defs));
  console.log(`wrote ${Object.keys(defs).length} definitions to ${DEFINITIONS_FILE}`);
}
