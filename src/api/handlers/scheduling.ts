// GET /api/v1/namespaces/NS/pods/NAME/scheduling: why this pod can or can't go to each node —
// kubun's own read (readable with curl and `kubectl get --raw`), for the dashboard's "Why is this
// pod Pending?" panel. The scheduler's filter and score plugins run here, on request, over the
// nodes and pods the store holds now (src/scheduler/diagnose.ts); nothing is kept or computed
// while nobody asks. Authorized as a `get` of the pod.
import { badRequest } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { findResource, storeKey } from "../../apis/registry.ts";
import type { Lister } from "../../client/cache.ts";
import { diagnose } from "../../scheduler/diagnose.ts";
import { podVolumes } from "../../scheduler/volume-binding.ts";
import type { HandlerContext } from "./context.ts";
import { respond } from "./context.ts";
import type { Storage } from "../storage.ts";

/** A read-only Lister over the store's current objects of one resource. */
function storeLister<T extends KubeObject>(storage: Storage, group: string, version: string, resource: string): Lister<T> {
  const r = findResource(group, version, resource);
  const all = () => (r ? storage.list(r, undefined).items.map((e) => e.object as T) : []);
  return {
    get: (ns, name) => (r ? (storage.store.get(storeKey(r, ns, name))?.object as T | undefined) : undefined),
    getByKey: (key) => {
      const [ns, name] = key.includes("/") ? key.split("/") : [undefined, key];
      return r ? (storage.store.get(storeKey(r, ns, name!))?.object as T | undefined) : undefined;
    },
    list: (ns) => all().filter((o) => ns === undefined || o.metadata.namespace === ns),
    byIndex: () => [],
  };
}

export function handleScheduling(h: HandlerContext): Response {
  if (h.r.group !== "" || h.r.resource !== "pods") throw badRequest("scheduling is a subresource of pods only");
  const storage = h.deps.storage;
  const pod = storage.get(h.r, h.info.namespace, h.info.name!);
  const nodes = findResource("", "v1", "nodes")!;
  const nodeObjects = storage.list(nodes, undefined).items.map((e) => e.object);
  const podObjects = storage.list(h.r, undefined).items.map((e) => e.object);
  const volumes = podVolumes(pod, {
    claims: storeLister(storage, "", "v1", "persistentvolumeclaims"),
    volumes: storeLister(storage, "", "v1", "persistentvolumes"),
    classes: storeLister(storage, "storage.k8s.io", "v1", "storageclasses"),
  });
  const extraFilter = volumes.unschedulable ? () => volumes.unschedulable : volumes.filter;
  const result = diagnose(pod, nodeObjects, podObjects, { extraFilter });
  const scheduled = ((pod.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === "PodScheduled");
  return respond(h, {
    kind: "PodSchedulingDiagnosis",
    apiVersion: "kubun.io/v1alpha1",
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, resourceVersion: String(storage.store.revision) },
    nodeName: (pod.spec as { nodeName?: string } | undefined)?.nodeName,
    schedulerMessage: scheduled?.status === "False" ? scheduled.message : undefined,
    ...result,
  });
}
