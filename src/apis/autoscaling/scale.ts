// autoscaling/v1 Scale: the body of deployments/scale and replicasets/scale (`kubectl scale`).
import type { KubeObject } from "../meta.ts";

export interface Scale extends KubeObject {
  apiVersion?: "autoscaling/v1";
  kind?: "Scale";
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}
