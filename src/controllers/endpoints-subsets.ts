// The subsets of a service's Endpoints, as a pure function of the service and the pods it
// selects (the endpoints controller's syncService plus endpoints.RepackSubsets): ready pods
// under addresses, the rest under notReadyAddresses, grouped by the ports they resolve to,
// in a stable order so that an unchanged set compares equal to what is stored.
import type { EndpointAddress, EndpointPort, EndpointSubset } from "../apis/core/endpoints.ts";
import type { Pod } from "../apis/core/pod.ts";
import { isPodReady } from "../apis/core/pod.ts";
import type { Service } from "../apis/core/service.ts";
import { endpointHostname, findPort, podReference, serviceSelects, shouldPodBeInEndpoints } from "./endpoints-util.ts";
import { compareStrings } from "../apis/compare.ts";

export function endpointAddress(pod: Pod, svc: Service): EndpointAddress {
  const addr: EndpointAddress = { ip: pod.status!.podIP! };
  const hostname = endpointHostname(pod, svc);
  if (hostname) addr.hostname = hostname;
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = podReference(pod) as EndpointAddress["targetRef"];
  return addr;
}

/** The service's ports as this pod serves them; ports the pod has no match for are left out. */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const ports: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? "TCP" };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    ports.push(ep);
  }
  return ports;
}

const byAddress = (a: EndpointAddress, b: EndpointAddress) =>
  compareStrings(a.ip, b.ip) || compareStrings(a.targetRef?.name ?? "", b.targetRef?.name ?? "");

export function buildSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const headless = svc.spec?.clusterIP === "None";
  const hasPorts = (svc.spec?.ports ?? []).length > 0;
  const groups = new Map<string, { ports: EndpointPort[]; addresses: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    if (!serviceSelects(svc, pod) || !shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ports = endpointPorts(svc, pod);
    // A headless service without ports still publishes its pods' addresses (for DNS).
    if (ports.length === 0 && (hasPorts || !headless)) continue;
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, addresses: [], notReady: [] }));
    (publishNotReady || isPodReady(pod) ? group.addresses : group.notReady).push(endpointAddress(pod, svc));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([, g]) => {
      const subset: EndpointSubset = {};
      if (g.addresses.length) subset.addresses = g.addresses.sort(byAddress);
      if (g.notReady.length) subset.notReadyAddresses = g.notReady.sort(byAddress);
      if (g.ports.length) subset.ports = g.ports;
      return subset;
    });
}
