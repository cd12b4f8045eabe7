// RBAC's evaluation of one rule and one subject, after k8s.io/kubernetes/pkg/apis/rbac/v1
// (evaluation_helpers.go) and plugin/pkg/auth/authorizer/rbac: pure functions over plain objects.
import type { UserInfo } from "./auth.ts";
import type { Attributes } from "./authz-attributes.ts";

export type { PolicyRule, RoleRef, Subject } from "../apis/rbac/rbac.ts";
import type { PolicyRule, Subject } from "../apis/rbac/rbac.ts";

const ALL = "*";

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return (rule.verbs ?? []).some((v) => v === ALL || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

/** "pods", "pods/log", "*" and "*\/log" forms; a bare resource never grants its subresources. */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** Exact paths, "*", and prefixes written with a trailing "*". */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const url of rule.nonResourceURLs ?? []) {
    if (url === ALL || url === path) return true;
    if (url.endsWith(ALL) && path.startsWith(url.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(rule, a.path);
  return apiGroupMatches(rule, a.apiGroup) && resourceMatches(rule, a.resource, a.subresource) && resourceNameMatches(rule, a.name);
}

export const serviceAccountUser = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

/** Whether a binding's subject names the user; ServiceAccounts default to the binding's namespace. */
export function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (s.kind) {
    case "User":
      return s.name === user.name;
    case "Group":
      return s.name !== undefined && user.groups.includes(s.name);
    case "ServiceAccount": {
      const ns = s.namespace || bindingNamespace;
      return ns !== "" && s.name !== undefined && user.name === serviceAccountUser(ns, s.name);
    }
    default:
      return false;
  }
}

/** kube's description of a subject in an RBAC reason: `User "x"`, `ServiceAccount "ns/x"`. */
export function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === "ServiceAccount") return `ServiceAccount ${JSON.stringify(`${s.namespace || bindingNamespace}/${s.name}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}
