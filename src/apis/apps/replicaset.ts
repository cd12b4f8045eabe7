// apps/v1 ReplicaSet: types, defaulting and `kubectl get rs` columns.
import { objOf } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type LabelSelector, selectorString } from "../selector.ts";
import { type Printer, age, column, wide } from "../table.ts";
import type { ConditionStatus, PodTemplateSpec } from "../core/pod.ts";
import { containerCells, defaultTemplate } from "./deployment.ts";

export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector: LabelSelector;
  template?: PodTemplateSpec;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  terminatingReplicas?: number;
  observedGeneration?: number;
  conditions?: { type: string; status: ConditionStatus; lastTransitionTime?: string; reason?: string; message?: string }[];
}

export interface ReplicaSet extends KubeObject {
  apiVersion?: "apps/v1";
  kind?: "ReplicaSet";
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

export function defaultReplicaSet(rs: ReplicaSet): void {
  const spec = objOf(rs.spec);
  if (!spec) return;
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
}

export const replicaSetPrinter: Printer<ReplicaSet> = {
  columns: [
    column("Name"),
    column("Desired", "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.", { type: "integer" }),
    column("Current", "Replicas is the most recently observed number of non-terminating pods.", { type: "integer" }),
    column("Ready", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.", { type: "integer" }),
    column("Age"),
    wide("Containers", "Names of each container in the template."),
    wide("Images", "Images referenced by each container in the template."),
    wide("Selector", "Selector is a label query over pods that should match the replica count."),
  ],
  cells(rs, now) {
    return [
      rs.metadata.name ?? "",
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(rs, now),
      ...containerCells(rs.spec?.template),
      selectorString(rs.spec?.selector),
    ];
  },
};
