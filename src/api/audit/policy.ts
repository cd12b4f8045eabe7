// The audit policy (audit.k8s.io/v1 Policy) and how a request finds its level, after
// k8s.io/apiserver/pkg/audit/policy: rules are tried in order, the first that matches decides
// the level (None, Metadata, Request, RequestResponse) and which stages are left out; a request
// no rule matches is not audited.
import type YAMLModule from "yaml";
import type { UserInfo } from "../auth.ts";
import type { RequestAttributes } from "../authz-attributes.ts";

export const LEVELS = ["None", "Metadata", "Request", "RequestResponse"] as const;
export type Level = (typeof LEVELS)[number];
export const STAGES = ["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"] as const;
export type Stage = (typeof STAGES)[number];

export interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

export interface Policy {
  rules: PolicyRule[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

export interface Decision {
  level: Level;
  omitStages: Set<Stage>;
  omitManagedFields: boolean;
}

const strings = (v: unknown, where: string): string[] | undefined => {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw new Error(`${where} must be a list of strings`);
  return v as string[];
};

function stages(v: unknown, where: string): Stage[] | undefined {
  const list = strings(v, where);
  for (const s of list ?? []) if (!(STAGES as readonly string[]).includes(s)) throw new Error(`${where}: unknown stage ${JSON.stringify(s)} (one of ${STAGES.join(", ")})`);
  return list as Stage[] | undefined;
}

/** Parses and checks a policy file's text (YAML or JSON); errors name the field. */
export function parsePolicy(text: string): Policy {
  // The YAML parser loads with the first policy file: a server without one never needs it.
  const doc = (require("yaml") as typeof YAMLModule).parse(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== "object") throw new Error("the audit policy must be an object");
  if (doc.kind !== "Policy" || (doc.apiVersion !== "audit.k8s.io/v1" && doc.apiVersion !== "audit.k8s.io/v1beta1")) {
    throw new Error(`the audit policy must be apiVersion audit.k8s.io/v1, kind Policy (got ${String(doc.apiVersion)}/${String(doc.kind)})`);
  }
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) throw new Error("the audit policy has no rules: rules must be a non-empty list");
  const rules = doc.rules.map((raw, i): PolicyRule => {
    const where = `rules[${i}]`;
    const r = (raw ?? {}) as Record<string, unknown>;
    if (!(LEVELS as readonly unknown[]).includes(r.level)) throw new Error(`${where}.level: must be one of ${LEVELS.join(", ")} (got ${JSON.stringify(r.level)})`);
    const resources = r.resources === undefined ? undefined : (r.resources as unknown[]);
    if (resources !== undefined && !Array.isArray(resources)) throw new Error(`${where}.resources must be a list`);
    const nonResourceURLs = strings(r.nonResourceURLs, `${where}.nonResourceURLs`);
    if (nonResourceURLs?.length && (resources?.length || (r.namespaces as unknown[] | undefined)?.length)) {
      throw new Error(`${where}: rules cannot apply to both regular resources and non-resource URLs`);
    }
    for (const url of nonResourceURLs ?? []) {
      if (!url.startsWith("/") && url !== "*") throw new Error(`${where}.nonResourceURLs: ${JSON.stringify(url)} must start with "/"`);
    }
    return {
      level: r.level as Level,
      users: strings(r.users, `${where}.users`),
      userGroups: strings(r.userGroups, `${where}.userGroups`),
      verbs: strings(r.verbs, `${where}.verbs`),
      namespaces: strings(r.namespaces, `${where}.namespaces`),
      nonResourceURLs,
      resources: resources?.map((g, j) => {
        const gr = (g ?? {}) as Record<string, unknown>;
        if (gr.group !== undefined && typeof gr.group !== "string") throw new Error(`${where}.resources[${j}].group must be a string`);
        return {
          group: (gr.group as string | undefined) ?? "",
          resources: strings(gr.resources, `${where}.resources[${j}].resources`),
          resourceNames: strings(gr.resourceNames, `${where}.resources[${j}].resourceNames`),
        };
      }),
      omitStages: stages(r.omitStages, `${where}.omitStages`),
      omitManagedFields: typeof r.omitManagedFields === "boolean" ? r.omitManagedFields : undefined,
    };
  });
  return {
    rules,
    omitStages: stages(doc.omitStages, "omitStages"),
    omitManagedFields: doc.omitManagedFields === true,
  };
}

const pathMatches = (path: string, spec: string) => spec === "*" || spec === path || (spec.endsWith("*") && path.startsWith(spec.slice(0, -1)));

function resourceMatches(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!a.resourceRequest) return false;
  if (rule.namespaces?.length && !rule.namespaces.includes(a.namespace)) return false;
  if (!rule.resources?.length) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of rule.resources) {
    if ((gr.group ?? "") !== a.apiGroup) continue;
    if (!gr.resources?.length) return true;
    if (gr.resourceNames?.length && !gr.resourceNames.includes(a.name)) continue;
    for (const res of gr.resources) {
      if (res === combined || res === "*") return true;
      if (a.subresource && res === `*/${a.subresource}`) return true;
      if (res.endsWith("/*") && a.resource === res.slice(0, -2)) return true;
    }
  }
  return false;
}

function ruleMatches(rule: PolicyRule, user: UserInfo | undefined, a: RequestAttributes): boolean {
  if (rule.users?.length && (!user || !rule.users.includes(user.name))) return false;
  if (rule.userGroups?.length && (!user || !user.groups.some((g) => rule.userGroups!.includes(g)))) return false;
  if (rule.verbs?.length && !rule.verbs.includes(a.verb)) return false;
  if (rule.namespaces?.length || rule.resources?.length) return resourceMatches(rule, a);
  if (rule.nonResourceURLs?.length) return !a.resourceRequest && rule.nonResourceURLs.some((spec) => pathMatches(a.path, spec));
  return true;
}

/** The level and omitted stages for a request: the first matching rule's, or None. */
export function decide(policy: Policy, user: UserInfo | undefined, a: RequestAttributes): Decision {
  const rule = policy.rules.find((r) => ruleMatches(r, user, a));
  const omitStages = new Set<Stage>([...(policy.omitStages ?? []), ...(rule?.omitStages ?? [])]);
  return { level: rule?.level ?? "None", omitStages, omitManagedFields: rule?.omitManagedFields ?? policy.omitManagedFields ?? false };
}
