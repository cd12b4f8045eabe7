// The ServiceDirectory the DNS server reads in a cluster: the service and EndpointSlice informer
// caches the service proxy keeps (shared, so one watch feeds both).
import { type EndpointSlice, SERVICE_NAME_LABEL } from "../apis/discovery/endpointslice.ts";
import type { Service } from "../apis/index.ts";
import type { Lister } from "../client/index.ts";
import type { ServiceDirectory } from "./records.ts";

export function listerDirectory(services: Lister<Service>, slices: Lister<EndpointSlice>): ServiceDirectory {
  return {
    service: (namespace, name) => services.get(namespace, name),
    services: () => services.list(),
    endpointSlices: (namespace, name) => slices.list(namespace, (s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name),
  };
}
