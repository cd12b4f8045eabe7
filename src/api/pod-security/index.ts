export { evaluatePod, violationList, LEVELS, type Level } from "./evaluate.ts";
export { podSecurity, type PodSecurityDeps } from "./admission.ts";
export { DEFAULT_POD_SECURITY, parseDefaults, policyOf, validatePolicyLabels, type PodSecurityConfig } from "./policy.ts";
export type { Violation } from "./types.ts";
