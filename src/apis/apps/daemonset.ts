// apps/v1 DaemonSet: types, defaulting (SetDefaults_DaemonSet), validation and `kubectl get ds`
// columns.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, child, nonNegative, objOf, objectAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type LabelSelector, formatLabels, selectorString } from "../selector.ts";
import { type Printer, age, column, wide } from "../table.ts";
import type { ConditionStatus, PodTemplateSpec } from "../core/pod.ts";
import { containerCells, defaultTemplate } from "./deployment.ts";
import { intOrPercentValue, validatePositiveIntOrPercent, validateSelectorAndTemplate } from "./validation.ts";

export interface RollingUpdateDaemonSet {
  maxUnavailable?: number | string;
  maxSurge?: number | string;
}

export interface DaemonSetUpdateStrategy {
  type?: "RollingUpdate" | "OnDelete";
  rollingUpdate?: RollingUpdateDaemonSet;
}

export interface DaemonSetSpec {
  selector: LabelSelector;
  template: PodTemplateSpec;
  updateStrategy?: DaemonSetUpdateStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: { type: string; status: ConditionStatus; lastTransitionTime?: string; reason?: string; message?: string }[];
}

export interface DaemonSet extends KubeObject {
  apiVersion?: "apps/v1";
  kind?: "DaemonSet";
  spec?: DaemonSetSpec;
  status?: DaemonSetStatus;
}

export function defaultDaemonSet(ds: DaemonSet): void {
  const spec = objOf(ds.spec);
  if (!spec) return;
  const strategy = objOf(spec.updateStrategy) ?? {};
  strategy.type ||= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const rolling = objOf(strategy.rollingUpdate) ?? {};
    rolling.maxUnavailable ??= 1;
    rolling.maxSurge ??= 0;
    strategy.rollingUpdate = rolling;
  }
  if (spec.updateStrategy === undefined || objOf(spec.updateStrategy)) spec.updateStrategy = strategy;
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec.template);
}

function validateUpdateStrategy(errs: Causes, v: unknown): void {
  const strategy = objectAt(errs, "spec.updateStrategy", v);
  if (!strategy) return;
  const path = "spec.updateStrategy.rollingUpdate";
  if (strategy.type === "OnDelete") {
    if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) errs.push(fieldForbidden(path, "may not be specified when strategy `type` is 'OnDelete'"));
  } else if (strategy.type === "RollingUpdate") {
    const rolling = objectAt(errs, path, strategy.rollingUpdate);
    if (!rolling) return void errs.push(fieldRequired(path));
    validatePositiveIntOrPercent(errs, child(path, "maxUnavailable"), rolling.maxUnavailable);
    validatePositiveIntOrPercent(errs, child(path, "maxSurge"), rolling.maxSurge);
    const unavailable = intOrPercentValue(rolling.maxUnavailable);
    const surge = intOrPercentValue(rolling.maxSurge);
    // Exactly one of them is non-zero.
    if (unavailable === 0 && surge === 0) errs.push(fieldRequired(child(path, "maxUnavailable"), "cannot be 0 when maxSurge is 0"));
    if (unavailable > 0 && surge > 0) errs.push(fieldInvalid(child(path, "maxSurge"), rolling.maxSurge, "may not be set when maxUnavailable is non-zero"));
    for (const [f, n] of [["maxUnavailable", unavailable], ["maxSurge", surge]] as const) {
      if (typeof rolling[f] === "string" && n > 100) errs.push(fieldInvalid(child(path, f), rolling[f], "must not be greater than 100%"));
    }
  } else errs.push(fieldNotSupported("spec.updateStrategy.type", strategy.type ?? "", ["OnDelete", "RollingUpdate"]));
}

export function validateDaemonSet(errs: Causes, ds: JsonObject): void {
  const spec = objectAt(errs, "spec", ds.spec);
  if (!spec) return void errs.push(fieldRequired("spec.selector"), fieldRequired("spec.template"));
  validateSelectorAndTemplate(errs, spec);
  validateUpdateStrategy(errs, spec.updateStrategy);
  nonNegative(errs, "spec.minReadySeconds", spec.minReadySeconds);
  nonNegative(errs, "spec.revisionHistoryLimit", spec.revisionHistoryLimit);
}

export function validateDaemonSetStatus(errs: Causes, ds: JsonObject): void {
  const status = objectAt(errs, "status", ds.status);
  if (!status) return;
  for (const f of ["currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady", "observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable", "collisionCount"]) {
    nonNegative(errs, `status.${f}`, status[f]);
  }
}

export const daemonSetPrinter: Printer<DaemonSet> = {
  columns: [
    column("Name"),
    column("Desired", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).", { type: "integer" }),
    column("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.", { type: "integer" }),
    column("Ready", "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.", { type: "integer" }),
    column("Up-to-date", "The total number of nodes that are running updated daemon pod", { type: "integer" }),
    column("Available", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)", { type: "integer" }),
    column("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
    column("Age"),
    wide("Containers", "Names of each container in the template."),
    wide("Images", "Images referenced by each container in the template."),
    wide("Selector", "A label query over pods that are managed by the daemon set."),
  ],
  cells: (ds, now) => {
    const s = ds.status;
    return [
      ds.metadata.name ?? "",
      s?.desiredNumberScheduled ?? 0,
      s?.currentNumberScheduled ?? 0,
      s?.numberReady ?? 0,
      s?.updatedNumberScheduled ?? 0,
      s?.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector ?? {}),
      age(ds, now),
      ...containerCells(ds.spec?.template),
      selectorString(ds.spec?.selector),
    ];
  },
};
