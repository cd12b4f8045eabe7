// The parts of the CEL package its callers use without running the engine: a compiled program's
// type, the admission environments' variable lists, their values' conversion and the test for a
// compile error. They live apart from program.ts
// and admission.ts so that index.ts can hand them out without loading @bufbuild/cel (with its
// protobuf runtime, ~1 MB of source), which loads with the first expression compiled.
import type { CelValue } from "@bufbuild/cel";
import { toCel } from "./values.ts";

/** A compiled expression (program.ts compiles it). */
export interface CelProgram {
  readonly expression: string;
  /** Variables the expression reads (self, oldSelf, object ...). */
  readonly variables: ReadonlySet<string>;
  run(bindings: Record<string, unknown>): { value: CelValue } | { error: string };
}

/** Variables of matchConditions of admission webhooks. */
export const WEBHOOK_MATCH_VARIABLES = ["object", "oldObject", "request"] as const;
/** Variables of every ValidatingAdmissionPolicy expression. */
export const POLICY_VARIABLES = ["object", "oldObject", "request", "params", "namespaceObject", "variables"] as const;

export const isCompileError = (p: CelProgram | { error: string }): p is { error: string } => "error" in p;

/** A JSON value (object, request, params) as admission expressions see it. */
export const admissionValue = (v: unknown): unknown => (v === undefined ? null : toCel(v));
