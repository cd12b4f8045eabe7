// core/v1 Service: types and defaulting (SetDefaults_Service plus the single-stack IP family
// fields the allocator fills in), which the proxy and the endpoints controller read.
import type { KubeObject } from "../meta.ts";
import { objOf, objsOf } from "../field.ts";
import { formatLabels } from "../selector.ts";
import { type Printer, age, column, wide } from "../table.ts";
import { ipFamilyOf } from "../validation.ts";
import type { Protocol } from "./container.ts";

export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
export type IPFamily = "IPv4" | "IPv6";

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceSpec {
  ports?: ServicePort[];
  selector?: Record<string, string>;
  clusterIP?: string;
  clusterIPs?: string[];
  type?: ServiceType;
  externalIPs?: string[];
  sessionAffinity?: "None" | "ClientIP";
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  externalName?: string;
  externalTrafficPolicy?: "Cluster" | "Local";
  internalTrafficPolicy?: "Cluster" | "Local";
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  ipFamilies?: IPFamily[];
  ipFamilyPolicy?: "SingleStack" | "PreferDualStack" | "RequireDualStack";
  allocateLoadBalancerNodePorts?: boolean;
  loadBalancerClass?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: "VIP" | "Proxy";
  ports?: { port: number; protocol: Protocol; error?: string }[];
}

export interface ServiceStatus {
  loadBalancer?: { ingress?: LoadBalancerIngress[] };
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

export interface Service extends KubeObject {
  apiVersion?: "v1";
  kind?: "Service";
  spec?: ServiceSpec;
  status?: ServiceStatus;
}

export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

type ServiceSpecLike = Record<string, any>;

/** Every type but ExternalName gets a cluster IP. */
export const needsClusterIP = (spec: ServiceSpecLike) => spec.type !== "ExternalName";

/** NodePort and LoadBalancer services get node ports. */
export const needsNodePorts = (spec: ServiceSpecLike) => spec.type === "NodePort" || spec.type === "LoadBalancer";

/** Whether the service is reachable from outside the cluster (SetDefaults' ExternallyAccessible). */
export const externallyAccessible = (spec: ServiceSpecLike) =>
  needsNodePorts(spec) || (spec.type === "ClusterIP" && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);

export function defaultService(svc: Service): void {
  const spec = objOf(svc.spec);
  if (!spec) return;
  spec.sessionAffinity ||= "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === "ClientIP" && typeof objOf(objOf(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds !== "number") {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
  }
  spec.type ||= "ClusterIP";
  for (const port of objsOf(spec.ports)) {
    port.protocol ||= "TCP";
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === "") port.targetPort = port.port;
  }
  if (externallyAccessible(spec)) spec.externalTrafficPolicy ||= "Cluster";
  if (spec.internalTrafficPolicy === undefined && spec.type !== "ExternalName") spec.internalTrafficPolicy = "Cluster";
  if (spec.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts ??= true;

  if (spec.type === "ExternalName") return;
  // clusterIP and clusterIPs mirror each other (the registry's normalizeClusterIPs).
  if (typeof spec.clusterIP === "string" && spec.clusterIP && spec.clusterIPs === undefined) spec.clusterIPs = [spec.clusterIP];
  if (Array.isArray(spec.clusterIPs) && typeof spec.clusterIPs[0] === "string" && !spec.clusterIP) spec.clusterIP = spec.clusterIPs[0];
  const headless = spec.clusterIP === "None";
  spec.ipFamilyPolicy ||= "SingleStack";
  if (spec.ipFamilies === undefined && !(headless && !objOf(spec.selector))) {
    const family = typeof spec.clusterIP === "string" ? ipFamilyOf(spec.clusterIP) : undefined;
    spec.ipFamilies = [family ?? "IPv4"];
  }
}

/** "80/TCP,443:30443/TCP", kubectl's makePortString. */
export function formatServicePorts(ports: ServicePort[] | undefined): string {
  return (ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(",");
}

function externalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type) {
    case "ClusterIP":
    case "NodePort":
      return external.length ? external.join(",") : "<none>";
    case "LoadBalancer": {
      const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || "").filter(Boolean);
      const all = [...ingress, ...external];
      return all.length ? all.join(",") : "<pending>";
    }
    case "ExternalName":
      return spec.externalName ?? "";
    default:
      return "<unknown>";
  }
}

export const servicePrinter: Printer<Service> = {
  columns: [
    column("Name"),
    column("Type", "type determines how the Service is exposed. Defaults to ClusterIP."),
    column("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
    column("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
    column("Port(s)", "The list of ports that are exposed by this service."),
    column("Age"),
    wide("Selector", "Route service traffic to pods with label keys and values matching this selector."),
  ],
  cells: (svc, now) => [
    svc.metadata.name ?? "",
    svc.spec?.type ?? "",
    svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || "<none>",
    externalIP(svc),
    formatServicePorts(svc.spec?.ports) || "<none>",
    age(svc, now),
    formatLabels(svc.spec?.selector),
  ],
};
