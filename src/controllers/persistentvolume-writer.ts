// The binder's writes, behind an interface so its sync runs against fakes in unit tests. Each
// write names the resourceVersion it read: a binding made from a stale view fails with 409 and
// the sync is retried on fresh caches, so a volume is never handed to two claims.
import { isAlreadyExists, isConflict, isNotFound } from "../apis/errors.ts";
import {
  BIND_COMPLETED_ANNOTATION, BOUND_BY_CONTROLLER_ANNOTATION, type PersistentVolume, type PersistentVolumeClaim,
} from "../apis/core/persistentvolume.ts";
import type { KubeClient } from "../client/index.ts";
import { resourceFor } from "../client/index.ts";

const PVCS = resourceFor("PersistentVolumeClaim");
const PVS = resourceFor("PersistentVolume");

export interface VolumeWriter {
  bindVolume(pv: PersistentVolume, pvc: PersistentVolumeClaim): Promise<PersistentVolume>;
  volumeStatus(pv: PersistentVolume, status: NonNullable<PersistentVolume["status"]>): Promise<PersistentVolume>;
  bindClaim(pvc: PersistentVolumeClaim, pv: PersistentVolume): Promise<PersistentVolumeClaim>;
  claimStatus(pvc: PersistentVolumeClaim, status: NonNullable<PersistentVolumeClaim["status"]>): Promise<PersistentVolumeClaim>;
  annotateClaim(pvc: PersistentVolumeClaim, annotations: Record<string, string>): Promise<void>;
  createVolume(pv: PersistentVolume): Promise<void>;
  /** Asks the API, not the cache: whether the claim with this uid still exists. */
  claimExists(namespace: string, name: string, uid: string): Promise<boolean>;
}

export function kubeVolumeWriter(client: KubeClient): VolumeWriter {
  const rv = (o: { metadata: { resourceVersion?: string } }) => o.metadata.resourceVersion;
  return {
    async bindVolume(pv, pvc) {
      const { namespace, name, uid, resourceVersion } = pvc.metadata;
      const patch = {
        metadata: { resourceVersion: rv(pv), annotations: { [BOUND_BY_CONTROLLER_ANNOTATION]: "yes" } },
        spec: { claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace, name, uid, resourceVersion } },
      };
      return client.patch<PersistentVolume>(PVS, undefined, pv.metadata.name!, patch, "merge");
    },
    volumeStatus(pv, status) {
      return client.patch<PersistentVolume>(PVS, undefined, pv.metadata.name!, { metadata: { resourceVersion: rv(pv) }, status }, "merge", { subresource: "status" });
    },
    bindClaim(pvc, pv) {
      const annotations: Record<string, string> = { [BIND_COMPLETED_ANNOTATION]: "yes" };
      if (!pvc.spec?.volumeName) annotations[BOUND_BY_CONTROLLER_ANNOTATION] = "yes";
      const patch = { metadata: { resourceVersion: rv(pvc), annotations }, spec: { volumeName: pv.metadata.name } };
      return client.patch<PersistentVolumeClaim>(PVCS, pvc.metadata.namespace, pvc.metadata.name!, patch, "merge");
    },
    claimStatus(pvc, status) {
      const body = { metadata: { resourceVersion: rv(pvc) }, status };
      return client.patch<PersistentVolumeClaim>(PVCS, pvc.metadata.namespace, pvc.metadata.name!, body, "merge", { subresource: "status" });
    },
    async annotateClaim(pvc, annotations) {
      await client.patch(PVCS, pvc.metadata.namespace, pvc.metadata.name!, { metadata: { annotations } }, "merge");
    },
    async createVolume(pv) {
      await client.create(PVS, undefined, pv).catch((err) => {
        if (!(isConflict(err) || isAlreadyExists(err))) throw err;
      });
    },
    async claimExists(namespace, name, uid) {
      try {
        return (await client.get(PVCS, namespace, name)).metadata.uid === uid;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
  };
}
