// What a pod update may change, after ValidatePodUpdate and ValidatePodStatusUpdate: a running
// pod's spec is fixed except for images, a shorter deadline and added tolerations; the agent's
// status writes may not resurrect containers a restart policy says stay dead.
import { fieldForbidden, fieldInvalid, fieldNotSupported } from "../errors.ts";
import { type Causes, type JsonObject, child, index, isObject, jsonEqual, objOf, objsOf, objectAt, objectsAt, stringAt } from "../field.ts";
import { isDNS1123Subdomain, isQualifiedName, isValidIP } from "../validation.ts";

const UPDATABLE_FIELDS = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
].join(",");

/** A readable diff of two JSON values: one "-"/"+" pair per changed leaf. */
export function jsonDiff(a: unknown, b: unknown, path = ""): string[] {
  if (jsonEqual(a, b)) return [];
  const bothObjects = isObject(a) && isObject(b);
  const bothArrays = Array.isArray(a) && Array.isArray(b) && a.length === b.length;
  if (bothObjects || bothArrays) {
    const keys = bothArrays ? a.map((_, i) => String(i)) : [...new Set([...Object.keys(a as JsonObject), ...Object.keys(b as JsonObject)])];
    return keys.flatMap((k) => {
      const p = bothArrays ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      return jsonDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], p);
    });
  }
  const out: string[] = [];
  if (a !== undefined) out.push(`-\t${path}: ${JSON.stringify(a)}`);
  if (b !== undefined) out.push(`+\t${path}: ${JSON.stringify(b)}`);
  return out;
}

function tolerationKey(t: JsonObject): string {
  const { tolerationSeconds: _, ...rest } = t;
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
}

