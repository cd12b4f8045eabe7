// apps/v1 validation, after pkg/apis/apps/validation: selectors that match their template,
// rollout strategy bounds, the selector frozen after create, and status counts that add up.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, child, fieldImmutable, intAt, jsonEqual, nonNegative, objOf, objectAt } from "../field.ts";
import { validateLabelSelector } from "../metadata.ts";
import { type LabelSelector, selectorMatches } from "../selector.ts";
import { validatePodTemplateSpec } from "../core/pod-validation.ts";

export function validateSelectorAndTemplate(errs: Causes, spec: JsonObject): void {
  const selector = objectAt(errs, "spec.selector", spec.selector);
  if (spec.selector === undefined || spec.selector === null) errs.push(fieldRequired("spec.selector"));
  const before = errs.length;
  if (selector) {
    validateLabelSelector(errs, "spec.selector", selector);
    const matchLabels = objOf(selector.matchLabels) ?? {};
    const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
    if (Object.keys(matchLabels).length + exprs.length === 0) errs.push(fieldInvalid("spec.selector", selector, "empty selector is invalid for deployment"));
  }
  const selectorOk = selector !== undefined && errs.length === before;
  const template = validatePodTemplateSpec(errs, "spec.template", spec.template);
  if (!template) return;
  const labels = objOf(objOf(template.metadata)?.labels) as Record<string, string> | undefined;
  if (selectorOk && !selectorMatches(selector as LabelSelector, labels)) {
    errs.push(fieldInvalid("spec.template.metadata.labels", labels ?? {}, "`selector` does not match template `labels`"));
  }
  const podSpec = objOf(template.spec);
  if (podSpec && podSpec.restartPolicy !== undefined && podSpec.restartPolicy !== "Always") {
    errs.push(fieldNotSupported("spec.template.spec.restartPolicy", podSpec.restartPolicy, ["Always"]));
  }
  if (podSpec?.activeDeadlineSeconds !== undefined) {
    errs.push(fieldForbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
}

const PERCENT = /^[0-9]+%$/;

export function intOrPercentValue(v: unknown): number {
  if (typeof v === "number") return v;
  return typeof v === "string" && PERCENT.test(v) ? Number(v.slice(0, -1)) : -1;
}

export function validatePositiveIntOrPercent(errs: Causes, path: string, v: unknown): void {
  if (typeof v === "string") {
    if (!PERCENT.test(v)) errs.push(fieldInvalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
  } else if (typeof v === "number" && Number.isInteger(v)) {
    if (v < 0) errs.push(fieldInvalid(path, v, "must be greater than or equal to 0"));
  } else if (v !== undefined) {
    errs.push(fieldInvalid(path, v, "must be an integer or percentage (e.g '5%')"));
  }
}

function validateStrategy(errs: Causes, v: unknown): void {
  const strategy = objectAt(errs, "spec.strategy", v);
  if (!strategy) return;
  if (strategy.type === "Recreate") {
    if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
      errs.push(fieldForbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
    }
  } else if (strategy.type === "RollingUpdate") {
    const rolling = objectAt(errs, "spec.strategy.rollingUpdate", strategy.rollingUpdate);
    if (!rolling) {
      errs.push(fieldRequired("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"));
      return;
    }
    validatePositiveIntOrPercent(errs, "spec.strategy.rollingUpdate.maxUnavailable", rolling.maxUnavailable);
    validatePositiveIntOrPercent(errs, "spec.strategy.rollingUpdate.maxSurge", rolling.maxSurge);
    if (intOrPercentValue(rolling.maxUnavailable) === 0 && intOrPercentValue(rolling.maxSurge) === 0) {
      errs.push(fieldInvalid("spec.strategy.rollingUpdate.maxUnavailable", rolling.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
    }
    if (typeof rolling.maxUnavailable === "string" && intOrPercentValue(rolling.maxUnavailable) > 100) {
      errs.push(fieldInvalid("spec.strategy.rollingUpdate.maxUnavailable", rolling.maxUnavailable, "must not be greater than 100%"));
    }
  } else {
    errs.push(fieldNotSupported("spec.strategy.type", strategy.type, ["Recreate", "RollingUpdate"]));
  }
}

export function validateDeployment(errs: Causes, d: JsonObject): void {
  const spec = objectAt(errs, "spec", d.spec);
  if (!spec) {
    if (d.spec === undefined || d.spec === null) errs.push(fieldRequired("spec.selector"), fieldRequired("spec.template"));
    return;
  }
  nonNegative(errs, "spec.replicas", spec.replicas);
  validateSelectorAndTemplate(errs, spec);
  validateStrategy(errs, spec.strategy);
  nonNegative(errs, "spec.minReadySeconds", spec.minReadySeconds);
  nonNegative(errs, "spec.revisionHistoryLimit", spec.revisionHistoryLimit);
  const deadline = intAt([], "spec.progressDeadlineSeconds", spec.progressDeadlineSeconds);
  nonNegative(errs, "spec.progressDeadlineSeconds", spec.progressDeadlineSeconds);
  const minReady = typeof spec.minReadySeconds === "number" ? spec.minReadySeconds : 0;
  if (deadline !== undefined && deadline <= minReady) errs.push(fieldInvalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"));
}

export function validateReplicaSet(errs: Causes, rs: JsonObject): void {
  const spec = objectAt(errs, "spec", rs.spec);
  if (!spec) {
    if (rs.spec === undefined || rs.spec === null) errs.push(fieldRequired("spec.selector"));
    return;
  }
  nonNegative(errs, "spec.replicas", spec.replicas);
  nonNegative(errs, "spec.minReadySeconds", spec.minReadySeconds);
  validateSelectorAndTemplate(errs, spec);
}

/** apps/v1 selectors can't change: a new selector would orphan the running pods. */
export function validateSelectorUpdate(errs: Causes, obj: JsonObject, old: JsonObject): void {
  const selector = objOf(obj.spec)?.selector;
  const oldSelector = objOf(old.spec)?.selector;
  if (!jsonEqual(selector, oldSelector)) errs.push(fieldImmutable("spec.selector", selector ?? null));
}

/** Status counts of deployments and replicasets: nonnegative and consistent with each other. */
export function validateReplicaStatus(errs: Causes, obj: JsonObject, fields: string[]): void {
  const status = objectAt(errs, "status", obj.status);
  if (!status) return;
  for (const f of [...fields, "observedGeneration"]) nonNegative(errs, child("status", f), status[f]);
  const n = (f: string) => (typeof status[f] === "number" ? (status[f] as number) : 0);
  if (n("readyReplicas") > n("replicas")) errs.push(fieldInvalid("status.readyReplicas", n("readyReplicas"), "cannot be greater than status.replicas"));
  if (n("availableReplicas") > n("replicas")) errs.push(fieldInvalid("status.availableReplicas", n("availableReplicas"), "cannot be greater than status.replicas"));
  if (n("availableReplicas") > n("readyReplicas")) errs.push(fieldInvalid("status.availableReplicas", n("availableReplicas"), "cannot be greater than readyReplicas"));
  if (fields.includes("updatedReplicas") && n("updatedReplicas") > n("replicas")) {
    errs.push(fieldInvalid("status.updatedReplicas", n("updatedReplicas"), "cannot be greater than status.replicas"));
  }
}

export const DEPLOYMENT_STATUS_COUNTS = ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas", "collisionCount"];
export const STATEFULSET_STATUS_COUNTS = ["replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas", "collisionCount"];
export const REPLICASET_STATUS_COUNTS = ["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas"];

/** The body of a scale subresource write. */
export function validateScale(errs: Causes, scale: JsonObject): void {
  nonNegative(errs, "spec.replicas", objOf(scale.spec)?.replicas);
}
