// storage.k8s.io/v1 StorageClass: types, defaults, validation and `kubectl get sc` columns.
// kubun provisions with its built-in local-path provisioner only; a class naming another
// provisioner would never get volumes, so it is refused rather than left waiting forever.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, absent, boolAt, fieldImmutable, jsonEqual, stringAt, stringMapAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";
import { isQualifiedName } from "../validation.ts";

export const LOCAL_PATH_PROVISIONER = "kubun.io/local-path";
/** Classes of pre-made volumes (local PVs by hand): the binder only binds, nothing provisions. */
export const NO_PROVISIONER = "kubernetes.io/no-provisioner";
export const PROVISIONERS = [LOCAL_PATH_PROVISIONER, NO_PROVISIONER];
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
export const BETA_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class";

export interface StorageClass extends KubeObject {
  apiVersion?: "storage.k8s.io/v1";
  kind?: "StorageClass";
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: "Retain" | "Delete";
  volumeBindingMode?: "Immediate" | "WaitForFirstConsumer";
  allowVolumeExpansion?: boolean;
}

export const isDefaultClass = (sc: KubeObject) =>
  sc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true" || sc.metadata.annotations?.[BETA_DEFAULT_CLASS_ANNOTATION] === "true";

export function defaultStorageClass(sc: StorageClass): void {
  sc.reclaimPolicy ??= "Delete";
  sc.volumeBindingMode ??= "Immediate";
}

export function validateStorageClass(errs: Causes, sc: JsonObject): void {
  const provisioner = stringAt(errs, "provisioner", sc.provisioner);
  if (!provisioner) errs.push(fieldRequired("provisioner"));
  else {
    for (const msg of isQualifiedName(provisioner.toLowerCase())) errs.push(fieldInvalid("provisioner", provisioner, msg));
    if (!PROVISIONERS.includes(provisioner)) errs.push(fieldNotSupported("provisioner", provisioner, PROVISIONERS));
  }
  const params = stringMapAt(errs, "parameters", sc.parameters);
  // The local-path provisioner takes no parameters: the directory comes from the node's agent.
  for (const k of Object.keys(params ?? {})) errs.push(fieldForbidden(`parameters[${k}]`, `not a parameter of ${provisioner}`));
  if (!absent(sc.reclaimPolicy) && sc.reclaimPolicy !== "Retain" && sc.reclaimPolicy !== "Delete") {
    errs.push(fieldNotSupported("reclaimPolicy", sc.reclaimPolicy, ["Delete", "Retain"]));
  }
  const modes = ["Immediate", "WaitForFirstConsumer"];
  if (!absent(sc.volumeBindingMode) && !modes.includes(sc.volumeBindingMode as string)) errs.push(fieldNotSupported("volumeBindingMode", sc.volumeBindingMode, modes));
  if (boolAt(errs, "allowVolumeExpansion", sc.allowVolumeExpansion)) errs.push(fieldForbidden("allowVolumeExpansion", "kubun does not expand volumes"));
  for (const f of ["mountOptions", "allowedTopologies"]) if (!absent(sc[f])) errs.push(fieldForbidden(f, "not supported by kubun's provisioners"));
}

export function validateStorageClassUpdate(errs: Causes, sc: JsonObject, old: JsonObject): void {
  for (const f of ["provisioner", "parameters", "reclaimPolicy"]) {
    if (!jsonEqual(sc[f], old[f])) errs.push(fieldForbidden(f, `updates to ${f} are forbidden.`));
  }
  if (!jsonEqual(sc.volumeBindingMode, old.volumeBindingMode)) errs.push(fieldImmutable("volumeBindingMode", sc.volumeBindingMode ?? null));
}

export const storageClassPrinter: Printer<StorageClass> = {
  columns: [
    column("Name"),
    column("Provisioner", "provisioner indicates the type of the provisioner."),
    column("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
    column("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
    column("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand.", { type: "boolean" }),
    column("Age"),
  ],
  cells(sc, now) {
    const name = sc.metadata.name ?? "";
    return [
      isDefaultClass(sc) ? `${name} (default)` : name,
      sc.provisioner,
      sc.reclaimPolicy ?? "Delete",
      sc.volumeBindingMode ?? "Immediate",
      sc.allowVolumeExpansion ?? false,
      age(sc, now),
    ];
  },
};