/** ValidatePodUpdate's spec rules (the new spec is validated in full separately). */
export function validatePodSpecUpdate(errs: Causes, pod: JsonObject, old: JsonObject): void {
  const spec = objOf(pod.spec);
  const oldSpec = objOf(old.spec);
  if (!spec || !oldSpec) return;
  const munged: JsonObject = structuredClone(spec);

  for (const list of ["containers", "initContainers"]) {
    const now = Array.isArray(spec[list]) ? (spec[list] as unknown[]) : [];
    const before = Array.isArray(oldSpec[list]) ? (oldSpec[list] as unknown[]) : [];
    if (now.length !== before.length) {
      errs.push(fieldForbidden(child("spec", list), "pod updates may not add or remove containers"));
      return;
    }
    const mc = munged[list];
    if (Array.isArray(mc)) {
      mc.forEach((c, i) => {
        const prev = objOf(before[i]);
        if (isObject(c) && prev) c.image = prev.image;
      });
    }
  }

  const deadline = spec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (typeof oldDeadline === "number") {
    if (typeof deadline !== "number") {
      errs.push(fieldInvalid("spec.activeDeadlineSeconds", deadline ?? null, "must not update from a positive integer to nil value"));
    } else if (deadline > oldDeadline) {
      errs.push(fieldInvalid("spec.activeDeadlineSeconds", deadline, "must be less than or equal to previous value"));
    }
  }
  munged.activeDeadlineSeconds = oldDeadline;

  const kept = new Set(objsOf(spec.tolerations).map(tolerationKey));
  for (const t of objsOf(oldSpec.tolerations)) {
    if (!kept.has(tolerationKey(t))) {
      errs.push(fieldForbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
      break;
    }
  }
  munged.tolerations = oldSpec.tolerations;

  const grace = oldSpec.terminationGracePeriodSeconds;
  if (typeof grace === "number" && grace < 0 && spec.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = grace;

  // Scheduling gates may only be removed.
  const oldGates = new Set(objsOf(oldSpec.schedulingGates).map((g) => g.name));
  if (objsOf(spec.schedulingGates).every((g) => oldGates.has(g.name))) munged.schedulingGates = oldSpec.schedulingGates;

  for (const k of Object.keys(munged)) if (munged[k] === undefined) delete munged[k];
  if (!jsonEqual(munged, oldSpec)) {
    const diff = jsonDiff(oldSpec, munged, "spec").join("\n");
    errs.push(fieldForbidden("spec", `pod updates may not change fields other than ${UPDATABLE_FIELDS}\n${diff}`));
  }
}

const TERMINAL_PHASES = new Set(["Succeeded", "Failed"]);
const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

// Containers whose restart policy forbids a restart may not come back from terminated.
function validateContainerStateTransitions(errs: Causes, path: string, now: unknown, before: unknown, restartPolicy: unknown): void {
  if (restartPolicy === "Always") return;
  const old = new Map(objsOf(before).map((s) => [s.name, s]));
  for (const [s, p] of objectsAt(errs, path, now)) {
    const prev = objOf(old.get(s.name)?.state)?.terminated;
    const next = objOf(s.state);
    if (!isObject(prev) || next?.terminated !== undefined) continue;
    if (restartPolicy === "OnFailure" && prev.exitCode !== 0) continue;
    errs.push(fieldForbidden(child(p, "state"), "may not be transitioned to non-terminated state"));
  }
}

function validateIPs(errs: Causes, path: string, single: unknown, list: unknown): void {
  const ips = objectsAt(errs, path, list);
  const seen = new Set<string>();
  for (const [entry, p] of ips) {
    const ip = stringAt(errs, child(p, "ip"), entry.ip) ?? "";
    for (const msg of isValidIP(ip)) errs.push(fieldInvalid(child(p, "ip"), ip, msg));
    if (seen.has(ip)) errs.push(fieldInvalid(child(p, "ip"), ip, "may not be repeated"));
    seen.add(ip);
  }
  if (typeof single === "string" && single && ips.length > 0 && ips[0]![0].ip !== single) {
    errs.push(fieldInvalid(index(path, 0), ips[0]![0].ip, `must be equal to ${path.replace(/s$/, "")}`));
  }
}

/** ValidatePodStatusUpdate: a /status write on a pod (the agent's and the scheduler's). */
export function validatePodStatusUpdate(errs: Causes, pod: JsonObject, old: JsonObject): void {
  const status = objectAt(errs, "status", pod.status) ?? {};
  const oldStatus = objOf(old.status) ?? {};
  const spec = objOf(pod.spec) ?? {};
  const oldSpec = objOf(old.spec) ?? {};
  if (spec.nodeName !== oldSpec.nodeName) errs.push(fieldForbidden("status.nodeName", "may not be changed directly"));
  const phase = stringAt(errs, "status.phase", status.phase);
  if (phase && !PHASES.includes(phase)) errs.push(fieldNotSupported("status.phase", phase, PHASES));
  if (typeof oldStatus.phase === "string" && TERMINAL_PHASES.has(oldStatus.phase) && phase !== oldStatus.phase) {
    errs.push(fieldForbidden("status.phase", `cannot transition from a terminal phase "${oldStatus.phase}" to "${phase ?? ""}"`));
  }
  for (const [c, p] of objectsAt(errs, "status.conditions", status.conditions)) {
    const t = stringAt(errs, child(p, "type"), c.type) ?? "";
    for (const msg of isQualifiedName(t)) errs.push(fieldInvalid(child(p, "type"), t, msg));
    const s = c.status;
    if (s !== "True" && s !== "False" && s !== "Unknown") errs.push(fieldNotSupported(child(p, "status"), s, ["False", "True", "Unknown"]));
  }
  const nominated = stringAt(errs, "status.nominatedNodeName", status.nominatedNodeName);
  if (nominated && nominated !== oldStatus.nominatedNodeName) {
    for (const msg of isDNS1123Subdomain(nominated)) errs.push(fieldInvalid("status.nominatedNodeName", nominated, msg));
  }
  validateIPs(errs, "status.podIPs", status.podIP, status.podIPs);
  validateIPs(errs, "status.hostIPs", status.hostIP, status.hostIPs);
  for (const f of ["podIP", "hostIP"]) {
    const ip = stringAt(errs, child("status", f), status[f]);
    if (ip) for (const msg of isValidIP(ip)) errs.push(fieldInvalid(child("status", f), ip, msg));
  }
  const policy = oldSpec.restartPolicy;
  validateContainerStateTransitions(errs, "status.containerStatuses", status.containerStatuses, oldStatus.containerStatuses, policy);
  validateContainerStateTransitions(errs, "status.initContainerStatuses", status.initContainerStatuses, oldStatus.initContainerStatuses, policy);
}
