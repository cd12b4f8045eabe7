// The StatefulSet controller's writes (kube's StatefulPodControl), with the events kube records.
import { isAlreadyExists, isConflict, isNotFound } from "../apis/errors.ts";
import type { StatefulSet, StatefulSetStatus } from "../apis/apps/statefulset.ts";
import type { PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { KubeClient } from "../client/index.ts";
import { resourceFor } from "../client/index.ts";
import type { EventRecorder } from "../client/index.ts";

const PODS = resourceFor("Pod");
const PVCS = resourceFor("PersistentVolumeClaim");
const STS = resourceFor("StatefulSet");

export interface StatefulPodControl {
  createPod(set: StatefulSet, pod: Pod): Promise<void>;
  deletePod(set: StatefulSet, pod: Pod): Promise<void>;
  createClaim(set: StatefulSet, claim: PersistentVolumeClaim, pod: string): Promise<void>;
  deleteClaim(set: StatefulSet, claim: PersistentVolumeClaim): Promise<void>;
  writeStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void>;
}

export function kubeStatefulPodControl(client: KubeClient, recorder: EventRecorder): StatefulPodControl {
  const name = (set: StatefulSet) => set.metadata.name;
  const ok = (set: StatefulSet, verb: string, what: string) => recorder.event(set, "Normal", `Successful${verb[0]!.toUpperCase()}${verb.slice(1)}`, `${verb} ${what} in StatefulSet ${name(set)} successful`);
  const fail = (set: StatefulSet, verb: string, what: string, err: unknown) =>
    recorder.event(set, "Warning", `Failed${verb[0]!.toUpperCase()}${verb.slice(1)}`, `${verb} ${what} in StatefulSet ${name(set)} failed error: ${(err as Error).message}`);
  return {
    async createPod(set, pod) {
      try {
        await client.create(PODS, set.metadata.namespace, pod);
        ok(set, "create", `Pod ${pod.metadata.name}`);
      } catch (err) {
        // Already there (a lagging cache): the next sync sees it.
        if ((isConflict(err) || isAlreadyExists(err))) return;
        fail(set, "create", `Pod ${pod.metadata.name}`, err);
        throw err;
      }
    },
    async deletePod(set, pod) {
      try {
        await client.delete(PODS, set.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
        ok(set, "delete", `Pod ${pod.metadata.name}`);
      } catch (err) {
        if (isNotFound(err)) return;
        fail(set, "delete", `Pod ${pod.metadata.name}`, err);
        throw err;
      }
    },
    async createClaim(set, claim, pod) {
      try {
        await client.create(PVCS, set.metadata.namespace, claim);
        recorder.event(set, "Normal", "SuccessfulCreate", `create Claim ${claim.metadata.name} Pod ${pod} in StatefulSet ${name(set)} success`);
      } catch (err) {
        if ((isConflict(err) || isAlreadyExists(err))) return;
        recorder.event(set, "Warning", "FailedCreate", `create Claim ${claim.metadata.name} for Pod ${pod} in StatefulSet ${name(set)} failed error: ${(err as Error).message}`);
        throw err;
      }
    },
    async deleteClaim(set, claim) {
      try {
        await client.delete(PVCS, set.metadata.namespace, claim.metadata.name!, { preconditions: { uid: claim.metadata.uid } });
        ok(set, "delete", `Claim ${claim.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async writeStatus(set, status) {
      await client.patch(STS, set.metadata.namespace, set.metadata.name!, { status }, "merge", { subresource: "status" });
    },
  };
}
