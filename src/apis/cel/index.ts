// CEL for kubun: one engine (@bufbuild/cel) with Kubernetes' extension libraries, shared by
// CRD validation rules (src/apis/apiextensions/) and, later, admission's matchConditions and
// ValidatingAdmissionPolicy.
export { compile, isCompileError, type CelProgram } from "./program.ts";
export { KUBERNETES_FUNCS } from "./library.ts";
export { toCel } from "./values.ts";
export { compileAdmission, admissionValue, runCondition, POLICY_VARIABLES, WEBHOOK_MATCH_VARIABLES } from "./admission.ts";
