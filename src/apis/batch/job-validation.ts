// batch/v1 Job validation, after pkg/apis/batch/validation: counts and deadlines, a selector
// that matches the template, pods that end (restartPolicy Never or OnFailure), the pod failure
// policy's rules, and what may not change once the job exists. Fields kubun does not implement
// (backoffLimitPerIndex, maxFailedIndexes, successPolicy, managedBy) are refused, not ignored.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, child, fieldImmutable, index, intAt, jsonEqual, nonNegative, objOf, objectAt, objectsAt, stringAt } from "../field.ts";
import { validateLabelSelector } from "../metadata.ts";
import { type LabelSelector, selectorMatches } from "../selector.ts";
import { validatePodTemplateSpec } from "../core/pod-validation.ts";

/** Indexed jobs keep completedIndexes as a string; kube caps their size the same way. */
const MAX_INDEXED_COMPLETIONS = 100_000;
const MAX_FAILURE_POLICY_RULES = 20;
const MAX_EXIT_CODE_VALUES = 255;
const UNSUPPORTED = ["backoffLimitPerIndex", "maxFailedIndexes", "successPolicy", "managedBy"];

function validateRestartPolicy(errs: Causes, specPath: string, podSpec: JsonObject | undefined, hasFailurePolicy: boolean): void {
  const path = child(specPath, "template.spec.restartPolicy");
  const policy = podSpec?.restartPolicy;
  // Unset: the pod spec's own validation already reports it as required.
  if (policy === undefined || policy === null || policy === "") return;
  if (policy !== "OnFailure" && policy !== "Never") errs.push(fieldNotSupported(path, policy, ["OnFailure", "Never"]));
  else if (hasFailurePolicy && policy !== "Never") errs.push(fieldInvalid(path, policy, "only \"Never\" is supported when podFailurePolicy is specified"));
}

function validateExitCodes(errs: Causes, path: string, v: unknown, containers: Set<string>): void {
  const req = objectAt(errs, path, v);
  if (!req) return;
  const name = stringAt(errs, child(path, "containerName"), req.containerName);
  if (name !== undefined && !containers.has(name)) errs.push(fieldInvalid(child(path, "containerName"), name, "must be one of the container or initContainer names in the pod template"));
  if (req.operator !== "In" && req.operator !== "NotIn") errs.push(fieldNotSupported(child(path, "operator"), req.operator ?? "", ["In", "NotIn"]));
  const values = Array.isArray(req.values) ? req.values : undefined;
  if (!values || values.length === 0) return void errs.push(fieldRequired(child(path, "values"), "at least one value is required"));
  if (values.length > MAX_EXIT_CODE_VALUES) errs.push(fieldInvalid(child(path, "values"), values.length, `must have at most ${MAX_EXIT_CODE_VALUES} items`));
  let prev = -Infinity;
  values.forEach((value, i) => {
    const p = index(child(path, "values"), i);
    const n = intAt(errs, p, value);
    if (n === undefined) return;
    if (n === 0 && req.operator === "In") errs.push(fieldInvalid(p, n, "must not be 0 for the In operator"));
    if (n <= prev) errs.push(fieldInvalid(p, n, n === prev ? "must not be duplicated" : "must be ordered"));
    prev = n;
  });
}

function validatePodFailurePolicy(errs: Causes, specPath: string, v: unknown, podSpec: JsonObject | undefined): void {
  const path = child(specPath, "podFailurePolicy");
  const policy = objectAt(errs, path, v);
  if (!policy) return;
  const rules = objectsAt(errs, child(path, "rules"), policy.rules);
  if (rules.length > MAX_FAILURE_POLICY_RULES) errs.push(fieldInvalid(child(path, "rules"), rules.length, `must have at most ${MAX_FAILURE_POLICY_RULES} items`));
  const containers = new Set(
    [...((podSpec?.containers as unknown[]) ?? []), ...((podSpec?.initContainers as unknown[]) ?? [])].map((c) => objOf(c)?.name).filter((n): n is string => typeof n === "string"),
  );
  for (const [rule, p] of rules) {
    const action = rule.action;
    if (action === "FailIndex") errs.push(fieldInvalid(child(p, "action"), action, "requires the backoffLimitPerIndex to be set"));
    else if (action !== "FailJob" && action !== "Ignore" && action !== "Count") errs.push(fieldNotSupported(child(p, "action"), action ?? "", ["Count", "FailIndex", "FailJob", "Ignore"]));
    const hasCodes = rule.onExitCodes !== undefined && rule.onExitCodes !== null;
    const hasConds = rule.onPodConditions !== undefined && rule.onPodConditions !== null;
    if (hasCodes && hasConds) errs.push(fieldInvalid(p, rule, "specifying both OnExitCodes and OnPodConditions is not supported"));
    if (!hasCodes && !hasConds) errs.push(fieldInvalid(p, rule, "specifying one of OnExitCodes and OnPodConditions is required"));
    if (hasCodes) validateExitCodes(errs, child(p, "onExitCodes"), rule.onExitCodes, containers);
    for (const [pattern, pp] of objectsAt(errs, child(p, "onPodConditions"), rule.onPodConditions)) {
      if (typeof pattern.type !== "string" || !pattern.type) errs.push(fieldRequired(child(pp, "type")));
      if (!["True", "False", "Unknown"].includes(pattern.status as string)) errs.push(fieldNotSupported(child(pp, "status"), pattern.status ?? "", ["False", "True", "Unknown"]));
    }
  }
}

