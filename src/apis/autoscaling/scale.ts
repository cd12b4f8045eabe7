// autoscaling/v1 Scale: the body of deployments/scale and replicasets/scale (`kubectl scale`).
import type { KubeObject } from "../meta.ts";
import { selectorString } from "../selector.ts";

export interface Scale extends KubeObject {
  apiVersion?: "autoscaling/v1";
  kind?: "Scale";
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

/** Where a custom resource keeps its replicas and selector (a CRD's scale subresource paths, ".spec.replicas"). */
export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** A field by a CRD scale path (".spec.replicas"). */
function atPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const f of path.slice(1).split(".")) cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[f] : undefined;
  return cur;
}

/** The autoscaling/v1 Scale of a workload, or of a custom resource by its CRD's scale paths. */
export function toScale(obj: KubeObject, paths?: ScalePaths): Scale {
  const o = obj as KubeObject & { spec?: { replicas?: number; selector?: Parameters<typeof selectorString>[0] }; status?: { replicas?: number } };
  const m = obj.metadata;
  const spec = paths ? atPath(o, paths.specReplicasPath) : o.spec?.replicas;
  const status = paths ? atPath(o, paths.statusReplicasPath) : o.status?.replicas;
  const selector = paths ? (paths.labelSelectorPath ? atPath(o, paths.labelSelectorPath) : undefined) : selectorString(o.spec?.selector);
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof spec === "number" ? spec : 0 },
    status: { replicas: typeof status === "number" ? status : 0, ...(typeof selector === "string" ? { selector } : {}) },
  };
}
