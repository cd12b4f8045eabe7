// Service validation, after ValidateService and ValidateServiceUpdate: ports (names required
// when several), protocols, type and policy enums, node port range, cluster IP syntax, and the
// cluster IP staying put once allocated.
import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, child, fieldImmutable, index, intAt, objOf, objectAt, objectsAt, stringAt, stringListAt } from "../field.ts";
import { validateLabels } from "../metadata.ts";
import { isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortNum } from "../validation.ts";
import { validateEnum, validatePortNumOrName, validateProtocol } from "./container-validation.ts";

export const NODE_PORT_RANGE = { min: 30000, max: 32767 };
const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

function validateServicePorts(errs: Causes, spec: JsonObject, type: string): void {
  const ports = objectsAt(errs, "spec.ports", spec.ports);
  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePorts = new Set<string>();
  for (const [port, p] of ports) {
    const name = stringAt(errs, child(p, "name"), port.name);
    if (ports.length > 1 && !name) errs.push(fieldRequired(child(p, "name")));
    else if (name) {
      for (const msg of isDNS1123Label(name)) errs.push(fieldInvalid(child(p, "name"), name, msg));
      if (names.has(name)) errs.push(fieldDuplicate(child(p, "name"), name));
      names.add(name);
    }
    const num = intAt(errs, child(p, "port"), port.port);
    if (num === undefined && port.port === undefined) errs.push(fieldRequired(child(p, "port")));
    if (num !== undefined) for (const msg of isValidPortNum(num)) errs.push(fieldInvalid(child(p, "port"), num, msg));
    validateProtocol(errs, child(p, "protocol"), port.protocol);
    if (port.targetPort !== undefined) validatePortNumOrName(errs, child(p, "targetPort"), port.targetPort);
    const k = `${num}/${port.protocol}`;
    if (portKeys.has(k)) errs.push(fieldDuplicate(p, { port: num, protocol: port.protocol }));
    portKeys.add(k);

    const nodePort = intAt(errs, child(p, "nodePort"), port.nodePort);
    if (!nodePort) continue;
    if (type === "ClusterIP" || type === "ExternalName") {
      errs.push(fieldForbidden(child(p, "nodePort"), `may not be used when \`type\` is '${type}'`));
    } else if (nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max) {
      errs.push(fieldInvalid(child(p, "nodePort"), nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
    }
    const nk = `${nodePort}/${port.protocol}`;
    if (nodePorts.has(nk)) errs.push(fieldDuplicate(child(p, "nodePort"), nodePort));
    nodePorts.add(nk);
  }
  const headless = spec.clusterIP === "None";
  if (ports.length === 0 && !headless && type !== "ExternalName" && (spec.ports === undefined || Array.isArray(spec.ports))) {
    errs.push(fieldRequired("spec.ports"));
  }
}

function validateClusterIPs(errs: Causes, spec: JsonObject, type: string): void {
  const clusterIP = stringAt(errs, "spec.clusterIP", spec.clusterIP) ?? "";
  const clusterIPs = stringListAt(errs, "spec.clusterIPs", spec.clusterIPs) ?? [];
  if (type === "ExternalName") {
    if (clusterIP && clusterIP !== "None") errs.push(fieldForbidden("spec.clusterIPs", "may not be set for ExternalName services"));
    return;
  }
  if (clusterIP && clusterIPs.length > 0 && clusterIPs[0] !== clusterIP) {
    errs.push(fieldInvalid("spec.clusterIPs", clusterIPs, "first value must match `clusterIP`"));
  }
  if (clusterIPs.length > 2) errs.push(fieldInvalid("spec.clusterIPs", clusterIPs, "may only hold up to 2 values"));
  const ips = clusterIPs.length > 0 ? clusterIPs : clusterIP ? [clusterIP] : [];
  const path = (i: number) => (clusterIPs.length > 0 ? index("spec.clusterIPs", i) : "spec.clusterIP");
  ips.forEach((ip, i) => {
    if (ip === "None") {
      if (i > 0 || ips.length > 1) errs.push(fieldInvalid(path(i), ip, "must be empty or a valid IP when the first value is not 'None'"));
      return;
    }
    for (const msg of isValidIP(ip)) errs.push(fieldInvalid(path(i), ip, msg));
  });
  if (clusterIP === "None" && type !== "ClusterIP") errs.push(fieldInvalid("spec.clusterIPs[0]", clusterIP, "may not be set to 'None' for LoadBalancer or NodePort services"));
}

export function validateService(errs: Causes, svc: JsonObject): void {
  const spec = objectAt(errs, "spec", svc.spec);
  if (!spec) return;
  const type = typeof spec.type === "string" ? spec.type : "";
  validateEnum(errs, "spec.type", spec.type, SERVICE_TYPES);
  validateServicePorts(errs, spec, type);
  validateClusterIPs(errs, spec, type);
  if (type === "ExternalName") {
    const name = stringAt(errs, "spec.externalName", spec.externalName);
    if (!name) errs.push(fieldRequired("spec.externalName"));
    else for (const msg of isDNS1123Subdomain(name.replace(/\.$/, ""))) errs.push(fieldInvalid("spec.externalName", name, msg));
  }
  validateLabels(errs, "spec.selector", spec.selector);
  validateEnum(errs, "spec.sessionAffinity", spec.sessionAffinity, ["ClientIP", "None"]);
  if (spec.sessionAffinity === "ClientIP") {
    const seconds = objOf(objOf(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds;
    const path = "spec.sessionAffinityConfig.clientIP.timeoutSeconds";
    if (typeof seconds !== "number" || seconds <= 0 || seconds > 86400) errs.push(fieldInvalid(path, seconds ?? null, "must be greater than 0 and less than 86400"));
  } else if (spec.sessionAffinityConfig !== undefined) {
    errs.push(fieldInvalid("spec.sessionAffinityConfig", spec.sessionAffinityConfig, `must not be set when session affinity is ${spec.sessionAffinity}`));
  }
  (stringListAt(errs, "spec.externalIPs", spec.externalIPs) ?? []).forEach((ip, i) => {
    for (const msg of isValidIP(ip)) errs.push(fieldInvalid(index("spec.externalIPs", i), ip, msg));
  });
  if (spec.externalTrafficPolicy !== undefined) {
    if (type !== "NodePort" && type !== "LoadBalancer" && !(Array.isArray(spec.externalIPs) && spec.externalIPs.length)) {
      errs.push(fieldInvalid("spec.externalTrafficPolicy", spec.externalTrafficPolicy, "may only be set for externally-accessible services"));
    } else validateEnum(errs, "spec.externalTrafficPolicy", spec.externalTrafficPolicy, ["Cluster", "Local"]);
  }
  validateEnum(errs, "spec.internalTrafficPolicy", spec.internalTrafficPolicy, ["Cluster", "Local"], false);
  validateEnum(errs, "spec.ipFamilyPolicy", spec.ipFamilyPolicy, ["PreferDualStack", "RequireDualStack", "SingleStack"], false);
  (stringListAt(errs, "spec.ipFamilies", spec.ipFamilies) ?? []).forEach((f, i) => {
    validateEnum(errs, index("spec.ipFamilies", i), f, ["IPv4", "IPv6"]);
  });
}

/** ValidateServiceUpdate: an allocated cluster IP stays (unless the type moves to or from ExternalName). */
export function validateServiceUpdate(errs: Causes, svc: JsonObject, old: JsonObject): void {
  const spec = objOf(svc.spec);
  const oldSpec = objOf(old.spec);
  if (!spec || !oldSpec) return;
  if (spec.type === "ExternalName" || oldSpec.type === "ExternalName") return;
  if (oldSpec.clusterIP && (spec.clusterIP ?? "") !== oldSpec.clusterIP) errs.push(fieldImmutable("spec.clusterIP", spec.clusterIP ?? ""));
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  const oldIPs = Array.isArray(oldSpec.clusterIPs) ? oldSpec.clusterIPs : [];
  if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) errs.push(fieldImmutable("spec.clusterIPs[0]", ips[0] ?? ""));
}
