// apps/v1 Deployment: types, defaulting (SetDefaults_Deployment) and `kubectl get deploy` columns.
import { objOf } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type LabelSelector, selectorString } from "../selector.ts";
import { type Printer, age, column, wide } from "../table.ts";
import { defaultPodSpec } from "../core/pod-defaults.ts";
import type { PodTemplateSpec } from "../core/pod.ts";
import type { ConditionStatus } from "../core/pod.ts";

export interface RollingUpdateDeployment {
  maxUnavailable?: number | string;
  maxSurge?: number | string;
}

export interface DeploymentStrategy {
  type?: "RollingUpdate" | "Recreate";
  rollingUpdate?: RollingUpdateDeployment;
}

export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentCondition {
  type: "Available" | "Progressing" | "ReplicaFailure" | string;
  status: ConditionStatus;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  terminatingReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export interface Deployment extends KubeObject {
  apiVersion?: "apps/v1";
  kind?: "Deployment";
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

/** Pod templates get the pod spec's defaults, as SetObjectDefaults_Deployment recurses into them. */
export function defaultTemplate(template: unknown): void {
  defaultPodSpec(objOf(template)?.spec);
}

export function defaultDeployment(d: Deployment): void {
  const spec = objOf(d.spec);
  if (!spec) return;
  spec.replicas ??= 1;
  const strategy = objOf(spec.strategy) ?? {};
  strategy.type ||= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const rolling = objOf(strategy.rollingUpdate) ?? {};
    rolling.maxUnavailable ??= "25%";
    rolling.maxSurge ??= "25%";
    strategy.rollingUpdate = rolling;
  }
  if (spec.strategy === undefined || objOf(spec.strategy)) spec.strategy = strategy;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
}

/** kubectl's CONTAINERS and IMAGES cells: the template's containers, comma-joined. */
export function containerCells(template: PodTemplateSpec | undefined): [string, string] {
  const containers = template?.spec?.containers ?? [];
  return [containers.map((c) => c.name).join(","), containers.map((c) => c.image ?? "").join(",")];
}

export const deploymentPrinter: Printer<Deployment> = {
  columns: [
    column("Name"),
    column("Ready", "Number of the pod with ready state"),
    column("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
    column("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
    column("Age"),
    wide("Containers", "Names of each container in the template."),
    wide("Images", "Images referenced by each container in the template."),
    wide("Selector", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
  ],
  cells(d, now) {
    const s = d.status ?? {};
    return [
      d.metadata.name ?? "",
      `${s.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      s.updatedReplicas ?? 0,
      s.availableReplicas ?? 0,
      age(d, now),
      ...containerCells(d.spec?.template),
      selectorString(d.spec?.selector),
    ];
  },
};
