// discovery.k8s.io/v1 EndpointSlice: the scalable successor of Endpoints that the endpoints
// controller also maintains and the proxy may read.
import { fieldDuplicate, fieldInvalid, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, child, fieldImmutable, fieldTooMany, intAt, objOf, objectsAt, objsOf, stringAt, stringListAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column, listWithMore } from "../table.ts";
import { isDNS1123Label, isDNS1123Subdomain, isNonSpecialIP, isQualifiedName, isValidPortNum, ipFamilyOf } from "../validation.ts";
import type { Protocol } from "../core/container.ts";
import { validateEnum, validateProtocol } from "../core/container-validation.ts";
import type { ObjectReference } from "../core/pod.ts";

export type AddressType = "IPv4" | "IPv6" | "FQDN";

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[] };
}

export interface EndpointSlicePort {
  name?: string;
  protocol?: Protocol;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  apiVersion?: "discovery.k8s.io/v1";
  kind?: "EndpointSlice";
  addressType: AddressType;
  endpoints: Endpoint[];
  ports?: EndpointSlicePort[];
}

/** The label naming the Service a slice belongs to. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";

const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;

export function defaultEndpointSlice(slice: EndpointSlice): void {
  for (const port of objsOf(slice.ports)) {
    port.name ??= "";
    port.protocol ??= "TCP";
  }
}

function validateAddress(errs: Causes, path: string, address: string, type: unknown): void {
  if (type === "FQDN") {
    for (const msg of isDNS1123Subdomain(address)) errs.push(fieldInvalid(path, address, msg));
    return;
  }
  if (type !== "IPv4" && type !== "IPv6") return;
  if (ipFamilyOf(address) !== type) errs.push(fieldInvalid(path, address, `must be a valid ${type} address`));
  else for (const msg of isNonSpecialIP(address)) errs.push(fieldInvalid(path, address, msg));
}

export function validateEndpointSlice(errs: Causes, slice: JsonObject): void {
  validateEnum(errs, "addressType", slice.addressType, ["FQDN", "IPv4", "IPv6"]);
  const endpoints = objectsAt(errs, "endpoints", slice.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) errs.push(fieldTooMany("endpoints", endpoints.length, MAX_ENDPOINTS));
  for (const [ep, p] of endpoints) {
    const ap = child(p, "addresses");
    const addresses = stringListAt(errs, ap, ep.addresses) ?? [];
    if (addresses.length === 0) errs.push(fieldRequired(ap, "must contain at least 1 address"));
    else if (addresses.length > MAX_ADDRESSES) errs.push(fieldTooMany(ap, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, i) => validateAddress(errs, `${ap}[${i}]`, a, slice.addressType));
    const nodeName = stringAt(errs, child(p, "nodeName"), ep.nodeName);
    if (nodeName !== undefined) for (const msg of isDNS1123Subdomain(nodeName)) errs.push(fieldInvalid(child(p, "nodeName"), nodeName, msg));
    const hostname = stringAt(errs, child(p, "hostname"), ep.hostname);
    if (hostname !== undefined) for (const msg of isDNS1123Label(hostname)) errs.push(fieldInvalid(child(p, "hostname"), hostname, msg));
    const conditions = objOf(ep.conditions);
    for (const c of ["ready", "serving", "terminating"]) {
      if (conditions && conditions[c] !== undefined && typeof conditions[c] !== "boolean") errs.push(fieldInvalid(child(p, `conditions.${c}`), conditions[c], "must be a boolean"));
    }
  }
  const names = new Set<string>();
  for (const [port, p] of objectsAt(errs, "ports", slice.ports)) {
    const name = stringAt(errs, child(p, "name"), port.name) ?? "";
    if (name) for (const msg of isDNS1123Label(name)) errs.push(fieldInvalid(child(p, "name"), name, msg));
    if (names.has(name)) errs.push(fieldDuplicate(child(p, "name"), name));
    names.add(name);
    validateProtocol(errs, child(p, "protocol"), port.protocol);
    const num = intAt(errs, child(p, "port"), port.port);
    if (num !== undefined) for (const msg of isValidPortNum(num)) errs.push(fieldInvalid(child(p, "port"), num, msg));
    const appProtocol = stringAt(errs, child(p, "appProtocol"), port.appProtocol);
    if (appProtocol !== undefined) for (const msg of isQualifiedName(appProtocol)) errs.push(fieldInvalid(child(p, "appProtocol"), appProtocol, msg));
  }
}

export function validateEndpointSliceUpdate(errs: Causes, slice: JsonObject, old: JsonObject): void {
  if (slice.addressType !== old.addressType) errs.push(fieldImmutable("addressType", slice.addressType ?? ""));
}

export const endpointSlicePrinter: Printer<EndpointSlice> = {
  columns: [
    column("Name"),
    column("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
    column("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
    column("Endpoints", "endpoints is a list of unique endpoints in this slice."),
    column("Age"),
  ],
  cells(slice, now) {
    const ports = (slice.ports ?? []).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined && p.name !== null ? p.name : "*"));
    const addresses = (slice.endpoints ?? []).flatMap((e) => e.addresses ?? []);
    return [slice.metadata.name ?? "", slice.addressType ?? "", listWithMore(ports), listWithMore(addresses), age(slice, now)];
  },
};
