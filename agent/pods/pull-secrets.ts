// The registry credentials of one image pull: the pod's imagePullSecrets read through the API
// (the node authorizer lets a node read only those of pods bound to it) into kubelet's keyring,
// which picks the ones that match the image. The ServiceAccount's pull secrets were copied into
// the pod when it was created (ServiceAccount admission), as upstream. A missing secret is told in
// kubelet's FailedToRetrieveImagePullSecret event and the pull goes on without it.
import type { Pod } from "../../src/apis/index.ts";
import type { AuthConfig } from "../cri/index.ts";
import { keyringOf } from "../images/index.ts";
import type { ObjectSource } from "./env.ts";
import type { PodEvent } from "./image-puller.ts";

export async function pullCredentials(pod: Pod, image: string, api: Pick<ObjectSource, "secret">, event: PodEvent): Promise<AuthConfig[]> {
  const names = (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? "").filter(Boolean);
  if (!names.length) return [];
  const ns = pod.metadata.namespace ?? "default";
  const found = await Promise.all(names.map((n) => api.secret(ns, n).catch(() => null)));
  const missing = names.filter((_, i) => !found[i]);
  if (missing.length) {
    event("Warning", "FailedToRetrieveImagePullSecret", `Unable to retrieve some image pull secrets (${missing.join(", ")}); attempting to pull the image may not succeed.`);
  }
  return keyringOf(found.filter((s) => s !== null)).lookup(image);
}
