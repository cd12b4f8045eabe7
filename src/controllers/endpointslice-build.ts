// The EndpointSlices a service should have, as a pure function of the service and its pods
// (the endpointslice controller's reconciler, simplified): one slice per distinct set of
// resolved ports, every endpoint with ready/serving/terminating conditions, owned by the
// service so that they go with it. With no endpoints, one empty placeholder slice remains.
// Names are derived from the service's uid and the port set, so a sync working from a lagging
// cache gets AlreadyExists instead of making a duplicate.
import type { Pod } from "../apis/core/pod.ts";
import { isPodReady } from "../apis/core/pod.ts";
import type { Service } from "../apis/core/service.ts";
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL, type Endpoint, type EndpointSlice, type EndpointSlicePort } from "../apis/discovery/endpointslice.ts";
import { ipFamilyOf } from "../apis/validation.ts";
import { endpointPorts } from "./endpoints-subsets.ts";
import { HEADLESS_LABEL, endpointHostname, podReference, serviceSelects, shouldPodBeInEndpoints } from "./endpoints-util.ts";
import { compareStrings } from "../apis/compare.ts";

/** The managed-by value of the slices this controller owns (kube's controller name). */
export const ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io";
/** Validation's cap on endpoints per slice. */
export const MAX_ENDPOINTS_PER_SLICE = 1000;

export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...svc.metadata.labels, [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: ENDPOINTSLICE_CONTROLLER };
  if (svc.spec?.clusterIP === "None") labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/** "<service>-<5 chars>": stable for one service (uid) and port set, shaped like a generateName. */
export function sliceName(svc: Service, portsKey: string, chunk = 0): string {
  const hash = BigInt(Bun.hash(`${svc.metadata.uid}/${portsKey}/${chunk}`)).toString(36).padStart(5, "0").slice(-5);
  return `${svc.metadata.name}-${hash}`;
}

export function sliceEndpoint(pod: Pod, svc: Service): Endpoint {
  const terminating = !!pod.metadata.deletionTimestamp;
  const serving = svc.spec?.publishNotReadyAddresses === true || isPodReady(pod);
  const ep: Endpoint = {
    addresses: [pod.status!.podIP!],
    conditions: { ready: serving && !terminating, serving, terminating },
  };
  const hostname = endpointHostname(pod, svc);
  if (hostname) ep.hostname = hostname;
  ep.targetRef = podReference(pod) as Endpoint["targetRef"];
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  return ep;
}

export function desiredSlices(svc: Service, pods: Pod[]): EndpointSlice[] {
  const addressType = svc.spec?.ipFamilies?.[0] === "IPv6" ? "IPv6" : "IPv4";
  const groups = new Map<string, { ports: EndpointSlicePort[]; endpoints: Endpoint[] }>();
  const ordered = [...pods].sort((a, b) => compareStrings(a.metadata.name ?? "", b.metadata.name ?? ""));
  for (const pod of ordered) {
    if (!serviceSelects(svc, pod) || !shouldPodBeInEndpoints(pod, true)) continue;
    if (ipFamilyOf(pod.status!.podIP!) !== addressType) continue;
    // The server defaults a slice port's name to "": spell it out so stored and desired compare equal.
    const ports: EndpointSlicePort[] = endpointPorts(svc, pod).map((p) => ({ name: p.name ?? "", ...p }));
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    group.endpoints.push(sliceEndpoint(pod, svc));
  }
  const slice = (name: string, endpoints: Endpoint[], ports?: EndpointSlicePort[]): EndpointSlice => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [{ apiVersion: "v1", kind: "Service", name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints,
    ...(ports ? { ports } : {}),
  });
  if (groups.size === 0) return [slice(sliceName(svc, ""), [])];
  const slices: EndpointSlice[] = [];
  for (const [key, group] of [...groups.entries()].sort(([a], [b]) => compareStrings(a, b))) {
    for (let i = 0; i * MAX_ENDPOINTS_PER_SLICE < group.endpoints.length; i++) {
      const endpoints = group.endpoints.slice(i * MAX_ENDPOINTS_PER_SLICE, (i + 1) * MAX_ENDPOINTS_PER_SLICE);
      slices.push(slice(sliceName(svc, key, i), endpoints, group.ports));
    }
  }
  return slices;
}

/** Whether a stored slice already says what the desired one does. */
export function sameSlice(current: EndpointSlice, desired: EndpointSlice): boolean {
  return (
    current.addressType === desired.addressType &&
    Bun.deepEquals(current.endpoints ?? [], desired.endpoints) &&
    Bun.deepEquals(current.ports ?? [], desired.ports ?? []) &&
    Bun.deepEquals(current.metadata.labels ?? {}, desired.metadata.labels ?? {}) &&
    Bun.deepEquals(current.metadata.ownerReferences ?? [], desired.metadata.ownerReferences ?? [])
  );
}
