// kube-scheduler's VolumeBinding plugin, in TypeScript in front of the wasm call. Why not in wasm:
// its inputs are claims, volumes and classes, which change rarely and are not node state; encoding
// them into the node table would cost every pod a bigger query for the few that use claims. So
// PreFilter decides here (missing or immediate unbound claims: the pod fits nowhere), Filter
// returns, per node, whether the pod's volumes can be there, and the scheduler turns the allowed
// nodes into a matchFields term of the query the wasm core filters and scores as usual.
import {
  LOCAL_PATH_DIR_ANNOTATION, SELECTED_NODE_ANNOTATION, type PersistentVolume, type PersistentVolumeClaim,
} from "../apis/core/persistentvolume.ts";
import type { KubeObject } from "../apis/meta.ts";
import { LOCAL_PATH_PROVISIONER, type StorageClass } from "../apis/storage/storageclass.ts";
import type { Lister } from "../client/index.ts";
import { classOf, findMatchingVolume, volumeFitsNode } from "../apis/core/persistentvolume-match.ts";
import { matchesNodeSelector, matchesTerm } from "./predicates.ts";
import type { PodQuery, Rejections } from "./types.ts";

export const REASON_VOLUME_NODE_CONFLICT = "node(s) had volume node affinity conflict";
export const REASON_NO_VOLUME_TO_BIND = "node(s) didn't find available persistent volumes to bind";
export const REASON_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims";

export interface VolumeListers {
  claims: Lister<PersistentVolumeClaim>;
  volumes: Lister<PersistentVolume>;
  classes: Lister<StorageClass>;
}

export interface PodVolumes {
  /** PreFilter's verdict: the pod fits no node, for this reason. */
  unschedulable?: string;
  /** Why `node` can't hold the pod's volumes, or undefined when it can. */
  filter?: (node: KubeObject) => string | undefined;
  /** WaitForFirstConsumer claims to annotate with the chosen node before binding the pod. */
  toProvision: PersistentVolumeClaim[];
}

const claimNames = (pod: KubeObject): string[] =>
  ((pod.spec as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } | undefined)?.volumes ?? []).flatMap((v) =>
    v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : [],
  );

export function podVolumes(pod: KubeObject, l: VolumeListers): PodVolumes {
  const names = claimNames(pod);
  if (!names.length) return { toProvision: [] };
  const ns = pod.metadata.namespace;
  const bound: PersistentVolume[] = [];
  const waiting: { pvc: PersistentVolumeClaim; sc: StorageClass }[] = [];
  for (const name of names) {
    const pvc = l.claims.get(ns, name);
    if (!pvc) return { unschedulable: `persistentvolumeclaim "${name}" not found`, toProvision: [] };
    if (pvc.metadata.deletionTimestamp) return { unschedulable: `persistentvolumeclaim "${name}" is being deleted`, toProvision: [] };
    const volumeName = pvc.spec?.volumeName;
    if (volumeName) {
      const pv = l.volumes.get(undefined, volumeName);
      if (!pv) return { unschedulable: `persistentvolume "${volumeName}" not found`, toProvision: [] };
      bound.push(pv);
      continue;
    }
    const sc = l.classes.get(undefined, classOf(pvc));
    if (sc?.volumeBindingMode !== "WaitForFirstConsumer") return { unschedulable: REASON_UNBOUND_IMMEDIATE, toProvision: [] };
    waiting.push({ pvc, sc });
  }
  const volumes = l.volumes.list();
  const filter = (node: KubeObject): string | undefined => {
    if (!bound.every((pv) => volumeFitsNode(pv, node))) return REASON_VOLUME_NODE_CONFLICT;
    for (const { pvc, sc } of waiting) {
      // A node chosen earlier for this claim (its volume may be on its way there) holds.
      const selected = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
      if (selected && selected !== node.metadata.name) return REASON_VOLUME_NODE_CONFLICT;
      if (findMatchingVolume(pvc, volumes, node)) continue;
      if (sc.provisioner === LOCAL_PATH_PROVISIONER && node.metadata.annotations?.[LOCAL_PATH_DIR_ANNOTATION]) continue;
      return REASON_NO_VOLUME_TO_BIND;
    }
    return undefined;
  };
  return { filter, toProvision: waiting.map((w) => w.pvc).filter((pvc) => !pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION]) };
}

export interface VolumeFiltered {
  /** The query narrowed to the nodes the volumes allow (matchFields metadata.name In ...). */
  query: PodQuery;
  allowed: number;
  /** The nodes the filter let through. */
  allowedNodes: KubeObject[];
  /** Per-reason counts of nodes rejected for their volumes that the pod's own selector and affinity accept. */
  rejections: Rejections;
}

/**
 * Runs the volume filter on every node. Nodes the pod's own nodeSelector/affinity already rejects
 * are left to that reason (NodeAffinity runs before VolumeBinding in kube-scheduler).
 */
export function filterByVolumes(query: PodQuery, nodes: readonly KubeObject[], filter: (node: KubeObject) => string | undefined): VolumeFiltered {
  const allowed: string[] = [];
  const allowedNodes: KubeObject[] = [];
  const rejections: Rejections = {};
  for (const node of nodes) {
    const name = node.metadata.name!;
    const reason = filter(node);
    if (!reason) {
      allowed.push(name);
      allowedNodes.push(node);
      continue;
    }
    const labels = node.metadata.labels ?? {};
    const ownFit = matchesNodeSelector(labels, query.nodeSelector) && (!query.requiredTerms || query.requiredTerms.some((t) => matchesTerm(name, labels, t)));
    if (ownFit) rejections[reason] = (rejections[reason] ?? 0) + 1;
  }
  const only = { key: "metadata.name", operator: "In" as const, values: allowed };
  const terms = query.requiredTerms ?? [{}];
  const requiredTerms = terms.map((t) => ({ ...t, matchFields: [...(t.matchFields ?? []), only] }));
  return { query: { ...query, requiredTerms }, allowed: allowed.length, allowedNodes, rejections };
}
