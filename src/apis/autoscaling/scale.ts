// autoscaling/v1 Scale: the body of deployments/scale and replicasets/scale (`kubectl scale`).
import type { KubeObject } from "../meta.ts";
import { selectorString } from "../selector.ts";

export interface Scale extends KubeObject {
  apiVersion?: "autoscaling/v1";
  kind?: "Scale";
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

/** The Scale view of a Deployment, ReplicaSet or StatefulSet (what GET <object>/scale answers). */
export function toScale(obj: KubeObject): Scale {
  const o = obj as KubeObject & { spec?: { replicas?: number; selector?: Parameters<typeof selectorString>[0] }; status?: { replicas?: number } };
  const m = obj.metadata;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector: selectorString(o.spec?.selector) },
  };
}
