// What the proxy does for one Service, as a pure function of the Service, its EndpointSlices and
// the node's addresses: one route per service port, with the addresses to listen on (ClusterIP
// and, for NodePort/LoadBalancer services, every node address at the NodePort), the ready
// endpoints behind it and the session affinity.
import { type EndpointSlice, SERVICE_NAME_LABEL } from "../apis/discovery/endpointslice.ts";
import type { Service, ServicePort } from "../apis/index.ts";
import type { ListenAddress, Protocol } from "./forwarder.ts";
import { DEFAULT_AFFINITY_TIMEOUT_SECONDS, type Endpoint, type SessionAffinity } from "./route-table.ts";

export interface ServiceRoute {
  /** The routing table's key: "<ns>/<name>:<port>/<protocol>". */
  key: string;
  protocol: Protocol;
  listen: ListenAddress[];
  endpoints: Endpoint[];
  affinity: SessionAffinity;
}

/** Loopback always answers NodePorts too, as kube-proxy's nodePortAddresses default allows. */
export const LOOPBACK = "127.0.0.1";

export const routeKey = (namespace: string, name: string, port: ServicePort) => `${namespace}/${name}:${port.port}/${port.protocol ?? "TCP"}`;

/** The service an EndpointSlice belongs to ("ns/name"), from its kubernetes.io/service-name label. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata.namespace ?? ""}/${name}` : undefined;
}

/**
 * The endpoints of one service port: every ready IPv4 endpoint of the slices, at the slice port
 * of the same name and protocol. An endpoint without conditions.ready counts as ready (the
 * field's documented meaning); terminating ones are not ready and get no new connections.
 */
export function portEndpoints(port: ServicePort, slices: readonly EndpointSlice[]): Endpoint[] {
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  const name = port.name ?? "";
  const protocol = port.protocol ?? "TCP";
  for (const slice of slices) {
    if (slice.addressType !== "IPv4") continue;
    const sp = slice.ports?.find((p) => (p.name ?? "") === name && (p.protocol ?? "TCP") === protocol);
    if (!sp?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      const ip = ep.addresses[0];
      const key = `${ip}:${sp.port}`;
      if (!ip || seen.has(key)) continue;
      seen.add(key);
      out.push({ ip, port: sp.port });
    }
  }
  return out;
}

/** The service's ClusterIP when it has an IPv4 one (not headless, not yet unallocated). */
export function clusterIPv4(svc: Service | undefined): string | undefined {
  const ip = svc?.spec?.clusterIP;
  return ip && ip !== "None" && !ip.includes(":") ? ip : undefined;
}

export function sessionAffinity(svc: Service): SessionAffinity {
  return {
    clientIP: svc.spec?.sessionAffinity === "ClientIP",
    timeoutSeconds: svc.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS,
  };
}

/** The routes of a service; none for headless and ExternalName services, which DNS alone serves. */
export function serviceRoutes(svc: Service, slices: readonly EndpointSlice[], nodeIPs: readonly string[]): ServiceRoute[] {
  const spec = svc.spec;
  if (!spec || spec.type === "ExternalName") return [];
  const clusterIP = clusterIPv4(svc);
  const nodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
  const nodeAddresses = [...new Set([...nodeIPs, LOOPBACK])];
  const affinity = sessionAffinity(svc);
  const routes: ServiceRoute[] = [];
  for (const port of spec.ports ?? []) {
    const protocol = port.protocol ?? "TCP";
    // SCTP needs kernel support the forwarders do not have.
    if (protocol !== "TCP" && protocol !== "UDP") continue;
    const listen: ListenAddress[] = [];
    if (clusterIP) listen.push({ protocol, hostname: clusterIP, port: port.port });
    if (nodePorts && port.nodePort) for (const hostname of nodeAddresses) listen.push({ protocol, hostname, port: port.nodePort });
    if (listen.length === 0) continue;
    routes.push({ key: routeKey(svc.metadata.namespace ?? "", svc.metadata.name ?? "", port), protocol, listen, endpoints: portEndpoints(port, slices), affinity });
  }
  return routes;
}
