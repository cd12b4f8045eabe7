// apps/v1 StatefulSet: types, defaulting and `kubectl get sts` columns. Validation is in
// statefulset-validation.ts; the controller in src/controllers/statefulset.ts.
import { objOf, objsOf } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import type { LabelSelector } from "../selector.ts";
import { type Printer, age, column, wide } from "../table.ts";
import type { ConditionStatus, PodTemplateSpec } from "../core/pod.ts";
import type { PersistentVolumeClaim } from "../core/persistentvolume.ts";
import { containerCells, defaultTemplate } from "./deployment.ts";

export type RetentionPolicyType = "Retain" | "Delete";

export interface StatefulSetSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  volumeClaimTemplates?: PersistentVolumeClaim[];
  serviceName?: string;
  podManagementPolicy?: "OrderedReady" | "Parallel";
  updateStrategy?: { type?: "RollingUpdate" | "OnDelete"; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: RetentionPolicyType; whenScaled?: RetentionPolicyType };
  ordinals?: { start?: number };
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: { type: string; status: ConditionStatus; lastTransitionTime?: string; reason?: string; message?: string }[];
}

export interface StatefulSet extends KubeObject {
  apiVersion?: "apps/v1";
  kind?: "StatefulSet";
  spec?: StatefulSetSpec;
  status?: StatefulSetStatus;
}

export function defaultStatefulSet(sts: StatefulSet): void {
  const spec = objOf(sts.spec);
  if (!spec) return;
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= "OrderedReady";
  spec.revisionHistoryLimit ??= 10;
  const strategy = (objOf(spec.updateStrategy) ?? (spec.updateStrategy = {})) as Record<string, unknown>;
  strategy.type ??= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const rolling = (objOf(strategy.rollingUpdate) ?? (strategy.rollingUpdate = {})) as Record<string, unknown>;
    rolling.partition ??= 0;
  }
  const retention = (objOf(spec.persistentVolumeClaimRetentionPolicy) ?? (spec.persistentVolumeClaimRetentionPolicy = {})) as Record<string, unknown>;
  retention.whenDeleted ??= "Retain";
  retention.whenScaled ??= "Retain";
  defaultTemplate(spec.template);
  // Claim templates default as claims do (SetDefaults_PersistentVolumeClaim), status included.
  for (const t of objsOf(spec.volumeClaimTemplates)) {
    const ts = objOf(t.spec);
    if (ts) ts.volumeMode ??= "Filesystem";
    t.status ??= { phase: "Pending" };
  }
}

export const statefulSetPrinter: Printer<StatefulSet> = {
  columns: [
    column("Name"),
    column("Ready", "Number of the pod with ready state"),
    column("Age"),
    wide("Containers", "Names of each container in the template."),
    wide("Images", "Images referenced by each container in the template."),
  ],
  cells(sts, now) {
    return [sts.metadata.name ?? "", `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`, age(sts, now), ...containerCells(sts.spec?.template)];
  },
};
