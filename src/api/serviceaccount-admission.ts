// The image pull secrets part of kube-apiserver's ServiceAccount admission plugin: a pod created
// without imagePullSecrets gets those of its ServiceAccount, so the node pulls with them (kubelet
// reads only the pod's list, and the node authorizer lets a node read only the secrets its pods
// name). A missing ServiceAccount is left alone here: its token request fails at the node instead.
import { findResource, storeKey, type ResourceInfo } from "../apis/registry.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { ServiceAccount } from "../apis/core/serviceaccount.ts";
import type { Store } from "../store/index.ts";
import type { AdmitWrite } from "./admit-write.ts";

const SERVICE_ACCOUNTS = findResource("", "v1", "serviceaccounts")!;

export function serviceAccountAdmission(r: ResourceInfo, store: Store | undefined): AdmitWrite | undefined {
  if (!store || r.group || r.kind !== "Pod") return undefined;
  return (obj, old) => {
    if (old) return; // imagePullSecrets never change after create
    const pod = obj as Pod;
    if (!pod.spec || pod.spec.imagePullSecrets?.length) return;
    const name = pod.spec.serviceAccountName || "default";
    const sa = store.get(storeKey(SERVICE_ACCOUNTS, pod.metadata.namespace, name))?.object as ServiceAccount | undefined;
    const secrets = sa?.imagePullSecrets?.filter((s) => s.name);
    if (secrets?.length) pod.spec.imagePullSecrets = secrets.map((s) => ({ name: s.name }));
  };
}
