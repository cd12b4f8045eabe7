// x-kubernetes-validations: the CEL rules of a CRD schema, compiled when the CRD is written and
// run on every write of its objects, as apiextensions-apiserver runs them — `self` is the value at
// the rule's node, `oldSelf` the stored one on updates (a rule that reads oldSelf is a transition
// rule and is skipped on create or where there is no old value), a failure is reported at the
// node (plus the rule's fieldPath) with its message, messageExpression or "failed rule: <rule>".
import { compile, isCompileError, toCel, type CelProgram } from "../cel/index.ts";
import { fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, isObject } from "../field.ts";
import type { StatusCause } from "../meta.ts";
import type { JSONSchemaProps } from "./types.ts";

interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

const REASONS = ["FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"];
const VARIABLES = ["self", "oldSelf"];

interface Compiled {
  rule: ValidationRule;
  program: CelProgram;
  message?: CelProgram;
  transition: boolean;
}

const compiledRules = new WeakMap<object, Compiled[]>();

/** Checks a node's rules when the CRD is written (compile errors, unsupported fields); `path` ends at the node. */
export function validateRules(errs: Causes, path: string, rules: unknown): void {
  const p = `${path}.x-kubernetes-validations`;
  if (!Array.isArray(rules)) return void errs.push(fieldInvalid(p, rules, "must be a list of rules"));
  rules.forEach((r, i) => {
    const rp = `${p}[${i}]`;
    if (!isObject(r)) return void errs.push(fieldInvalid(rp, r, "must be an object"));
    for (const k of Object.keys(r)) if (!["rule", "message", "messageExpression", "reason", "fieldPath"].includes(k)) errs.push(fieldInvalid(`${rp}.${k}`, r[k], "is not supported by this server"));
    if (typeof r.rule !== "string" || !r.rule.trim()) return void errs.push(fieldRequired(`${rp}.rule`));
    const compiled = compile(r.rule, VARIABLES);
    if (isCompileError(compiled)) errs.push(fieldInvalid(`${rp}.rule`, r.rule, compiled.error));
    if (r.message !== undefined && (typeof r.message !== "string" || /[\r\n]/.test(r.message))) errs.push(fieldInvalid(`${rp}.message`, r.message, "message must not contain line breaks"));
    if (r.messageExpression !== undefined) {
      const m = typeof r.messageExpression === "string" ? compile(r.messageExpression, VARIABLES) : { error: "must be a string" };
      if (isCompileError(m)) errs.push(fieldInvalid(`${rp}.messageExpression`, r.messageExpression, m.error));
    }
    if (r.reason !== undefined && !REASONS.includes(r.reason as string)) errs.push(fieldNotSupported(`${rp}.reason`, r.reason, REASONS));
    if (r.fieldPath !== undefined && (typeof r.fieldPath !== "string" || !/^(\.[A-Za-z_][A-Za-z0-9_\-]*|\['[^']+'\])+$/.test(r.fieldPath))) {
      errs.push(fieldInvalid(`${rp}.fieldPath`, r.fieldPath, "must be a valid path"));
    }
  });
}

function compiledOf(s: JSONSchemaProps): Compiled[] {
  let c = compiledRules.get(s);
  if (!c) {
    c = [];
    for (const rule of (s["x-kubernetes-validations"] ?? []) as ValidationRule[]) {
      const program = compile(rule.rule, VARIABLES);
      if (isCompileError(program)) continue; // refused when the CRD was written
      const message = rule.messageExpression ? compile(rule.messageExpression, VARIABLES) : undefined;
      c.push({ rule, program, message: message && !isCompileError(message) ? message : undefined, transition: program.variables.has("oldSelf") });
    }
    compiledRules.set(s, c);
  }
  return c;
}

const typeOf = (s: JSONSchemaProps) => s.type ?? (s["x-kubernetes-int-or-string"] ? "integer-or-string" : "object");

function cause(reason: string | undefined, field: string, s: JSONSchemaProps, message: string): StatusCause {
  switch (reason) {
    case "FieldValueForbidden":
      return { reason, field, message: `Forbidden: ${message}` };
    case "FieldValueRequired":
      return { reason, field, message: `Required value: ${message}` };
    case "FieldValueDuplicate":
      return { reason, field, message: `Duplicate value: ${JSON.stringify(typeOf(s))}: ${message}` };
  }
  return fieldInvalid(field, typeOf(s), message);
}

function runRules(errs: Causes, path: string, s: JSONSchemaProps, value: unknown, old: unknown, update: boolean): void {
  const rules = compiledOf(s);
  if (!rules.length) return;
  const self = toCel(value, s);
  const oldSelf = old === undefined ? undefined : toCel(old, s);
  for (const c of rules) {
    // Transition rules run on updates where an old value exists; the others on create and update alike.
    if (c.transition && (!update || old === undefined)) continue;
    const field = `${path}${c.rule.fieldPath ?? ""}`.replace(/^\./, "") || path;
    const result = c.program.run(c.transition ? { self, oldSelf } : { self });
    if ("error" in result) {
      errs.push(fieldInvalid(field, typeOf(s), `rule evaluation error: ${result.error}`));
      continue;
    }
    if (result.value === true) continue;
    let message = c.rule.message ?? `failed rule: ${c.rule.rule}`;
    if (c.message) {
      const m = c.message.run(c.transition ? { self, oldSelf } : { self });
      if (!("error" in m) && typeof m.value === "string" && m.value.trim() && !/[\r\n]/.test(m.value)) message = m.value;
    }
    errs.push(cause(c.rule.reason, field, s, message));
  }
}

/**
 * Runs every rule of the schema against `obj` (and `old`, on updates). `path` is "" at the root;
 * a value of the wrong type was reported by schema validation and is not walked into.
 */
export function validateCelRules(errs: Causes, path: string, s: JSONSchemaProps, value: unknown, old: unknown, update: boolean): void {
  if (value === undefined || value === null) return;
  runRules(errs, path, s, value, old, update);
  if (Array.isArray(value)) {
    if (!s.items) return;
    const keys = s["x-kubernetes-list-type"] === "map" ? (s["x-kubernetes-list-map-keys"] ?? []) : undefined;
    const olds = Array.isArray(old) ? old : [];
    value.forEach((v, i) => {
      // Old items correlate by map keys (map lists) or by value (sets); atomic lists have no old items.
      let o: unknown;
      if (keys && isObject(v)) o = olds.find((x) => isObject(x) && keys.every((k) => x[k] === v[k]));
      else if (s["x-kubernetes-list-type"] === "set") o = olds.find((x) => Bun.deepEquals(x, v)) !== undefined ? v : undefined;
      validateCelRules(errs, `${path}[${i}]`, s.items!, v, o, update);
    });
    return;
  }
  if (!isObject(value)) return;
  const oldObj = isObject(old) ? old : undefined;
  for (const [k, v] of Object.entries(value)) {
    const child = s.properties?.[k] ?? (isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined);
    if (child) validateCelRules(errs, path ? `${path}.${k}` : k, child, v, oldObj?.[k], update);
  }
}
