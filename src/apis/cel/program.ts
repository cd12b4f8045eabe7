// Compiling and running CEL expressions as kube-apiserver does for x-kubernetes-validations,
// matchConditions and ValidatingAdmissionPolicy: parse once, check the expression's cost
// before accepting it, evaluate with bound variables, and turn every failure into an error
// value rather than an exception. The cost rule: a comprehension (all, exists, map, filter)
// may not contain another, so evaluating a rule is linear in the size of the object it reads
// (the request body is bounded) — where kube-apiserver estimates a cost from maxItems and
// maxLength, kubun refuses what could be quadratic; the one function whose output can outgrow
// its input many times, replace, is capped at run time (library.ts).
import { celEnv, isCelError, parse, plan, type CelValue } from "@bufbuild/cel";
import { KUBERNETES_FUNCS } from "./library.ts";
import { isCompileError, type CelProgram } from "./common.ts";

export type { CelProgram };

const MAX_EXPRESSION_LENGTH = 10_000;

type Node = { exprKind?: { case?: string; value?: unknown } };

/** Walks a parsed expression: the deepest comprehension nesting and the identifiers read. */
function inspect(node: unknown, depth: number, out: { maxDepth: number; idents: Set<string> }): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const n of node) inspect(n, depth, out);
    return;
  }
  const kind = (node as Node).exprKind;
  let d = depth;
  if (kind?.case === "comprehensionExpr") {
    d = depth + 1;
    out.maxDepth = Math.max(out.maxDepth, d);
  }
  if (kind?.case === "identExpr") out.idents.add((kind.value as { name: string }).name);
  for (const [k, v] of Object.entries(node)) if (k !== "$typeName" && typeof v === "object") inspect(v, d, out);
}

export function compile(expression: string, allowed: readonly string[]): CelProgram | { error: string } {
  if (expression.length > MAX_EXPRESSION_LENGTH) return { error: `expression is longer than ${MAX_EXPRESSION_LENGTH} characters` };
  let parsed;
  try {
    parsed = parse(expression);
  } catch (err) {
    return { error: `compilation failed: ${(err as Error).message}` };
  }
  const seen = { maxDepth: 0, idents: new Set<string>() };
  inspect(parsed.expr, 0, seen);
  if (seen.maxDepth > 1) return { error: "estimated rule cost exceeds budget: comprehensions (all, exists, map, filter) may not be nested" };
  const env = celEnv({ funcs: KUBERNETES_FUNCS });
  let evaluate: (ctx: Record<string, unknown>) => unknown;
  try {
    evaluate = plan(env, parsed) as (ctx: Record<string, unknown>) => unknown;
  } catch (err) {
    return { error: `compilation failed: ${(err as Error).message}` };
  }
  const variables = new Set([...seen.idents].filter((i) => allowed.includes(i)));
  return {
    expression,
    variables,
    run(bindings) {
      try {
        const value = evaluate(bindings);
        if (isCelError(value)) return { error: (value as Error).message };
        return { value: value as CelValue };
      } catch (err) {
        return { error: (err as Error).message };
      }
    },
  };
}

export { isCompileError };
