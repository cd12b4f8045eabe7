// matchConditions of admission webhooks and ValidatingAdmissionPolicies: their validation
// (upstream's validateMatchConditions: at most 64, names unique qualified names, each
// expression compiling in the environment of its owner) and the evaluation rule of
// matchconditions/matcher.go: any condition false → no match (even beside errors); otherwise
// any error → the error, which the owner's failurePolicy turns into a refusal or a skip.
import { compileAdmission, isCompileError, runCondition, type CelProgram } from "../cel/index.ts";
import { fieldDuplicate, fieldInvalid, fieldRequired } from "../errors.ts";
import { type Causes, child, fieldTooMany, objectsAt, stringAt } from "../field.ts";
import { isQualifiedName } from "../validation.ts";

export interface MatchCondition {
  name: string;
  expression: string;
}

export const MAX_MATCH_CONDITIONS = 64;

export function validateMatchConditions(errs: Causes, path: string, v: unknown, variables: readonly string[]): void {
  const conditions = objectsAt(errs, path, v);
  if (conditions.length > MAX_MATCH_CONDITIONS) errs.push(fieldTooMany(path, conditions.length, MAX_MATCH_CONDITIONS));
  const names = new Set<string>();
  for (const [c, p] of conditions) {
    const name = stringAt(errs, child(p, "name"), c.name);
    if (!name) errs.push(fieldRequired(child(p, "name")));
    else {
      for (const msg of isQualifiedName(name)) errs.push(fieldInvalid(child(p, "name"), name, msg));
      if (names.has(name)) errs.push(fieldDuplicate(child(p, "name"), name));
      names.add(name);
    }
    const expression = stringAt(errs, child(p, "expression"), c.expression);
    if (!expression) errs.push(fieldRequired(child(p, "expression")));
    else {
      const program = compileAdmission(expression, variables);
      if (isCompileError(program)) errs.push(fieldInvalid(child(p, "expression"), expression, program.error));
    }
  }
}

/** Compiled conditions, cached by the owning object so a request never compiles. */
const compiled = new WeakMap<object, CelProgram[]>();

export function compileConditions(owner: object, conditions: readonly MatchCondition[] | undefined, variables: readonly string[]): CelProgram[] {
  let programs = compiled.get(owner);
  if (!programs) {
    programs = (conditions ?? []).flatMap((c) => {
      const p = compileAdmission(c.expression, variables);
      return isCompileError(p) ? [] : [p];
    });
    compiled.set(owner, programs);
  }
  return programs;
}

export type MatchResult = { matches: true } | { matches: false } | { error: string };

/** Upstream's Matcher.Match over compiled conditions. */
export function matchConditions(programs: readonly CelProgram[], bindings: Record<string, unknown>): MatchResult {
  const errors: string[] = [];
  for (const p of programs) {
    const r = runCondition(p, bindings);
    if (r === false) return { matches: false };
    if (typeof r === "object") errors.push(r.error);
  }
  if (errors.length) return { error: errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]` };
  return { matches: true };
}
