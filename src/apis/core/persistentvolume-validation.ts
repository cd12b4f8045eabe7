// PersistentVolume and PersistentVolumeClaim validation, after pkg/apis/core/validation. kubun
// backs volumes with host directories only: hostPath and local sources, Filesystem mode, the
// Retain and Delete reclaim policies. Every other source or mode is refused here, naming the
// field, rather than accepted and silently not honoured.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import {
  type Causes, type JsonObject, absent, child, fieldImmutable, jsonEqual, objOf, objectAt, objectsAt, stringAt, stringListAt,
} from "../field.ts";
import { validateLabelSelector } from "../metadata.ts";
import { isQuantity, isNegativeQuantity, parseQuantity } from "../quantity.ts";
import { isDNS1123Subdomain } from "../validation.ts";
import { ACCESS_MODES } from "./persistentvolume.ts";
import { validateNodeSelectorTerm } from "./scheduling-validation.ts";

/** The PersistentVolumeSource fields kubun serves; Kubernetes has many more (nfs, csi, iscsi ...). */
const VOLUME_SOURCES = ["hostPath", "local"];
const UNSUPPORTED_SOURCES = [
  "gcePersistentDisk", "awsElasticBlockStore", "nfs", "rbd", "iscsi", "cinder", "cephfs", "fc", "flocker", "flexVolume", "azureFile",
  "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos", "csi", "glusterfs",
];

function validateAccessModes(errs: Causes, path: string, v: unknown): void {
  const modes = stringListAt(errs, path, v);
  if (!modes?.length) {
    if (modes || absent(v)) errs.push(fieldRequired(path));
    return;
  }
  for (const m of modes) if (!ACCESS_MODES.includes(m as never)) errs.push(fieldNotSupported(path, m, [...ACCESS_MODES]));
  if (modes.includes("ReadWriteOncePod") && modes.length > 1) errs.push(fieldForbidden(path, "may not use ReadWriteOncePod with other access modes"));
}

