// Which volume a claim binds to (pkg/controller/volume/persistentvolume/index.go findBestMatch):
// pure functions over the cached volumes, shared by the binder and the scheduler's volume filter.
import {
  LOCAL_PATH_DIR_ANNOTATION, PROVISIONED_BY_ANNOTATION, type PersistentVolume, type PersistentVolumeClaim,
} from "./persistentvolume.ts";
import type { KubeObject } from "../meta.ts";
import { compareQuantities } from "../quantity.ts";
import { selectorMatches } from "../selector.ts";
import type { StorageClass } from "../storage/storageclass.ts";
import { matchesTerm } from "./node-affinity.ts";
import type { NodeSelectorTerm } from "./scheduling.ts";

/** "" and unset both mean "no class" for matching. */
export const classOf = (o: { spec?: { storageClassName?: string } }) => o.spec?.storageClassName ?? "";

/** Whether the volume's nodeAffinity lets it be used on `node` (a volume without one goes anywhere). */
export function volumeFitsNode(pv: PersistentVolume, node: KubeObject): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms as NodeSelectorTerm[] | undefined;
  if (!terms?.length) return true;
  return terms.some((t) => matchesTerm(node.metadata.name ?? "", node.metadata.labels ?? {}, t));
}

const preBoundTo = (pv: PersistentVolume, pvc: PersistentVolumeClaim) => {
  const ref = pv.spec?.claimRef;
  return !!ref && ref.name === pvc.metadata.name && ref.namespace === pvc.metadata.namespace && (!ref.uid || ref.uid === pvc.metadata.uid);
};

/** The volume a claim may bind to, if any: pre-bound volumes first, then the smallest that fits. */
export function findMatchingVolume(pvc: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node?: KubeObject): PersistentVolume | undefined {
  const request = pvc.spec?.resources?.requests?.storage ?? "0";
  const modes = pvc.spec?.accessModes ?? [];
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (pv.metadata.deletionTimestamp || pv.status?.phase === "Released" || pv.status?.phase === "Failed") continue;
    if (pv.spec?.claimRef && !preBoundTo(pv, pvc)) continue;
    if (pvc.spec?.volumeName && pvc.spec.volumeName !== pv.metadata.name) continue;
    if (classOf(pv) !== classOf(pvc)) continue;
    if ((pv.spec?.volumeMode ?? "Filesystem") !== (pvc.spec?.volumeMode ?? "Filesystem")) continue;
    if (!modes.every((m) => pv.spec?.accessModes?.includes(m))) continue;
    const capacity = pv.spec?.capacity?.storage;
    if (capacity === undefined || compareQuantities(capacity, request) < 0) continue;
    if (pvc.spec?.selector && !selectorMatches(pvc.spec.selector, pv.metadata.labels)) continue;
    if (node && !volumeFitsNode(pv, node)) continue;
    if (preBoundTo(pv, pvc)) return pv;
    if (!best || compareQuantities(capacity, best.spec!.capacity!.storage!) < 0) best = pv;
  }
  return best;
}

/** A new volume of the local-path provisioner for `pvc` on `node`, or why there can't be one. */
export function localPathVolume(pvc: PersistentVolumeClaim, sc: StorageClass, node: KubeObject): PersistentVolume | string {
  const dir = node.metadata.annotations?.[LOCAL_PATH_DIR_ANNOTATION];
  if (!dir) return `node "${node.metadata.name}" has no local-path directory (annotation ${LOCAL_PATH_DIR_ANNOTATION}): is its agent running?`;
  const name = `pvc-${pvc.metadata.uid}`;
  const { namespace, name: claimName, uid } = pvc.metadata;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: sc.provisioner } },
    spec: {
      capacity: { storage: pvc.spec?.resources?.requests?.storage },
      accessModes: pvc.spec?.accessModes,
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? "Delete",
      storageClassName: sc.metadata.name,
      volumeMode: "Filesystem",
      // k3s's layout: <dir>/<pv>_<namespace>_<claim>; the agent makes it at first mount.
      hostPath: { path: `${dir}/${name}_${namespace}_${claimName}`, type: "DirectoryOrCreate" },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node.metadata.labels?.["kubernetes.io/hostname"] ?? node.metadata.name!] }] }] } },
      claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace, name: claimName, uid },
    },
  };
}
