// Validation of ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding, after
// kube-apiserver's pkg/apis/admissionregistration/validation (field paths and messages as
// upstream's). Every expression is compiled at write time (validations, messageExpressions,
// variables, auditAnnotations, matchConditions), so a policy that is stored can be evaluated;
// a reference to `variables.x` must name a variable declared before it.
import { compileAdmission, isCompileError, POLICY_VARIABLES } from "../cel/index.ts";
import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, absent, child, index, objectAt, objectsAt, stringAt, stringListAt } from "../field.ts";
import { validateLabelSelector } from "../metadata.ts";
import { isDNS1123Label, isQualifiedName, isValidPathSegmentName } from "../validation.ts";
import { validateMatchConditions } from "./match-conditions.ts";
import { validateRule } from "./validation.ts";

const REASONS = ["Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized"];
const ACTIONS = ["Audit", "Deny", "Warn"];
const CEL_IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const CEL_RESERVED = new Set(["true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);

function oneOf(errs: Causes, path: string, v: unknown, supported: string[]): void {
  if (!absent(v) && !supported.includes(v as string)) errs.push(fieldNotSupported(path, v, supported));
}

/** Compiles one expression; `variables.x` must name one of `declared`. */
function checkExpression(errs: Causes, path: string, expression: string, declared: ReadonlySet<string>): void {
  const program = compileAdmission(expression, POLICY_VARIABLES);
  if (isCompileError(program)) return void errs.push(fieldInvalid(path, expression, program.error));
  for (const m of expression.matchAll(/\bvariables\s*\.\s*([_a-zA-Z][_a-zA-Z0-9]*)/g)) {
    if (!declared.has(m[1]!)) {
      const before = expression.slice(0, m.index);
      return void errs.push(fieldInvalid(path, expression, `compilation failed: ERROR: <input>:${before.split("\n").length}:${m.index! - before.lastIndexOf("\n")}: undefined field '${m[1]}'`));
    }
  }
}

function requiredExpression(errs: Causes, path: string, v: unknown, declared: ReadonlySet<string>): void {
  const expression = stringAt(errs, path, v);
  if (!expression) return void errs.push(fieldRequired(path));
  checkExpression(errs, path, expression, declared);
}

function validateNamedRules(errs: Causes, path: string, v: unknown): void {
  for (const [rule, p] of objectsAt(errs, path, v)) {
    validateRule(errs, rule, p);
    const names = stringListAt(errs, child(p, "resourceNames"), rule.resourceNames) ?? [];
    const seen = new Set<string>();
    names.forEach((n, i) => {
      for (const msg of isValidPathSegmentName(n)) errs.push(fieldInvalid(index(child(p, "resourceNames"), i), n, msg));
      if (seen.has(n)) errs.push(fieldDuplicate(index(child(p, "resourceNames"), i), n));
      seen.add(n);
    });
  }
}

function validateMatchResources(errs: Causes, path: string, m: JsonObject, requireRules: boolean): void {
  oneOf(errs, child(path, "matchPolicy"), m.matchPolicy, ["Equivalent", "Exact"]);
  validateLabelSelector(errs, child(path, "namespaceSelector"), m.namespaceSelector);
  validateLabelSelector(errs, child(path, "objectSelector"), m.objectSelector);
  if (requireRules && (!Array.isArray(m.resourceRules) || !m.resourceRules.length)) errs.push(fieldRequired(child(path, "resourceRules")));
  validateNamedRules(errs, child(path, "resourceRules"), m.resourceRules);
  validateNamedRules(errs, child(path, "excludeResourceRules"), m.excludeResourceRules);
}

export function validatePolicy(errs: Causes, policy: JsonObject): void {
  const spec = objectAt(errs, "spec", policy.spec);
  if (!spec) return void errs.push(fieldRequired("spec"));
  const paramKind = objectAt(errs, "spec.paramKind", spec.paramKind);
  if (paramKind) {
    const apiVersion = stringAt(errs, "spec.paramKind.apiVersion", paramKind.apiVersion);
    if (!apiVersion) errs.push(fieldRequired("spec.paramKind.apiVersion"));
    else if (apiVersion.split("/").length > 2 || apiVersion.split("/").some((p) => !p)) errs.push(fieldInvalid("spec.paramKind.apiVersion", apiVersion, "must be a valid group/version"));
    const kind = stringAt(errs, "spec.paramKind.kind", paramKind.kind);
    if (!kind) errs.push(fieldRequired("spec.paramKind.kind"));
  }
  const mc = objectAt(errs, "spec.matchConstraints", spec.matchConstraints);
  if (!mc) errs.push(fieldRequired("spec.matchConstraints"));
  else validateMatchResources(errs, "spec.matchConstraints", mc, true);
  oneOf(errs, "spec.failurePolicy", spec.failurePolicy, ["Fail", "Ignore"]);

  const declared = new Set<string>();
  const varNames = new Set<string>();
  for (const [v, p] of objectsAt(errs, "spec.variables", spec.variables)) {
    const name = stringAt(errs, child(p, "name"), v.name);
    if (!name) errs.push(fieldRequired(child(p, "name")));
    else if (!CEL_IDENTIFIER.test(name) || CEL_RESERVED.has(name)) errs.push(fieldInvalid(child(p, "name"), name, "name is not a valid CEL identifier"));
    else if (varNames.has(name)) errs.push(fieldDuplicate(child(p, "name"), name));
    requiredExpression(errs, child(p, "expression"), v.expression, declared);
    if (name) {
      varNames.add(name);
      declared.add(name);
    }
  }
  validateMatchConditions(errs, "spec.matchConditions", spec.matchConditions, POLICY_VARIABLES);

  const validations = objectsAt(errs, "spec.validations", spec.validations);
  const annotations = objectsAt(errs, "spec.auditAnnotations", spec.auditAnnotations);
  if (!validations.length && !annotations.length) errs.push(fieldRequired("spec.validations", "Required value: validations or auditAnnotations must contain at least one item"));
  for (const [v, p] of validations) {
    requiredExpression(errs, child(p, "expression"), v.expression, declared);
    const message = stringAt(errs, child(p, "message"), v.message);
    if (message !== undefined && message.length > 0 && !message.trim()) errs.push(fieldInvalid(child(p, "message"), message, "message must be non-empty if specified"));
    if (message && /[\r\n]/.test(message)) errs.push(fieldInvalid(child(p, "message"), message, "message must not contain line breaks"));
    const messageExpression = stringAt(errs, child(p, "messageExpression"), v.messageExpression);
    if (messageExpression !== undefined) {
      if (!messageExpression.trim()) errs.push(fieldRequired(child(p, "messageExpression"), "Required value: messageExpression must be non-empty if specified"));
      else checkExpression(errs, child(p, "messageExpression"), messageExpression, declared);
    }
    oneOf(errs, child(p, "reason"), v.reason, REASONS);
  }
  const policyName = (policy.metadata as { name?: string } | undefined)?.name ?? "";
  const keys = new Set<string>();
  for (const [a, p] of annotations) {
    const key = stringAt(errs, child(p, "key"), a.key);
    if (!key) errs.push(fieldRequired(child(p, "key")));
    else {
      for (const msg of isQualifiedName(`${policyName}/${key}`)) errs.push(fieldInvalid(child(p, "key"), key, msg));
      if (keys.has(key)) errs.push(fieldDuplicate(child(p, "key"), key));
      keys.add(key);
    }
    requiredExpression(errs, child(p, "valueExpression"), a.valueExpression, declared);
  }
}

export function validateBinding(errs: Causes, binding: JsonObject): void {
  const spec = objectAt(errs, "spec", binding.spec);
  if (!spec) return void errs.push(fieldRequired("spec"));
  const policyName = stringAt(errs, "spec.policyName", spec.policyName);
  if (!policyName) errs.push(fieldRequired("spec.policyName"));
  const ref = objectAt(errs, "spec.paramRef", spec.paramRef);
  if (ref) {
    const name = stringAt(errs, "spec.paramRef.name", ref.name);
    if (name && absent(ref.selector)) for (const msg of isValidPathSegmentName(name)) errs.push(fieldInvalid("spec.paramRef.name", name, msg));
    if (name && !absent(ref.selector)) errs.push(fieldForbidden("spec.paramRef.name", "name and selector are mutually exclusive"));
    if (!name && absent(ref.selector)) errs.push(fieldRequired("spec.paramRef", "Required value: one of name or selector must be specified"));
    validateLabelSelector(errs, "spec.paramRef.selector", ref.selector);
    const ns = stringAt(errs, "spec.paramRef.namespace", ref.namespace);
    if (ns) for (const msg of isDNS1123Label(ns)) errs.push(fieldInvalid("spec.paramRef.namespace", ns, msg));
    if (absent(ref.parameterNotFoundAction)) errs.push(fieldRequired("spec.paramRef.parameterNotFoundAction"));
    else oneOf(errs, "spec.paramRef.parameterNotFoundAction", ref.parameterNotFoundAction, ["Allow", "Deny"]);
  }
  const mr = objectAt(errs, "spec.matchResources", spec.matchResources);
  if (mr) validateMatchResources(errs, "spec.matchResources", mr, false);
  const actions = stringListAt(errs, "spec.validationActions", spec.validationActions) ?? [];
  if (!actions.length) errs.push(fieldRequired("spec.validationActions", "Required value: at least one validation action is required"));
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    const p = index("spec.validationActions", i);
    if (seen.has(a)) errs.push(fieldDuplicate(p, a));
    seen.add(a);
    oneOf(errs, p, a, ACTIONS);
  });
  if (seen.has("Deny") && seen.has("Warn")) {
    errs.push(fieldInvalid("spec.validationActions", actions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"));
  }
}