function validateStorageQuantity(errs: Causes, path: string, v: unknown, required: boolean): void {
  if (absent(v)) {
    if (required) errs.push(fieldRequired(path));
    return;
  }
  if (!isQuantity(v)) return void errs.push(fieldInvalid(path, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
  if (isNegativeQuantity(v) || parseQuantity(v).num === 0n) errs.push(fieldInvalid(path, v, "must be greater than zero"));
}

function validateVolumeMode(errs: Causes, path: string, v: unknown): void {
  if (!absent(v) && v !== "Filesystem") errs.push(fieldNotSupported(path, v, ["Filesystem"]));
}

function validateStorageClassName(errs: Causes, path: string, v: unknown): void {
  const name = stringAt(errs, path, v);
  if (name) for (const msg of isDNS1123Subdomain(name)) errs.push(fieldInvalid(path, name, msg));
}

function validateAbsolutePath(errs: Causes, path: string, v: unknown): void {
  const p = stringAt(errs, path, v);
  if (!p) errs.push(fieldRequired(path));
  else if (!p.startsWith("/")) errs.push(fieldInvalid(path, p, "must be an absolute path"));
  else if (p.split("/").includes("..")) errs.push(fieldInvalid(path, p, "must not contain '..'"));
}

export function validatePersistentVolume(errs: Causes, pv: JsonObject): void {
  const spec = objectAt(errs, "spec", pv.spec);
  if (!spec) return void errs.push(fieldRequired("spec", "must specify a volume type"));
  validateAccessModes(errs, "spec.accessModes", spec.accessModes);
  const capacity = objectAt(errs, "spec.capacity", spec.capacity);
  if (!capacity) errs.push(fieldRequired("spec.capacity"));
  else {
    for (const k of Object.keys(capacity)) if (k !== "storage") errs.push(fieldNotSupported(`spec.capacity[${k}]`, k, ["storage"]));
    validateStorageQuantity(errs, "spec.capacity[storage]", capacity.storage, true);
  }
  const policy = spec.persistentVolumeReclaimPolicy;
  if (!absent(policy) && policy !== "Retain" && policy !== "Delete") errs.push(fieldNotSupported("spec.persistentVolumeReclaimPolicy", policy, ["Delete", "Retain"]));
  validateStorageClassName(errs, "spec.storageClassName", spec.storageClassName);
  validateVolumeMode(errs, "spec.volumeMode", spec.volumeMode);
  for (const f of ["mountOptions", "volumeAttributesClassName"]) {
    if (!absent(spec[f])) errs.push(fieldForbidden(child("spec", f), "not supported by kubun's hostPath and local volumes"));
  }
  for (const f of UNSUPPORTED_SOURCES) {
    if (!absent(spec[f])) errs.push(fieldForbidden(child("spec", f), `volume type not supported by kubun (supported: ${VOLUME_SOURCES.join(", ")})`));
  }
  const sources = VOLUME_SOURCES.filter((f) => !absent(spec[f]));
  if (sources.length === 0 && !UNSUPPORTED_SOURCES.some((f) => !absent(spec[f]))) errs.push(fieldRequired("spec", "must specify a volume type"));
  if (sources.length > 1) errs.push(fieldForbidden(child("spec", sources[1]!), "may not specify more than 1 volume type"));
  const hostPath = objectAt(errs, "spec.hostPath", spec.hostPath);
  if (hostPath) {
    validateAbsolutePath(errs, "spec.hostPath.path", hostPath.path);
    const types = ["", "DirectoryOrCreate", "Directory"];
    if (!absent(hostPath.type) && !types.includes(hostPath.type as string)) errs.push(fieldNotSupported("spec.hostPath.type", hostPath.type, types));
  }
  const local = objectAt(errs, "spec.local", spec.local);
  if (local) {
    validateAbsolutePath(errs, "spec.local.path", local.path);
    if (!absent(local.fsType)) errs.push(fieldForbidden("spec.local.fsType", "only Filesystem volumes of an existing directory are supported"));
    if (absent(spec.nodeAffinity)) errs.push(fieldRequired("spec.nodeAffinity", "Local volume requires node affinity"));
  }
  const affinity = objectAt(errs, "spec.nodeAffinity", spec.nodeAffinity);
  if (affinity) {
    const required = objectAt(errs, "spec.nodeAffinity.required", affinity.required);
    if (!required) errs.push(fieldRequired("spec.nodeAffinity.required", "must specify required node constraints"));
    else {
      const terms = objectsAt(errs, "spec.nodeAffinity.required.nodeSelectorTerms", required.nodeSelectorTerms);
      if (!terms.length) errs.push(fieldRequired("spec.nodeAffinity.required.nodeSelectorTerms", "must have at least one node selector term"));
      for (const [term, p] of terms) validateNodeSelectorTerm(errs, p, term);
    }
  }
  const claimRef = objectAt(errs, "spec.claimRef", spec.claimRef);
  if (claimRef) {
    if (!stringAt(errs, "spec.claimRef.name", claimRef.name)) errs.push(fieldRequired("spec.claimRef.name"));
    if (!stringAt(errs, "spec.claimRef.namespace", claimRef.namespace)) errs.push(fieldRequired("spec.claimRef.namespace"));
  }
}

export function validatePersistentVolumeUpdate(errs: Causes, pv: JsonObject, old: JsonObject): void {
  const spec = objOf(pv.spec) ?? {};
  const oldSpec = objOf(old.spec) ?? {};
  for (const f of [...VOLUME_SOURCES, "volumeMode"]) {
    if (!jsonEqual(spec[f], oldSpec[f])) errs.push(fieldImmutable(child("spec", f), spec[f] ?? null));
  }
  if (!absent(oldSpec.nodeAffinity) && !jsonEqual(spec.nodeAffinity, oldSpec.nodeAffinity)) errs.push(fieldImmutable("spec.nodeAffinity", spec.nodeAffinity ?? null));
}

export function validatePersistentVolumeStatus(errs: Causes, pv: JsonObject): void {
  const phase = objOf(pv.status)?.phase;
  const phases = ["Pending", "Available", "Bound", "Released", "Failed"];
  if (!absent(phase) && !phases.includes(phase as string)) errs.push(fieldNotSupported("status.phase", phase, phases));
}

export function validatePersistentVolumeClaim(errs: Causes, pvc: JsonObject): void {
  const spec = objectAt(errs, "spec", pvc.spec);
  if (!spec) return void errs.push(fieldRequired("spec.accessModes"), fieldRequired("spec.resources[storage]"));
  validateAccessModes(errs, "spec.accessModes", spec.accessModes);
  validateLabelSelector(errs, "spec.selector", spec.selector);
  const resources = objectAt(errs, "spec.resources", spec.resources);
  const requests = objectAt(errs, "spec.resources.requests", resources?.requests);
  validateStorageQuantity(errs, "spec.resources[storage]", requests?.storage, true);
  const limits = objectAt(errs, "spec.resources.limits", resources?.limits);
  validateStorageQuantity(errs, "spec.resources.limits[storage]", limits?.storage, false);
  validateStorageClassName(errs, "spec.storageClassName", spec.storageClassName);
  stringAt(errs, "spec.volumeName", spec.volumeName);
  validateVolumeMode(errs, "spec.volumeMode", spec.volumeMode);
  for (const f of ["dataSource", "dataSourceRef", "volumeAttributesClassName"]) {
    if (!absent(spec[f])) errs.push(fieldForbidden(child("spec", f), "not supported by kubun (volumes start empty)"));
  }
}

/**
 * A claim's spec is fixed once created (kubun does not expand volumes), except that the binder
 * fills volumeName in, and a claim without a class may be given one (as Kubernetes allows).
 */
export function validatePersistentVolumeClaimUpdate(errs: Causes, pvc: JsonObject, old: JsonObject): void {
  const spec = { ...(objOf(pvc.spec) ?? {}) };
  const oldSpec = { ...(objOf(old.spec) ?? {}) };
  if (absent(oldSpec.volumeName)) delete spec.volumeName, delete oldSpec.volumeName;
  if (absent(oldSpec.storageClassName)) delete spec.storageClassName, delete oldSpec.storageClassName;
  if (!jsonEqual(spec, oldSpec)) {
    errs.push(fieldForbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims (kubun does not expand volumes)"));
  }
}

export function validatePersistentVolumeClaimStatus(errs: Causes, pvc: JsonObject): void {
  const status = objOf(pvc.status);
  const phases = ["Pending", "Bound", "Lost"];
  if (!absent(status?.phase) && !phases.includes(status!.phase as string)) errs.push(fieldNotSupported("status.phase", status!.phase, phases));
  if (status) validateAccessModes([], "status.accessModes", status.accessModes);
}