/** A Job's spec, or (template) a CronJob's jobTemplate.spec, which is not defaulted and has no selector yet. */
export function validateJobSpec(errs: Causes, path: string, spec: JsonObject, opts: { template?: boolean } = {}): void {
  for (const f of ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished"]) nonNegative(errs, child(path, f), spec[f]);
  for (const f of UNSUPPORTED) if (spec[f] !== undefined && spec[f] !== null) errs.push(fieldForbidden(child(path, f), "not supported by kubun"));
  const mode = spec.completionMode;
  if (!(opts.template && mode === undefined) && mode !== "NonIndexed" && mode !== "Indexed") errs.push(fieldNotSupported(child(path, "completionMode"), mode ?? "", ["NonIndexed", "Indexed"]));
  if (mode === "Indexed") {
    if (spec.completions === undefined || spec.completions === null) errs.push(fieldRequired(child(path, "completions"), "when completion mode is Indexed"));
    else if ((spec.completions as number) > MAX_INDEXED_COMPLETIONS) errs.push(fieldInvalid(child(path, "completions"), spec.completions, `must be less than or equal to ${MAX_INDEXED_COMPLETIONS} when completion mode is Indexed`));
    if ((spec.parallelism as number) > MAX_INDEXED_COMPLETIONS) errs.push(fieldInvalid(child(path, "parallelism"), spec.parallelism, `must be less than or equal to ${MAX_INDEXED_COMPLETIONS} when completion mode is Indexed`));
  }
  const replacement = spec.podReplacementPolicy;
  if (replacement !== undefined && replacement !== "TerminatingOrFailed" && replacement !== "Failed") errs.push(fieldNotSupported(child(path, "podReplacementPolicy"), replacement, ["Failed", "TerminatingOrFailed"]));
  if (spec.podFailurePolicy && replacement === "TerminatingOrFailed") errs.push(fieldNotSupported(child(path, "podReplacementPolicy"), replacement, ["Failed"]));

  const template = validatePodTemplateSpec(errs, child(path, "template"), spec.template);
  const podSpec = objOf(template?.spec);
  const selector = objectAt(errs, child(path, "selector"), spec.selector);
  if (!selector) {
    if (!opts.template) errs.push(fieldRequired(child(path, "selector")));
  }
  else {
    const before = errs.length;
    validateLabelSelector(errs, child(path, "selector"), selector);
    const labels = objOf(objOf(template?.metadata)?.labels) as Record<string, string> | undefined;
    if (errs.length === before && template && !selectorMatches(selector as LabelSelector, labels)) {
      errs.push(fieldInvalid(child(path, "template.metadata.labels"), labels ?? {}, "`selector` does not match template `labels`"));
    }
  }
  validatePodFailurePolicy(errs, path, spec.podFailurePolicy, podSpec);
  if (template) validateRestartPolicy(errs, path, podSpec, !!spec.podFailurePolicy);
}

export function validateJob(errs: Causes, job: JsonObject): void {
  const spec = objectAt(errs, "spec", job.spec);
  if (!spec) return void errs.push(fieldRequired("spec.template"));
  validateJobSpec(errs, "spec", spec);
}

/** The template with what a suspended, never-started job may still change (JobMutableNodeSchedulingDirectives) left out. */
function withoutSchedulingDirectives(template: unknown): unknown {
  const t = structuredClone(objOf(template) ?? {});
  const meta = objOf(t.metadata);
  if (meta) for (const f of ["labels", "annotations"]) delete meta[f];
  const podSpec = objOf(t.spec);
  if (podSpec) for (const f of ["nodeSelector", "affinity", "tolerations", "schedulingGates"]) delete podSpec[f];
  return t;
}

/** What a running job keeps: its pods' shape, how they are counted and which pods are its. */
export function validateJobUpdate(errs: Causes, job: JsonObject, old: JsonObject): void {
  const spec = objOf(job.spec) ?? {};
  const oldSpec = objOf(old.spec) ?? {};
  for (const f of ["selector", "completions", "completionMode", "podFailurePolicy", "manualSelector"]) {
    if (!jsonEqual(spec[f], oldSpec[f])) errs.push(fieldImmutable(`spec.${f}`, spec[f] ?? null));
  }
  // A suspended job that never started may still be told where its pods go.
  const mayPlace = oldSpec.suspend === true && !objOf(old.status)?.startTime;
  const [a, b] = mayPlace ? [withoutSchedulingDirectives(spec.template), withoutSchedulingDirectives(oldSpec.template)] : [spec.template, oldSpec.template];
  if (!jsonEqual(a, b)) errs.push(fieldImmutable("spec.template", spec.template ?? null));
}

export function validateJobStatus(errs: Causes, job: JsonObject): void {
  const status = objectAt(errs, "status", job.status);
  if (!status) return;
  for (const f of ["active", "succeeded", "failed", "ready", "terminating"]) nonNegative(errs, `status.${f}`, status[f]);
}
