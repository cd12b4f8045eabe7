// core/v1 PersistentVolume and PersistentVolumeClaim: types, defaults and the `kubectl get pv,pvc`
// columns (pkg/printers/internalversion). Validation is in persistentvolume-validation.ts.
import { objOf } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import type { LabelSelector } from "../selector.ts";
import { type Printer, age, column, wide } from "../table.ts";
import type { Quantity } from "./container.ts";
import type { NodeSelector } from "./scheduling.ts";
import type { ObjectReference } from "./pod.ts";
import type { HostPathVolumeSource } from "./volume.ts";

export type PersistentVolumeAccessMode = "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod";
export const ACCESS_MODES: readonly PersistentVolumeAccessMode[] = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

/** The finalizers the StorageObjectInUseProtection admission puts on every claim and volume. */
export const PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection";
export const PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection";
/** Set on a WaitForFirstConsumer claim by the scheduler: the node its volume must live on. */
export const SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node";
/** Set on a dynamically provisioned volume: which provisioner made it (and so must delete it). */
export const PROVISIONED_BY_ANNOTATION = "pv.kubernetes.io/provisioned-by";
export const BIND_COMPLETED_ANNOTATION = "pv.kubernetes.io/bind-completed";
export const BOUND_BY_CONTROLLER_ANNOTATION = "pv.kubernetes.io/bound-by-controller";
/** Set on a claim the binder wants provisioned: who is expected to provision it. */
/** On a Node: the directory its agent keeps local-path volumes in (k3s's /var/lib/rancher/k3s/storage). */
export const LOCAL_PATH_DIR_ANNOTATION = "kubun.io/local-path-dir";
export const STORAGE_PROVISIONER_ANNOTATION = "volume.kubernetes.io/storage-provisioner";

export interface PersistentVolumeSpec {
  capacity?: { storage?: Quantity };
  accessModes?: PersistentVolumeAccessMode[];
  persistentVolumeReclaimPolicy?: "Retain" | "Delete";
  storageClassName?: string;
  volumeMode?: "Filesystem";
  claimRef?: ObjectReference;
  nodeAffinity?: { required?: NodeSelector };
  hostPath?: HostPathVolumeSource;
  local?: { path: string; fsType?: string };
}

export interface PersistentVolume extends KubeObject {
  apiVersion?: "v1";
  kind?: "PersistentVolume";
  spec?: PersistentVolumeSpec;
  status?: { phase?: "Pending" | "Available" | "Bound" | "Released" | "Failed"; message?: string; reason?: string; lastPhaseTransitionTime?: string };
}

export interface PersistentVolumeClaimSpec {
  accessModes?: PersistentVolumeAccessMode[];
  resources?: { requests?: { storage?: Quantity }; limits?: { storage?: Quantity } };
  selector?: LabelSelector;
  storageClassName?: string;
  volumeName?: string;
  volumeMode?: "Filesystem";
}

export interface PersistentVolumeClaim extends KubeObject {
  apiVersion?: "v1";
  kind?: "PersistentVolumeClaim";
  spec?: PersistentVolumeClaimSpec;
  status?: {
    phase?: "Pending" | "Bound" | "Lost";
    accessModes?: PersistentVolumeAccessMode[];
    capacity?: { storage?: Quantity };
  };
}

/** The host directory a volume of kubun's kinds is backed by. */
export const volumeHostPath = (pv: PersistentVolume): string | undefined => pv.spec?.hostPath?.path ?? pv.spec?.local?.path;

/** The node a released local-path volume (to be deleted by that node's agent) lives on, if it is one. */
export function localPathVolumeNode(pv: KubeObject): string | undefined {
  const v = pv as PersistentVolume;
  if (v.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] !== "kubun.io/local-path" || v.status?.phase !== "Released") return undefined;
  const terms = v.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  const req = terms[0]?.matchExpressions?.find((e) => e.key === "kubernetes.io/hostname" && e.operator === "In");
  return terms.length === 1 && req?.values?.length === 1 ? req.values[0] : undefined;
}

export function defaultPersistentVolume(pv: PersistentVolume): void {
  const spec = objOf(pv.spec);
  if (!spec) return;
  spec.persistentVolumeReclaimPolicy ??= "Retain";
  spec.volumeMode ??= "Filesystem";
  const hostPath = objOf(spec.hostPath);
  if (hostPath) hostPath.type ??= "";
}

export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): void {
  const spec = objOf(pvc.spec);
  if (!spec) return;
  spec.volumeMode ??= "Filesystem";
}

const MODE_ABBREVIATIONS: Record<string, string> = { ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" };

/** "RWO,ROX" as kubectl prints access modes (helper.GetAccessModesAsString, in its fixed order). */
export function accessModesString(modes: readonly string[] | undefined): string {
  return ACCESS_MODES.filter((m) => modes?.includes(m))
    .map((m) => MODE_ABBREVIATIONS[m])
    .join(",");
}

export const persistentVolumePrinter: Printer<PersistentVolume> = {
  columns: [
    column("Name"),
    column("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
    column("Access Modes", "accessModes contains all ways the volume can be mounted."),
    column("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
    column("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
    column("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
    column("StorageClass", "storageClassName is the name of StorageClass to which this persistent volume belongs."),
    column("VolumeAttributesClass", "Name of VolumeAttributesClass to which this persistent volume belongs."),
    column("Reason", "reason is a brief CamelCase string that describes any failure."),
    column("Age"),
    wide("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state."),
  ],
  cells(pv, now) {
    const ref = pv.spec?.claimRef;
    return [
      pv.metadata.name ?? "",
      pv.spec?.capacity?.storage ?? "",
      accessModesString(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? "",
      pv.metadata.deletionTimestamp ? "Terminating" : (pv.status?.phase ?? ""),
      ref ? `${ref.namespace}/${ref.name}` : "",
      pv.spec?.storageClassName ?? "",
      "<unset>",
      pv.status?.reason ?? "",
      age(pv, now),
      pv.spec?.volumeMode ?? "Filesystem",
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer<PersistentVolumeClaim> = {
  columns: [
    column("Name"),
    column("Status", "phase represents the current phase of PersistentVolumeClaim."),
    column("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
    column("Capacity", "capacity represents the actual resources of the underlying volume."),
    column("Access Modes", "accessModes contains the desired access modes the volume should have."),
    column("StorageClass", "storageClassName is the name of the StorageClass required by the claim."),
    column("VolumeAttributesClass", "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
    column("Age"),
    wide("VolumeMode", "volumeMode defines what type of volume is required by the claim."),
  ],
  cells(pvc, now) {
    const bound = pvc.status?.phase === "Bound";
    return [
      pvc.metadata.name ?? "",
      pvc.metadata.deletionTimestamp ? "Terminating" : (pvc.status?.phase ?? ""),
      pvc.spec?.volumeName ?? "",
      bound ? (pvc.status?.capacity?.storage ?? "") : "",
      bound ? accessModesString(pvc.status?.accessModes) : "",
      pvc.spec?.storageClassName ?? "",
      "<unset>",
      age(pvc, now),
      pvc.spec?.volumeMode ?? "Filesystem",
    ];
  },
};
