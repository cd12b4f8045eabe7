// Validation of a PodSpec, a Pod and a PodTemplateSpec, after pkg/apis/core/validation
// (ValidatePodSpec, ValidatePodCreate, ValidatePodTemplateSpec).
import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import {
  type Causes,
  type JsonObject,
  boolAt,
  child,
  intAt,
  objectAt,
  objectsAt,
  stringAt,
} from "../field.ts";
import { validateAnnotations, validateLabels } from "../metadata.ts";
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from "../validation.ts";
import { type ContainerContext, validateContainer, validateEnum } from "./container-validation.ts";
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from "./scheduling-validation.ts";

export const RESTART_POLICIES = ["Always", "OnFailure", "Never"];
const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];

// Each source's required reference, so a typo'd volume fails here and not on the node.
const VOLUME_REQUIRED: Record<string, string | undefined> = {
  hostPath: "path",
  secret: "secretName",
  persistentVolumeClaim: "claimName",
};

function validateVolumes(errs: Causes, path: string, v: unknown): Set<string> {
  const names = new Set<string>();
  for (const [vol, p] of objectsAt(errs, path, v)) {
    const name = stringAt(errs, child(p, "name"), vol.name);
    if (!name) errs.push(fieldRequired(child(p, "name")));
    else {
      for (const msg of isDNS1123Label(name)) errs.push(fieldInvalid(child(p, "name"), name, msg));
      if (names.has(name)) errs.push(fieldDuplicate(child(p, "name"), name));
      names.add(name);
    }
    const sources = Object.keys(vol).filter((k) => k !== "name" && vol[k] !== undefined && vol[k] !== null);
    if (sources.length === 0) errs.push(fieldRequired(p, "must specify a volume type"));
    for (const extra of sources.slice(1)) errs.push(fieldForbidden(child(p, extra), "may not specify more than 1 volume type"));
    for (const source of sources) {
      const src = objectAt(errs, child(p, source), vol[source]);
      const required = VOLUME_REQUIRED[source];
      if (src && required && !stringAt(errs, child(child(p, source), required), src[required])) errs.push(fieldRequired(child(child(p, source), required)));
    }
  }
  return names;
}

function validateNameField(errs: Causes, path: string, v: unknown, check: (s: string) => string[]): void {
  const s = stringAt(errs, path, v);
  if (s) for (const msg of check(s)) errs.push(fieldInvalid(path, s, msg));
}

/** ValidatePodSpec: the rules shared by pods and pod templates. */
export function validatePodSpec(errs: Causes, path: string, v: unknown): JsonObject | undefined {
  const spec = objectAt(errs, path, v);
  if (!spec) {
    if (v === undefined || v === null) errs.push(fieldRequired(child(path, "containers")));
    return undefined;
  }
  const volumes = validateVolumes(errs, child(path, "volumes"), spec.volumes);
  const ctx: ContainerContext = { volumes, names: new Set(), init: true };
  for (const [c, p] of objectsAt(errs, child(path, "initContainers"), spec.initContainers)) validateContainer(errs, p, c, ctx);
  ctx.init = false;
  const containers = objectsAt(errs, child(path, "containers"), spec.containers);
  if (containers.length === 0 && (spec.containers === undefined || Array.isArray(spec.containers))) errs.push(fieldRequired(child(path, "containers")));
  for (const [c, p] of containers) validateContainer(errs, p, c, ctx);

  validateEnum(errs, child(path, "restartPolicy"), spec.restartPolicy, RESTART_POLICIES);
  validateEnum(errs, child(path, "dnsPolicy"), spec.dnsPolicy, DNS_POLICIES, false);
  validateLabels(errs, child(path, "nodeSelector"), spec.nodeSelector);
  validateNameField(errs, child(path, "serviceAccountName"), spec.serviceAccountName, isDNS1123Subdomain);
  validateNameField(errs, child(path, "nodeName"), spec.nodeName, isDNS1123Subdomain);
  validateNameField(errs, child(path, "hostname"), spec.hostname, isDNS1123Label);
  validateNameField(errs, child(path, "subdomain"), spec.subdomain, isDNS1123Label);
  validateNameField(errs, child(path, "priorityClassName"), spec.priorityClassName, isDNS1123Subdomain);
  stringAt(errs, child(path, "schedulerName"), spec.schedulerName);
  for (const f of ["hostNetwork", "hostPID", "hostIPC", "enableServiceLinks", "automountServiceAccountToken", "shareProcessNamespace"]) boolAt(errs, child(path, f), spec[f]);
  intAt(errs, child(path, "terminationGracePeriodSeconds"), spec.terminationGracePeriodSeconds);
  intAt(errs, child(path, "priority"), spec.priority);
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== "PreemptLowerPriority" && spec.preemptionPolicy !== "Never") {
    errs.push(fieldNotSupported(child(path, "preemptionPolicy"), spec.preemptionPolicy, ["Never", "PreemptLowerPriority"]));
  }
  const deadline = intAt(errs, child(path, "activeDeadlineSeconds"), spec.activeDeadlineSeconds);
  if (deadline !== undefined && (deadline < 1 || deadline > 4294967295)) {
    errs.push(fieldInvalid(child(path, "activeDeadlineSeconds"), deadline, "must be between 1 and 4294967295, inclusive"));
  }
  objectAt(errs, child(path, "securityContext"), spec.securityContext);
  validateTolerations(errs, child(path, "tolerations"), spec.tolerations);
  validateAffinity(errs, child(path, "affinity"), spec.affinity);
  validateTopologySpreadConstraints(errs, child(path, "topologySpreadConstraints"), spec.topologySpreadConstraints);
  for (const [ref, p] of objectsAt(errs, child(path, "imagePullSecrets"), spec.imagePullSecrets)) {
    if (!stringAt(errs, child(p, "name"), ref.name)) errs.push(fieldRequired(child(p, "name")));
  }
  for (const [gate, p] of objectsAt(errs, child(path, "readinessGates"), spec.readinessGates)) {
    const t = stringAt(errs, child(p, "conditionType"), gate.conditionType) ?? "";
    for (const msg of isQualifiedName(t)) errs.push(fieldInvalid(child(p, "conditionType"), t, msg));
  }
  if (spec.hostNetwork === true) {
    for (const [c, cp] of containers) {
      for (const [port, pp] of objectsAt([], child(cp, "ports"), c.ports)) {
        if (port.hostPort && port.hostPort !== port.containerPort) {
          errs.push(fieldInvalid(child(pp, "containerPort"), port.containerPort, "must match `hostPort` when `hostNetwork` is true"));
        }
      }
    }
  }
  return spec;
}

/** ValidatePodTemplateSpec: the template's labels and annotations, then its spec. */
export function validatePodTemplateSpec(errs: Causes, path: string, v: unknown): JsonObject | undefined {
  const template = objectAt(errs, path, v);
  if (!template) {
    if (v === undefined || v === null) errs.push(fieldRequired(path));
    return undefined;
  }
  const meta = objectAt(errs, child(path, "metadata"), template.metadata);
  validateLabels(errs, child(path, "metadata.labels"), meta?.labels);
  validateAnnotations(errs, child(path, "metadata.annotations"), meta?.annotations);
  validatePodSpec(errs, child(path, "spec"), template.spec);
  return template;
}

/** Pod-only rules on top of the spec's. */
export function validatePod(errs: Causes, pod: JsonObject): void {
  validatePodSpec(errs, "spec", pod.spec);
}
