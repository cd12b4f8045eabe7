// Validation of autoscaling/v2 HorizontalPodAutoscaler (after pkg/apis/autoscaling/validation),
// with what kubun does not implement refused by name: only Resource metrics on cpu and memory
// are read (metrics.k8s.io has no other), so Pods, Object, External and ContainerResource
// metrics are a 422, not an autoscaler that silently never scales.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, child, intAt, objectAt, objectsAt, stringAt } from "../field.ts";
import { isQuantity, isNegativeQuantity, parseQuantity } from "../quantity.ts";
import { isValidPathSegmentName } from "../validation.ts";

const METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"];
const RESOURCE_NAMES = ["cpu", "memory"];
const TARGET_TYPES = ["AverageValue", "Utilization", "Value"];
const MAX_STABILIZATION = 3600;
const MAX_PERIOD = 1800;

function validateRef(errs: Causes, path: string, ref: JsonObject | undefined): void {
  if (!ref) {
    errs.push(fieldRequired(path));
    return;
  }
  for (const f of ["kind", "name"]) {
    const v = stringAt(errs, child(path, f), ref[f]);
    if (!v) errs.push(fieldRequired(child(path, f)));
    else for (const msg of isValidPathSegmentName(v)) errs.push(fieldInvalid(child(path, f), v, msg));
  }
  stringAt(errs, child(path, "apiVersion"), ref.apiVersion);
}

function positiveQuantity(errs: Causes, path: string, v: unknown): void {
  if (!isQuantity(v)) errs.push(fieldInvalid(path, v, "must be a quantity"));
  else if (isNegativeQuantity(v) || parseQuantity(v).num === 0n) errs.push(fieldInvalid(path, v, "must be positive"));
}

function validateResourceMetric(errs: Causes, path: string, src: JsonObject | undefined): void {
  if (!src) {
    errs.push(fieldRequired(path, "must populate information for the given metric source"));
    return;
  }
  const name = stringAt(errs, child(path, "name"), src.name);
  if (!name) errs.push(fieldRequired(child(path, "name"), "must specify a resource name"));
  else if (!RESOURCE_NAMES.includes(name)) errs.push(fieldNotSupported(child(path, "name"), name, RESOURCE_NAMES));
  const tpath = child(path, "target");
  const target = objectAt(errs, tpath, src.target);
  if (!target) {
    errs.push(fieldRequired(tpath, "must specify a metric target"));
    return;
  }
  const type = stringAt(errs, child(tpath, "type"), target.type);
  if (!type) errs.push(fieldRequired(child(tpath, "type"), "must specify a metric target type"));
  else if (!TARGET_TYPES.includes(type)) errs.push(fieldNotSupported(child(tpath, "type"), type, TARGET_TYPES));
  const util = intAt(errs, child(tpath, "averageUtilization"), target.averageUtilization);
  if (util !== undefined && util <= 0) errs.push(fieldInvalid(child(tpath, "averageUtilization"), util, "must be greater than 0"));
  if (target.averageValue !== undefined && target.averageValue !== null) positiveQuantity(errs, child(tpath, "averageValue"), target.averageValue);
  if (target.value !== undefined && target.value !== null) errs.push(fieldForbidden(child(tpath, "value"), "a Resource metric has no raw target value: set averageValue or averageUtilization"));
  const hasAvg = target.averageValue !== undefined && target.averageValue !== null;
  if (util === undefined && !hasAvg) errs.push(fieldRequired(child(tpath, "averageUtilization"), "must set either a target raw value or a target utilization"));
  if (util !== undefined && hasAvg) errs.push(fieldForbidden(child(tpath, "averageValue"), "may not set both a target raw value and a target utilization"));
  if (type === "Utilization" && util === undefined) errs.push(fieldRequired(child(tpath, "averageUtilization"), "must be set when the target type is Utilization"));
  if (type === "AverageValue" && !hasAvg) errs.push(fieldRequired(child(tpath, "averageValue"), "must be set when the target type is AverageValue"));
}

function validateMetric(errs: Causes, path: string, m: JsonObject): void {
  const type = stringAt(errs, child(path, "type"), m.type);
  if (!type) {
    errs.push(fieldRequired(child(path, "type"), "must specify a metric source type"));
    return;
  }
  if (!METRIC_TYPES.includes(type)) {
    errs.push(fieldNotSupported(child(path, "type"), type, METRIC_TYPES));
    return;
  }
  if (type !== "Resource") {
    errs.push(fieldNotSupported(child(path, "type"), type, ["Resource"]));
    return;
  }
  validateResourceMetric(errs, child(path, "resource"), objectAt(errs, child(path, "resource"), m.resource));
}

