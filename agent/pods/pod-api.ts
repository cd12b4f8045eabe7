// What pod workers need from the API server, behind an interface so unit tests can fake it.
import { isConflict, isNotFound } from "../../src/apis/errors.ts";
import type { ConfigMap, Pod, PodStatus, Secret } from "../../src/apis/index.ts";
import { resourceFor, type KubeClient } from "../../src/client/index.ts";
import type { PersistentVolume, PersistentVolumeClaim } from "../../src/apis/core/persistentvolume.ts";
import type { ObjectSource } from "./env.ts";
import { KUBELET_CONDITIONS } from "./status.ts";

export interface PodApi extends ObjectSource {
  /** Replaces the pod's status; resolves false when the pod no longer exists. */
  patchStatus(pod: Pod, status: PodStatus): Promise<boolean>;
  /** Removes the pod object once its containers are gone (DELETE with grace 0, same uid). */
  confirmDeletion(pod: Pod): Promise<void>;
}

const PODS = resourceFor("Pod");
const CONFIGMAPS = resourceFor("ConfigMap");
const SECRETS = resourceFor("Secret");

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

// Tokens for pods live a year, as kube-apiserver extends kubelet-requested ones; a restarted container gets a fresh one.
const POD_TOKEN_SECONDS = 365 * 24 * 3600;

export function kubePodApi(client: KubeClient, caCert = ""): PodApi {
  return {
    async serviceAccountToken(pod) {
      const sa = pod.spec?.serviceAccountName || "default";
      const req = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: POD_TOKEN_SECONDS, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: pod.metadata.name, uid: pod.metadata.uid } } };
      const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? "default")}/serviceaccounts/${encodeURIComponent(sa)}/token`;
      const res = await orNull(client.request<{ status?: { token?: string } }>("POST", path, { body: req }));
      return res?.status?.token ? { token: res.status.token, caCert } : null;
    },
    configMap: (ns, name) => orNull(client.get<ConfigMap>(CONFIGMAPS, ns, name)),
    secret: (ns, name) => orNull(client.get<Secret>(SECRETS, ns, name)),
    persistentVolumeClaim: (ns, name) => orNull(client.get<PersistentVolumeClaim>(resourceFor("PersistentVolumeClaim"), ns, name)),
    persistentVolume: (name) => orNull(client.get<PersistentVolume>(resourceFor("PersistentVolume"), undefined, name)),
    async patchStatus(pod, status) {
      try {
        // A strategic merge patch, as kubelet sends: conditions merge by type and only the
        // agent's own are sent, so those of other writers (readiness gates, DisruptionTarget)
        // stay as the server has them; a reason or message that no longer applies is removed
        // explicitly (null). containerStatuses has no merge key and is replaced whole.
        const conditions = status.conditions?.filter((c) => KUBELET_CONDITIONS.has(c.type)).map((c) => ({ reason: null, message: null, ...c }));
        const body = { metadata: { uid: pod.metadata.uid }, status: { ...status, ...(conditions && { conditions }) } };
        await client.patch(PODS, pod.metadata.namespace, pod.metadata.name!, body, "strategic", { subresource: "status" });
        return true;
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) return false;
        throw err;
      }
    },
    async confirmDeletion(pod) {
      try {
        await client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    },
  };
}
