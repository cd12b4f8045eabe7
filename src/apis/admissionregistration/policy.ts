// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding:
// types, defaults (upstream's SetDefaults_ValidatingAdmissionPolicySpec and _MatchResources)
// and `kubectl get` columns (upstream's printers). Validation is beside
// (policy-validation.ts); the API server enforces them in src/api/admission-policy/.
import type { KubeObject } from "../meta.ts";
import type { LabelSelector } from "../selector.ts";
import { type Printer, age, column } from "../table.ts";
import type { MatchCondition } from "./match-conditions.ts";
import type { RuleWithOperations } from "./webhook.ts";

export interface NamedRuleWithOperations extends RuleWithOperations {
  resourceNames?: string[];
}

export interface MatchResources {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  resourceRules?: NamedRuleWithOperations[];
  excludeResourceRules?: NamedRuleWithOperations[];
  matchPolicy?: "Exact" | "Equivalent";
}

export interface Validation {
  expression: string;
  message?: string;
  reason?: "Unauthorized" | "Forbidden" | "Invalid" | "RequestEntityTooLarge";
  messageExpression?: string;
}

export interface AuditAnnotation {
  key: string;
  valueExpression: string;
}

export interface Variable {
  name: string;
  expression: string;
}

export interface ParamKind {
  apiVersion?: string;
  kind?: string;
}

export interface ValidatingAdmissionPolicy extends KubeObject {
  spec?: {
    paramKind?: ParamKind;
    matchConstraints?: MatchResources;
    validations?: Validation[];
    failurePolicy?: "Ignore" | "Fail";
    auditAnnotations?: AuditAnnotation[];
    matchConditions?: MatchCondition[];
    variables?: Variable[];
  };
  status?: { observedGeneration?: number; typeChecking?: unknown; conditions?: unknown[] };
}

export interface ParamRef {
  name?: string;
  namespace?: string;
  selector?: LabelSelector;
  parameterNotFoundAction?: "Allow" | "Deny";
}

export type ValidationAction = "Deny" | "Warn" | "Audit";

export interface ValidatingAdmissionPolicyBinding extends KubeObject {
  spec?: {
    policyName?: string;
    paramRef?: ParamRef;
    matchResources?: MatchResources;
    validationActions?: ValidationAction[];
  };
}

function defaultMatchResources(m: MatchResources | undefined): void {
  if (typeof m !== "object" || m === null) return;
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  m.matchPolicy ??= "Equivalent";
  for (const rules of [m.resourceRules, m.excludeResourceRules]) {
    if (Array.isArray(rules)) for (const r of rules) if (typeof r === "object" && r !== null) r.scope ??= "*";
  }
}

export function defaultPolicy(p: ValidatingAdmissionPolicy): void {
  if (typeof p.spec !== "object" || p.spec === null) return;
  p.spec.failurePolicy ??= "Fail";
  defaultMatchResources(p.spec.matchConstraints);
}

export function defaultBinding(b: ValidatingAdmissionPolicyBinding): void {
  if (typeof b.spec !== "object" || b.spec === null) return;
  defaultMatchResources(b.spec.matchResources);
}

/** NAME VALIDATIONS PARAMKIND AGE, as upstream's printer. */
export const policyPrinter: Printer<ValidatingAdmissionPolicy> = {
  columns: [
    column("Name"),
    column("Validations", "Validations indicates the number of validation rules defined in this configuration", { type: "integer" }),
    column("ParamKind", "ParamKind specifies the kind of resources used to parameterize this policy"),
    column("Age"),
  ],
  cells: (p, now) => {
    const pk = p.spec?.paramKind;
    return [p.metadata.name ?? "", p.spec?.validations?.length ?? 0, pk ? `${pk.apiVersion ?? ""}/${pk.kind ?? ""}` : "<unset>", age(p, now)];
  },
};

/** NAME POLICYNAME PARAMREF AGE, as upstream's printer. */
export const bindingPrinter: Printer<ValidatingAdmissionPolicyBinding> = {
  columns: [
    column("Name"),
    column("PolicyName", "PolicyName indicates the policy definition which the policy binding binded to"),
    column("ParamRef", "ParamRef indicates the param resource which sets the configration param"),
    column("Age"),
  ],
  cells: (b, now) => {
    const ref = b.spec?.paramRef;
    const refCell = !ref ? "<unset>" : ref.name ? `${ref.namespace || "*"}/${ref.name}` : `${ref.namespace || "*"}/*[${JSON.stringify(ref.selector ?? {})}]`;
    return [b.metadata.name ?? "", b.spec?.policyName ?? "", refCell, age(b, now)];
  },
};
