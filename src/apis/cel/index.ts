// CEL for kubun: one engine (@bufbuild/cel) with Kubernetes' extension libraries, shared by
// CRD validation rules (src/apis/apiextensions/), admission's matchConditions and
// ValidatingAdmissionPolicy.
//
// The engine loads with the first expression compiled, not with the server: @bufbuild/cel, its
// protobuf runtime and the extension libraries are ~1 MB of source that a cluster without CRD
// rules, matchConditions or policies never runs. compile/compileAdmission are synchronous (they
// run inside validation), hence require(); a compiled program carries its own code, so running
// one needs nothing loaded here.
import type * as Admission from "./admission.ts";
import type * as Program from "./program.ts";
import type { CelProgram } from "./common.ts";

export type { CelProgram } from "./common.ts";
export { toCel } from "./values.ts";
export { admissionValue, isCompileError, POLICY_VARIABLES, WEBHOOK_MATCH_VARIABLES } from "./common.ts";

let admission: typeof Admission | undefined;
const engine = (): typeof Admission => (admission ??= require("./admission.ts") as typeof Admission);

/** Compiles an expression that may read only `allowed` variables (program.ts). */
export const compile = (expression: string, allowed: readonly string[]): CelProgram | { error: string } => (require("./program.ts") as typeof Program).compile(expression, allowed);

/** Compiles an admission expression (admission.ts). */
export const compileAdmission = (expression: string, declared: readonly string[]): CelProgram | { error: string } => engine().compileAdmission(expression, declared);

/** Runs a condition; true/false, or the error kube-apiserver reports for it (admission.ts). */
export const runCondition = (p: CelProgram, bindings: Record<string, unknown>): boolean | { error: string } => engine().runCondition(p, bindings);