function validateRules(errs: Causes, path: string, rules: JsonObject | undefined): void {
  if (!rules) return;
  const w = intAt(errs, child(path, "stabilizationWindowSeconds"), rules.stabilizationWindowSeconds);
  if (w !== undefined && w < 0) errs.push(fieldInvalid(child(path, "stabilizationWindowSeconds"), w, "must be greater than or equal to zero"));
  if (w !== undefined && w > MAX_STABILIZATION) errs.push(fieldInvalid(child(path, "stabilizationWindowSeconds"), w, `must be less than or equal to ${MAX_STABILIZATION}`));
  const select = stringAt(errs, child(path, "selectPolicy"), rules.selectPolicy);
  if (select !== undefined && !["Disabled", "Max", "Min"].includes(select)) errs.push(fieldNotSupported(child(path, "selectPolicy"), select, ["Disabled", "Max", "Min"]));
  if (rules.tolerance !== undefined && rules.tolerance !== null) errs.push(fieldForbidden(child(path, "tolerance"), "not supported by kubun (the HPAConfigurableTolerance feature): the tolerance is 0.1"));
  const policies = objectsAt(errs, child(path, "policies"), rules.policies);
  if (Array.isArray(rules.policies) && policies.length === 0) errs.push(fieldRequired(child(path, "policies"), "must specify at least one Policy"));
  for (const [p, ppath] of policies) {
    const type = stringAt(errs, child(ppath, "type"), p.type);
    if (type === undefined) errs.push(fieldRequired(child(ppath, "type")));
    else if (!["Percent", "Pods"].includes(type)) errs.push(fieldNotSupported(child(ppath, "type"), type, ["Percent", "Pods"]));
    const value = intAt(errs, child(ppath, "value"), p.value);
    if (value === undefined || value <= 0) errs.push(fieldInvalid(child(ppath, "value"), p.value, "must be greater than zero"));
    const period = intAt(errs, child(ppath, "periodSeconds"), p.periodSeconds);
    if (period === undefined || period <= 0) errs.push(fieldInvalid(child(ppath, "periodSeconds"), p.periodSeconds, "must be greater than zero"));
    else if (period > MAX_PERIOD) errs.push(fieldInvalid(child(ppath, "periodSeconds"), period, `must be less than or equal to ${MAX_PERIOD}`));
  }
}

export function validateHorizontalPodAutoscaler(errs: Causes, hpa: JsonObject): void {
  const spec = objectAt(errs, "spec", hpa.spec);
  if (!spec) {
    errs.push(fieldRequired("spec"));
    return;
  }
  validateRef(errs, "spec.scaleTargetRef", objectAt(errs, "spec.scaleTargetRef", spec.scaleTargetRef));
  const min = intAt(errs, "spec.minReplicas", spec.minReplicas);
  if (min !== undefined && min < 1) errs.push(fieldInvalid("spec.minReplicas", min, "must be greater than or equal to 1"));
  const max = intAt(errs, "spec.maxReplicas", spec.maxReplicas);
  if (max === undefined) {
    if (spec.maxReplicas === undefined || spec.maxReplicas === null) errs.push(fieldRequired("spec.maxReplicas"));
  } else if (max < 1) errs.push(fieldInvalid("spec.maxReplicas", max, "must be greater than 0"));
  else if (min !== undefined && max < min) errs.push(fieldInvalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`"));
  for (const [m, path] of objectsAt(errs, "spec.metrics", spec.metrics)) validateMetric(errs, path, m);
  const behavior = objectAt(errs, "spec.behavior", spec.behavior);
  if (behavior) {
    validateRules(errs, "spec.behavior.scaleUp", objectAt(errs, "spec.behavior.scaleUp", behavior.scaleUp));
    validateRules(errs, "spec.behavior.scaleDown", objectAt(errs, "spec.behavior.scaleDown", behavior.scaleDown));
  }
}

/** Status writes (the controller's): counts are never negative. */
export function validateHorizontalPodAutoscalerStatus(errs: Causes, hpa: JsonObject): void {
  validateHorizontalPodAutoscaler(errs, hpa);
  const status = objectAt(errs, "status", hpa.status);
  if (!status) return;
  for (const f of ["currentReplicas", "desiredReplicas"]) {
    const v = intAt(errs, child("status", f), status[f]);
    if (v !== undefined && v < 0) errs.push(fieldInvalid(child("status", f), v, "must be greater than or equal to 0"));
  }
}
