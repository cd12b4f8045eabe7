// core/v1 Endpoints: the ready (and not-ready) pod addresses behind a service, kept by the
// endpoints controller and read by the proxy.
import { fieldInvalid, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, child, objectsAt, objsOf, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";
import { isDNS1123Label, isDNS1123Subdomain, isNonSpecialIP, isValidIP, isValidPortNum } from "../validation.ts";
import type { Protocol } from "./container.ts";
import { validateProtocol } from "./container-validation.ts";
import type { ObjectReference } from "./pod.ts";

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: Protocol;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject {
  apiVersion?: "v1";
  kind?: "Endpoints";
  subsets?: EndpointSubset[];
}

export function defaultEndpoints(ep: Endpoints): void {
  for (const subset of objsOf(ep.subsets)) for (const port of objsOf(subset.ports)) port.protocol ||= "TCP";
}

function validateAddress(errs: Causes, path: string, addr: JsonObject): void {
  const ip = stringAt(errs, child(path, "ip"), addr.ip) ?? "";
  const bad = isValidIP(ip);
  for (const msg of bad.length ? bad : isNonSpecialIP(ip)) errs.push(fieldInvalid(child(path, "ip"), ip, msg));
  const hostname = stringAt(errs, child(path, "hostname"), addr.hostname);
  if (hostname) for (const msg of isDNS1123Label(hostname)) errs.push(fieldInvalid(child(path, "hostname"), hostname, msg));
  const nodeName = stringAt(errs, child(path, "nodeName"), addr.nodeName);
  if (nodeName !== undefined) for (const msg of isDNS1123Subdomain(nodeName)) errs.push(fieldInvalid(child(path, "nodeName"), nodeName, msg));
}

export function validateEndpoints(errs: Causes, ep: JsonObject): void {
  for (const [subset, p] of objectsAt(errs, "subsets", ep.subsets)) {
    const addresses = objectsAt(errs, child(p, "addresses"), subset.addresses);
    const notReady = objectsAt(errs, child(p, "notReadyAddresses"), subset.notReadyAddresses);
    if (addresses.length === 0 && notReady.length === 0) errs.push(fieldRequired(p, "must specify `addresses` or `notReadyAddresses`"));
    for (const [addr, ap] of [...addresses, ...notReady]) validateAddress(errs, ap, addr);
    const ports = objectsAt(errs, child(p, "ports"), subset.ports);
    for (const [port, pp] of ports) {
      const name = stringAt(errs, child(pp, "name"), port.name);
      if (ports.length > 1 && !name) errs.push(fieldRequired(child(pp, "name")));
      else if (name) for (const msg of isDNS1123Label(name)) errs.push(fieldInvalid(child(pp, "name"), name, msg));
      for (const msg of isValidPortNum(port.port as number)) errs.push(fieldInvalid(child(pp, "port"), port.port, msg));
      validateProtocol(errs, child(pp, "protocol"), port.protocol);
    }
  }
}

/** "10.0.0.1:80,10.0.0.2:80 + 3 more...", as kubectl's formatEndpoints. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return "<none>";
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) if (list.length < max) list.push(a.ip);
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) if (list.length < max) list.push(a.ip.includes(":") ? `[${a.ip}]:${port.port}` : `${a.ip}:${port.port}`);
    }
  }
  const shown = list.join(",");
  return count > max ? `${shown} + ${count - max} more...` : shown;
}

export const endpointsPrinter: Printer<Endpoints> = {
  columns: [column("Name"), column("Endpoints", "Endpoints of the resource"), column("Age")],
  cells: (ep, now) => [ep.metadata.name ?? "", formatEndpoints(ep), age(ep, now)],
};
