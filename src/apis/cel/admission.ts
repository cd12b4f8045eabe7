// CEL for admission: the environments of kube-apiserver's matchConditions (object, oldObject,
// request) and ValidatingAdmissionPolicy (those, plus params, namespaceObject and variables),
// compiled on the shared engine (program.ts). Admission objects are untyped here, as kube's
// DynType for kinds without a schema, so the compile-time checks are the ones that need no
// types: syntax, the cost rule, undeclared identifiers; a non-boolean result of a condition is
// an evaluation error. `authorizer` needs an authorizer bound into CEL, which kubun does not
// have: expressions that read it are refused at write time rather than failing at run time.
import { parse } from "@bufbuild/cel";
import { compile, isCompileError, type CelProgram } from "./program.ts";

export { POLICY_VARIABLES, WEBHOOK_MATCH_VARIABLES } from "./common.ts";

const UNSUPPORTED: Record<string, string> = {
  authorizer: "the `authorizer` variable is not supported by kubun (no authorizer is bound into CEL)",
};

type Node = { id?: bigint; exprKind?: { case?: string; value?: Record<string, unknown> } };

/** Identifiers an expression reads that are not comprehension variables, with their offsets. */
function freeIdentifiers(expression: string): Map<string, number> | undefined {
  let parsed;
  try {
    parsed = parse(expression);
  } catch {
    return undefined; // compile() reports the syntax error
  }
  const bound = new Set<string>();
  const found = new Map<string, bigint | undefined>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return void node.forEach(walk);
    const kind = (node as Node).exprKind;
    if (kind?.case === "comprehensionExpr") {
      for (const v of [kind.value?.iterVar, kind.value?.iterVar2, kind.value?.accuVar]) if (typeof v === "string" && v) bound.add(v);
    }
    if (kind?.case === "identExpr") {
      const name = (kind.value as { name: string }).name;
      if (!found.has(name)) found.set(name, (node as Node).id);
    }
    for (const [k, v] of Object.entries(node)) if (k !== "$typeName" && typeof v === "object") walk(v);
  };
  walk(parsed.expr);
  const positions = (parsed.sourceInfo as { positions?: Record<string, number> } | undefined)?.positions ?? {};
  const out = new Map<string, number>();
  for (const [name, id] of found) if (!bound.has(name)) out.set(name, id !== undefined ? (positions[String(id)] ?? 0) : 0);
  return out;
}

/**
 * Compiles an admission expression for an environment of `declared` variables; the error is
 * worded as kube-apiserver's ("compilation failed: ERROR: <input>:1:5: undeclared reference
 * to 'x' (in container '')").
 */
export function compileAdmission(expression: string, declared: readonly string[]): CelProgram | { error: string } {
  const program = compile(expression, declared);
  if (isCompileError(program)) return program;
  for (const [name, offset] of freeIdentifiers(expression) ?? []) {
    if (declared.includes(name)) continue;
    if (UNSUPPORTED[name]) return { error: UNSUPPORTED[name] };
    const before = expression.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - before.lastIndexOf("\n");
    return { error: `compilation failed: ERROR: <input>:${line}:${column}: undeclared reference to '${name}' (in container '')` };
  }
  return program;
}

export { isCompileError };

export { admissionValue } from "./common.ts";

/** Runs a condition; true/false, or the error kube-apiserver reports for it. */
export function runCondition(p: CelProgram, bindings: Record<string, unknown>): boolean | { error: string } {
  const r = p.run(bindings);
  if ("error" in r) return { error: `expression '${p.expression}' resulted in error: ${r.error}` };
  if (typeof r.value !== "boolean") return { error: `expression '${p.expression}' resulted in error: expected a boolean result, got ${describe(r.value)}` };
  return r.value;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "double";
  if (v instanceof Map) return "map";
  if (Array.isArray(v)) return "list";
  return typeof v;
}
