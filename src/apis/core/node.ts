// core/v1 Node: what the agent registers and reports, the scheduler filters on, and
// `kubectl get nodes` prints.
import { fieldForbidden, fieldInvalid, fieldNotSupported } from "../errors.ts";
import { type Causes, type JsonObject, boolAt, child, index, objOf, objectAt, objectsAt, stringAt, stringListAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column, wide } from "../table.ts";
import { isValidCIDR } from "../validation.ts";
import type { ResourceList } from "./container.ts";
import type { ConditionStatus } from "./pod.ts";
import type { Taint } from "./scheduling.ts";
import { validateTaints } from "./scheduling-validation.ts";

export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  providerID?: string;
  unschedulable?: boolean;
  taints?: Taint[];
}

export interface NodeCondition {
  type: "Ready" | "MemoryPressure" | "DiskPressure" | "PIDPressure" | "NetworkUnavailable" | string;
  status: ConditionStatus;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface NodeAddress {
  type: "Hostname" | "InternalIP" | "ExternalIP" | "InternalDNS" | "ExternalDNS";
  address: string;
}

export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion?: string;
  operatingSystem: string;
  architecture: string;
}

export interface NodeStatus {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  phase?: string;
  conditions?: NodeCondition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: { kubeletEndpoint?: { Port: number } };
  nodeInfo?: NodeSystemInfo;
  images?: { names?: string[]; sizeBytes?: number }[];
}

export interface Node extends KubeObject {
  apiVersion?: "v1";
  kind?: "Node";
  spec?: NodeSpec;
  status?: NodeStatus;
}

/** SetDefaults_NodeStatus: allocatable is capacity unless the agent reserves some. */
export function defaultNode(node: Node): void {
  const spec = objOf(node.spec);
  if (spec && typeof spec.podCIDR === "string" && spec.podCIDR && spec.podCIDRs === undefined) spec.podCIDRs = [spec.podCIDR];
  const status = objOf(node.status);
  if (status && objOf(status.capacity) && status.allocatable === undefined) status.allocatable = { ...objOf(status.capacity) };
}

function validateNodeStatus(errs: Causes, v: unknown): void {
  const status = objectAt(errs, "status", v);
  if (!status) return;
  objectAt(errs, "status.capacity", status.capacity);
  objectAt(errs, "status.allocatable", status.allocatable);
  for (const [c, p] of objectsAt(errs, "status.conditions", status.conditions)) {
    if (!stringAt(errs, child(p, "type"), c.type)) errs.push(fieldInvalid(child(p, "type"), c.type ?? "", "must not be empty"));
    if (!["True", "False", "Unknown"].includes(c.status as string)) errs.push(fieldNotSupported(child(p, "status"), c.status, ["False", "True", "Unknown"]));
  }
  for (const [a, p] of objectsAt(errs, "status.addresses", status.addresses)) {
    stringAt(errs, child(p, "type"), a.type);
    stringAt(errs, child(p, "address"), a.address);
  }
}

export function validateNode(errs: Causes, node: JsonObject): void {
  const spec = objectAt(errs, "spec", node.spec) ?? {};
  const podCIDR = stringAt(errs, "spec.podCIDR", spec.podCIDR);
  const podCIDRs = stringListAt(errs, "spec.podCIDRs", spec.podCIDRs) ?? [];
  podCIDRs.forEach((cidr, i) => {
    for (const msg of isValidCIDR(cidr)) errs.push(fieldInvalid(index("spec.podCIDRs", i), cidr, msg));
  });
  if (podCIDR && podCIDRs.length === 0) for (const msg of isValidCIDR(podCIDR)) errs.push(fieldInvalid("spec.podCIDR", podCIDR, msg));
  if (podCIDR && podCIDRs.length > 0 && podCIDRs[0] !== podCIDR) errs.push(fieldInvalid("spec.podCIDRs", podCIDRs, "first value must match `podCIDR`"));
  if (podCIDRs.length > 2) errs.push(fieldInvalid("spec.podCIDRs", podCIDRs, "may specify no more than one CIDR for each IP family"));
  boolAt(errs, "spec.unschedulable", spec.unschedulable);
  stringAt(errs, "spec.providerID", spec.providerID);
  validateTaints(errs, "spec.taints", spec.taints);
  validateNodeStatus(errs, node.status);
}

/** ValidateNodeUpdate: pod CIDRs and the provider ID may be set once, never changed. */
export function validateNodeUpdate(errs: Causes, node: JsonObject, old: JsonObject): void {
  const spec = objOf(node.spec) ?? {};
  const oldSpec = objOf(old.spec) ?? {};
  const oldCIDRs = Array.isArray(oldSpec.podCIDRs) ? oldSpec.podCIDRs : [];
  if (oldCIDRs.length > 0 && JSON.stringify(spec.podCIDRs ?? []) !== JSON.stringify(oldCIDRs)) {
    errs.push(fieldForbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'));
  }
  if (oldSpec.providerID && spec.providerID !== oldSpec.providerID) {
    errs.push(fieldForbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'));
  }
}

const ROLE_PREFIX = "node-role.kubernetes.io/";

/** Roles from node-role.kubernetes.io/<role> labels and the legacy kubernetes.io/role label. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === "kubernetes.io/role" && v) roles.add(v);
  }
  return [...roles].sort();
}

function nodeStatusCell(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === "Ready");
  const status = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (node.spec?.unschedulable) status.push("SchedulingDisabled");
  return status.join(",");
}

const address = (node: Node, type: string) => node.status?.addresses?.find((a) => a.type === type)?.address ?? "<none>";

export const nodePrinter: Printer<Node> = {
  columns: [
    column("Name"),
    column("Status", "The status of the node"),
    column("Roles", "The roles of the node"),
    column("Age"),
    column("Version", "Kubelet Version reported by the node."),
    wide("Internal-IP", "List of addresses reachable to the node."),
    wide("External-IP", "List of addresses reachable to the node."),
    wide("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
    wide("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    wide("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
  ],
  cells(node, now) {
    const info = node.status?.nodeInfo;
    return [
      node.metadata.name ?? "",
      nodeStatusCell(node),
      nodeRoles(node).join(",") || "<none>",
      age(node, now),
      info?.kubeletVersion ?? "",
      address(node, "InternalIP"),
      address(node, "ExternalIP"),
      info?.osImage || "<unknown>",
      info?.kernelVersion || "<unknown>",
      info?.containerRuntimeVersion || "<unknown>",
    ];
  },
};
