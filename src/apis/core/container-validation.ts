// Validation of containers (regular and init), after pkg/apis/core/validation: names, images,
// ports, env, resources (requests ≤ limits), volume mounts and probes.
import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import {
  type Causes,
  type JsonObject,
  child,
  fieldNotFound,
  intAt,
  intOrStringAt,
  key,
  nonNegative,
  objectAt,
  objectsAt,
  stringAt,
  stringListAt,
} from "../field.ts";
import { QUANTITY_FORMAT_MESSAGE, compareQuantities, formatQuantity, isNegativeQuantity, isQuantity, quantityMilliValue } from "../quantity.ts";
import { isConfigMapKey, isDNS1123Label, isEnvVarName, isQualifiedName, isValidPortName, isValidPortNum } from "../validation.ts";

export const PROTOCOLS = ["SCTP", "TCP", "UDP"];

/** A port given by number or by IANA name (probe ports, targetPort). */
export function validatePortNumOrName(errs: Causes, path: string, v: unknown): void {
  const port = intOrStringAt(errs, path, v);
  if (typeof port === "number") for (const msg of isValidPortNum(port)) errs.push(fieldInvalid(path, port, msg));
  if (typeof port === "string") for (const msg of isValidPortName(port)) errs.push(fieldInvalid(path, port, msg));
}

export function validateProtocol(errs: Causes, path: string, v: unknown): void {
  const protocol = stringAt(errs, path, v);
  if (!protocol) errs.push(fieldRequired(path, "Required value"));
  else if (!PROTOCOLS.includes(protocol)) errs.push(fieldNotSupported(path, protocol, PROTOCOLS));
}

export function validateEnum(errs: Causes, path: string, v: unknown, allowed: string[], required = true): void {
  const s = stringAt(errs, path, v);
  if (s === undefined || s === "") {
    if (required) errs.push(fieldRequired(path));
  } else if (!allowed.includes(s)) errs.push(fieldNotSupported(path, s, allowed));
}

function validateContainerPorts(errs: Causes, path: string, v: unknown): void {
  const names = new Set<string>();
  for (const [port, p] of objectsAt(errs, path, v)) {
    const name = stringAt(errs, child(p, "name"), port.name);
    if (name) {
      const msgs = isValidPortName(name);
      for (const msg of msgs) errs.push(fieldInvalid(child(p, "name"), name, msg));
      if (msgs.length === 0 && names.has(name)) errs.push(fieldDuplicate(child(p, "name"), name));
      names.add(name);
    }
    const containerPort = intAt(errs, child(p, "containerPort"), port.containerPort);
    if (!containerPort) {
      if (port.containerPort === undefined || containerPort === 0) errs.push(fieldRequired(child(p, "containerPort")));
    } else for (const msg of isValidPortNum(containerPort)) errs.push(fieldInvalid(child(p, "containerPort"), containerPort, msg));
    const hostPort = intAt(errs, child(p, "hostPort"), port.hostPort);
    if (hostPort) for (const msg of isValidPortNum(hostPort)) errs.push(fieldInvalid(child(p, "hostPort"), hostPort, msg));
    validateProtocol(errs, child(p, "protocol"), port.protocol);
  }
}

const KEY_REFS = ["configMapKeyRef", "secretKeyRef"] as const;
const ENV_SOURCES = ["fieldRef", "resourceFieldRef", ...KEY_REFS];

