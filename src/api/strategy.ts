// Per-kind rules of the generic registry (kube-apiserver's "strategies"): what a create resets,
// what an update may change, and how long a delete waits.
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import { retainAllocatedServiceFields } from "../apis/index.ts";
import { dropTypeDependentFields } from "./service-allocator.ts";
import { jsonCopy } from "./json-copy.ts";

type Obj = Record<string, any>;

const hasStatusSubresource = (r: ResourceInfo) => r.subresources.some((s) => s.name === "status");

/** Status a new object starts with: clients don't get to write status on create, except a node's own. */
export function prepareForCreate(r: ResourceInfo, obj: KubeObject): void {
  const o = obj as Obj;
  switch (r.kind) {
    case "Pod":
      o.status = { phase: "Pending" }; // defaulting adds qosClass
      break;
    case "Deployment":
    case "ReplicaSet":
    case "ResourceQuota": // the quota controller fills status.hard and status.used
      o.status = {};
      break;
    case "Service":
      o.status = { loadBalancer: {} };
      break;
    case "Namespace":
      o.status = { phase: "Active" };
      break;
  }
  if (o.spec !== undefined) obj.metadata.generation = 1;
}

/**
 * Merges an update into the current object: writes to the main resource keep the current
 * status, writes to /status keep everything but the status.
 */
export function prepareForUpdate(r: ResourceInfo, next: KubeObject, current: KubeObject, subresource?: string): KubeObject {
  if (subresource === "status") {
    return { ...jsonCopy(current), status: jsonCopy((next as Obj).status) };
  }
  const merged = next as Obj;
  // Binding sets spec.nodeName and the PodScheduled condition together.
  if (hasStatusSubresource(r) && r.kind !== "Namespace" && subresource !== "binding") merged.status = jsonCopy((current as Obj).status);
  // A manifest without the allocated clusterIP/nodePorts means "keep them", as in Kubernetes.
  if (r.kind === "Service") {
    retainAllocatedServiceFields(merged, current as Obj);
    dropTypeDependentFields(merged as KubeObject, current);
  }
  const m = merged.metadata;
  const c = current.metadata;
  m.uid = c.uid;
  m.creationTimestamp = c.creationTimestamp;
  m.deletionTimestamp = c.deletionTimestamp;
  m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
  if (m.deletionTimestamp === undefined) delete m.deletionTimestamp;
  if (m.deletionGracePeriodSeconds === undefined) delete m.deletionGracePeriodSeconds;
  m.generation = c.generation;
  if (m.generation === undefined) delete m.generation;
  else if (!Bun.deepEquals(merged.spec, (current as Obj).spec)) m.generation = (c.generation ?? 0) + 1;
  return merged as KubeObject;
}

/**
 * Seconds a delete waits before the object goes. Only pods that a node may be running wait
 * (the agent confirms with a grace-0 delete); everything else goes at once.
 */
export function gracePeriodSeconds(r: ResourceInfo, obj: KubeObject, requested?: number): number {
  if (r.kind !== "Pod") return 0;
  const pod = obj as Obj;
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return 0;
  const grace = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

/** An object marked for deletion goes once no finalizer and no grace period holds it. */
export function readyToRemove(obj: KubeObject): boolean {
  const m = obj.metadata;
  // A namespace goes only once its spec.finalizers are cleared through /finalize (ShouldDeleteNamespaceDuringUpdate).
  if (obj.kind === "Namespace" && ((obj as Obj).spec?.finalizers?.length ?? 0) > 0) return false;
  return !!m.deletionTimestamp && !(m.finalizers?.length) && !(m.deletionGracePeriodSeconds ?? 0);
}
