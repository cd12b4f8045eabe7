// One policy's evaluation for one request, after kube-apiserver's policy/validating/validator.go:
// its matchConditions first (false: the policy has nothing to say; an error: failurePolicy
// decides), then its variables (composited into `variables`, each evaluated once, in order),
// its validations and its audit annotations. A false validation is a Deny decision with the
// validation's message, messageExpression or "failed expression: <expression>" and its reason
// (Invalid when unset); an evaluation error is a Deny under failurePolicy Fail and nothing
// under Ignore. What the decisions do (Deny, Warn, Audit) is the binding's, in index.ts.
import { compileAdmission, isCompileError, POLICY_VARIABLES, runCondition, type CelProgram } from "../../apis/cel/index.ts";
import type { ValidatingAdmissionPolicy, Validation } from "../../apis/admissionregistration/policy.ts";
import { compileConditions, matchConditions } from "../../apis/admissionregistration/match-conditions.ts";

export interface Decision {
  /** Index of the validation; -1 for a matchCondition or audit annotation error. */
  index: number;
  message: string;
  reason?: string;
}

export interface Evaluation {
  decisions: Decision[];
  auditAnnotations: [string, string][];
}

interface Compiled {
  variables: [string, CelProgram][];
  validations: [Validation, CelProgram, CelProgram | undefined][];
  auditAnnotations: [string, CelProgram][];
}

const compiledPolicies = new WeakMap<ValidatingAdmissionPolicy, Compiled>();

function programOf(expression: string): CelProgram | undefined {
  const p = compileAdmission(expression, POLICY_VARIABLES);
  return isCompileError(p) ? undefined : p;
}

/** The policy's programs, compiled once per stored version (validation compiled them before). */
function compiled(policy: ValidatingAdmissionPolicy): Compiled {
  let c = compiledPolicies.get(policy);
  if (!c) {
    const spec = policy.spec ?? {};
    c = {
      variables: (spec.variables ?? []).flatMap((v) => {
        const p = programOf(v.expression);
        return p ? [[v.name, p] as [string, CelProgram]] : [];
      }),
      validations: (spec.validations ?? []).flatMap((v) => {
        const p = programOf(v.expression);
        return p ? [[v, p, v.messageExpression ? programOf(v.messageExpression) : undefined] as [Validation, CelProgram, CelProgram | undefined]] : [];
      }),
      auditAnnotations: (spec.auditAnnotations ?? []).flatMap((a) => {
        const p = programOf(a.valueExpression);
        return p ? [[a.key, p] as [string, CelProgram]] : [];
      }),
    };
    compiledPolicies.set(policy, c);
  }
  return c;
}

/** Variables an expression reads that failed to evaluate: the error that expression gets. */
function failedVariable(p: CelProgram, failed: Map<string, string>): string | undefined {
  if (!failed.size) return undefined;
  for (const m of p.expression.matchAll(/\bvariables\s*\.\s*([_a-zA-Z][_a-zA-Z0-9]*)/g)) {
    const err = failed.get(m[1]!);
    if (err !== undefined) return `composited variable "${m[1]}" fails to evaluate: ${err}`;
  }
  return undefined;
}

/** Evaluates `policy` with the request's bindings (object, oldObject, request, namespaceObject, params). */
export function evaluatePolicy(policy: ValidatingAdmissionPolicy, bindings: Record<string, unknown>): Evaluation {
  const failOpen = policy.spec?.failurePolicy === "Ignore";
  const out: Evaluation = { decisions: [], auditAnnotations: [] };
  const onError = (index: number, message: string) => {
    if (!failOpen) out.decisions.push({ index, message });
  };
  const conditions = compileConditions(policy, policy.spec?.matchConditions, POLICY_VARIABLES);
  if (conditions.length) {
    const m = matchConditions(conditions, { ...bindings, variables: new Map() });
    if ("error" in m) {
      onError(-1, m.error);
      return out;
    }
    if (!m.matches) return out;
  }
  const c = compiled(policy);
  const variables = new Map<string, unknown>();
  const failed = new Map<string, string>();
  const env = { ...bindings, variables };
  for (const [name, p] of c.variables) {
    const dep = failedVariable(p, failed);
    if (dep) {
      failed.set(name, dep);
      continue;
    }
    const r = p.run(env);
    if ("error" in r) failed.set(name, r.error);
    else variables.set(name, r.value);
  }
  c.validations.forEach(([v, p, messageProgram], i) => {
    const dep = failedVariable(p, failed);
    const result = dep ? { error: dep } : runCondition(p, env);
    if (typeof result === "object") return onError(i, result.error);
    if (result) return;
    out.decisions.push({ index: i, message: failureMessage(v, messageProgram, env, failed), reason: v.reason ?? "Invalid" });
  });
  for (const [key, p] of c.auditAnnotations) {
    const dep = failedVariable(p, failed);
    const r = dep ? { error: dep } : p.run(env);
    if ("error" in r) {
      onError(-1, `valueExpression '${p.expression}' resulted in error: ${r.error}`);
      continue;
    }
    if (r.value === null) continue;
    if (typeof r.value !== "string") {
      onError(-1, `valueExpression '${p.expression}' resulted in unsupported return type: ${typeof r.value}. Return type must be either string or null.`);
      continue;
    }
    out.auditAnnotations.push([key, r.value.slice(0, 10 * 1024)]);
  }
  return out;
}

function failureMessage(v: Validation, messageProgram: CelProgram | undefined, env: Record<string, unknown>, failed: Map<string, string>): string {
  if (messageProgram && !failedVariable(messageProgram, failed)) {
    const r = messageProgram.run(env);
    if (!("error" in r) && typeof r.value === "string" && r.value.trim() && !/[\r\n]/.test(r.value)) return r.value.trim().slice(0, 5000);
  }
  if (v.message) return v.message.trim();
  return `failed expression: ${v.expression.trim()}`;
}