function validateEnv(errs: Causes, path: string, v: unknown): void {
  for (const [env, p] of objectsAt(errs, path, v)) {
    const name = stringAt(errs, child(p, "name"), env.name);
    if (!name) errs.push(fieldRequired(child(p, "name")));
    else for (const msg of isEnvVarName(name)) errs.push(fieldInvalid(child(p, "name"), name, msg));
    const value = stringAt(errs, child(p, "value"), env.value);
    const from = objectAt(errs, child(p, "valueFrom"), env.valueFrom);
    if (!from) continue;
    const fp = child(p, "valueFrom");
    const sources = ENV_SOURCES.filter((s) => from[s] !== undefined && from[s] !== null);
    if (sources.length === 0) errs.push(fieldInvalid(fp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
    if (value && sources.length > 0) errs.push(fieldInvalid(fp, "", "may not be specified when `value` is not empty"));
    if (sources.length > 1) errs.push(fieldInvalid(fp, "", "may not have more than one field specified at a time"));
    const fieldRef = objectAt(errs, child(fp, "fieldRef"), from.fieldRef);
    if (fieldRef && !stringAt(errs, child(fp, "fieldRef.fieldPath"), fieldRef.fieldPath)) errs.push(fieldRequired(child(fp, "fieldRef.fieldPath")));
    const resourceRef = objectAt(errs, child(fp, "resourceFieldRef"), from.resourceFieldRef);
    if (resourceRef && !stringAt(errs, child(fp, "resourceFieldRef.resource"), resourceRef.resource)) errs.push(fieldRequired(child(fp, "resourceFieldRef.resource")));
    for (const ref of KEY_REFS) {
      const sel = objectAt(errs, child(fp, ref), from[ref]);
      if (!sel) continue;
      const rp = child(fp, ref);
      if (!stringAt(errs, child(rp, "name"), sel.name)) errs.push(fieldRequired(child(rp, "name")));
      const k = stringAt(errs, child(rp, "key"), sel.key);
      if (!k) errs.push(fieldRequired(child(rp, "key")));
      else for (const msg of isConfigMapKey(k)) errs.push(fieldInvalid(child(rp, "key"), k, msg));
    }
  }
}

const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
const isNative = (name: string) => !name.includes("/") || name.startsWith("kubernetes.io/");
// Requests may be below limits only for resources the node can overcommit; extended resources
// (example.com/gpu) are whole devices.
const overcommitAllowed = (name: string) => isNative(name) && !name.startsWith("hugepages-");

function validateResourceList(errs: Causes, path: string, v: unknown): Map<string, string | number> {
  const out = new Map<string, string | number>();
  const list = objectAt(errs, path, v);
  for (const [name, q] of Object.entries(list ?? {})) {
    const p = key(path, name);
    for (const msg of isQualifiedName(name)) errs.push(fieldInvalid(p, name, msg));
    if (!name.includes("/")) {
      if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith("hugepages-")) errs.push(fieldInvalid(p, name, "must be a standard resource for containers"));
    } else if (!isNative(name) && name.startsWith("requests.")) {
      errs.push(fieldInvalid(p, name, "doesn't follow extended resource name standard"));
    }
    if (!isQuantity(q)) {
      errs.push(fieldInvalid(p, q, QUANTITY_FORMAT_MESSAGE));
      continue;
    }
    if (isNegativeQuantity(q)) errs.push(fieldInvalid(p, formatQuantity(q), "must be greater than or equal to 0"));
    else if (!isNative(name) && quantityMilliValue(q) % 1000 !== 0) errs.push(fieldInvalid(p, formatQuantity(q), "must be an integer"));
    out.set(name, q);
  }
  return out;
}

export function validateResources(errs: Causes, path: string, v: unknown): void {
  const res = objectAt(errs, path, v);
  if (!res) return;
  const limits = validateResourceList(errs, child(path, "limits"), res.limits);
  const requests = validateResourceList(errs, child(path, "requests"), res.requests);
  for (const [name, req] of requests) {
    const limit = limits.get(name);
    const reqPath = child(path, "requests");
    if (limit === undefined) {
      if (!overcommitAllowed(name)) errs.push(fieldRequired(child(path, "limits"), "Limit must be set for non overcommitable resources"));
      continue;
    }
    const cmp = compareQuantities(req, limit);
    if (cmp !== 0 && !overcommitAllowed(name)) {
      errs.push(fieldInvalid(reqPath, formatQuantity(req), `must be equal to ${name} limit of ${formatQuantity(limit)}`));
    } else if (cmp > 0) {
      errs.push(fieldInvalid(reqPath, formatQuantity(req), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`));
    }
  }
}

function validateVolumeMounts(errs: Causes, path: string, v: unknown, volumes: Set<string>): void {
  const mountPaths = new Set<string>();
  for (const [mount, p] of objectsAt(errs, path, v)) {
    const name = stringAt(errs, child(p, "name"), mount.name) ?? "";
    if (!name) errs.push(fieldRequired(child(p, "name")));
    if (!volumes.has(name)) errs.push(fieldNotFound(child(p, "name"), name));
    const mountPath = stringAt(errs, child(p, "mountPath"), mount.mountPath);
    if (!mountPath) errs.push(fieldRequired(child(p, "mountPath")));
    else if (mountPaths.has(mountPath)) errs.push(fieldInvalid(child(p, "mountPath"), mountPath, "must be unique"));
    if (mountPath) mountPaths.add(mountPath);
  }
}

function validateHandler(errs: Causes, path: string, h: JsonObject, kinds: string[]): void {
  const present = kinds.filter((k) => h[k] !== undefined && h[k] !== null);
  if (present.length === 0) errs.push(fieldRequired(path, "must specify a handler type"));
  for (const extra of present.slice(1)) errs.push(fieldForbidden(child(path, extra), "may not specify more than 1 handler type"));
  const exec = objectAt(errs, child(path, "exec"), h.exec);
  if (exec && (stringListAt(errs, child(path, "exec.command"), exec.command) ?? []).length === 0) errs.push(fieldRequired(child(path, "exec.command")));
  const http = objectAt(errs, child(path, "httpGet"), h.httpGet);
  if (http) {
    validatePortNumOrName(errs, child(path, "httpGet.port"), http.port ?? 0);
    validateEnum(errs, child(path, "httpGet.scheme"), http.scheme, ["HTTP", "HTTPS"], false);
  }
  const tcp = objectAt(errs, child(path, "tcpSocket"), h.tcpSocket);
  if (tcp) validatePortNumOrName(errs, child(path, "tcpSocket.port"), tcp.port ?? 0);
  const grpc = objectAt(errs, child(path, "grpc"), h.grpc);
  if (grpc) {
    const port = intAt(errs, child(path, "grpc.port"), grpc.port) ?? 0;
    for (const msg of isValidPortNum(port)) errs.push(fieldInvalid(child(path, "grpc.port"), port, msg));
  }
}

function validateProbe(errs: Causes, path: string, v: unknown, mustSucceedOnce: boolean): void {
  const probe = objectAt(errs, path, v);
  if (!probe) return;
  validateHandler(errs, path, probe, ["exec", "httpGet", "tcpSocket", "grpc"]);
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"]) nonNegative(errs, child(path, f), probe[f]);
  if (mustSucceedOnce && typeof probe.successThreshold === "number" && probe.successThreshold !== 1) {
    errs.push(fieldInvalid(child(path, "successThreshold"), probe.successThreshold, "must be 1"));
  }
}

export interface ContainerContext {
  volumes: Set<string>;
  names: Set<string>; // container names seen so far: unique across init and regular containers
  init: boolean;
}

export function validateContainer(errs: Causes, path: string, ctr: JsonObject, ctx: ContainerContext): void {
  const name = stringAt(errs, child(path, "name"), ctr.name);
  if (!name) errs.push(fieldRequired(child(path, "name")));
  else {
    for (const msg of isDNS1123Label(name)) errs.push(fieldInvalid(child(path, "name"), name, msg));
    if (ctx.names.has(name)) errs.push(fieldDuplicate(child(path, "name"), name));
    ctx.names.add(name);
  }
  const image = stringAt(errs, child(path, "image"), ctr.image);
  if (!image) errs.push(fieldRequired(child(path, "image")));
  else if (image.trim() !== image) errs.push(fieldInvalid(child(path, "image"), image, "must not have leading or trailing whitespace"));
  stringListAt(errs, child(path, "command"), ctr.command);
  stringListAt(errs, child(path, "args"), ctr.args);
  stringAt(errs, child(path, "workingDir"), ctr.workingDir);
  validateEnum(errs, child(path, "imagePullPolicy"), ctr.imagePullPolicy, ["Always", "IfNotPresent", "Never"], false);
  validateEnum(errs, child(path, "terminationMessagePolicy"), ctr.terminationMessagePolicy, ["File", "FallbackToLogsOnError"], false);
  if (ctr.restartPolicy !== undefined) {
    if (!ctx.init) errs.push(fieldForbidden(child(path, "restartPolicy"), "may not be set for non-init containers"));
    else validateEnum(errs, child(path, "restartPolicy"), ctr.restartPolicy, ["Always"]);
  }
  validateContainerPorts(errs, child(path, "ports"), ctr.ports);
  validateEnv(errs, child(path, "env"), ctr.env);
  validateResources(errs, child(path, "resources"), ctr.resources);
  validateVolumeMounts(errs, child(path, "volumeMounts"), ctr.volumeMounts, ctx.volumes);
  const sidecar = ctx.init && ctr.restartPolicy === "Always";
  if (ctx.init && !sidecar) {
    for (const f of ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle"]) {
      if (ctr[f] !== undefined) errs.push(fieldForbidden(child(path, f), `may not be set for init containers without restartPolicy=Always`));
    }
    return;
  }
  validateProbe(errs, child(path, "livenessProbe"), ctr.livenessProbe, true);
  validateProbe(errs, child(path, "readinessProbe"), ctr.readinessProbe, false);
  validateProbe(errs, child(path, "startupProbe"), ctr.startupProbe, true);
}
