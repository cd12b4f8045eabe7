// Whether one set of RBAC rules grants everything another grants, after
// k8s.io/kubernetes/pkg/registry/rbac/validation (policy_comparator.go, policy_compact.go): the
// bootstrap reconciler adds what a built-in role lacks, and escalation prevention refuses a
// role or binding that grants what its author does not hold. Pure functions.
import type { PolicyRule } from "./rbac-rules.ts";

const ALL = "*";
const has = (list: readonly string[] | undefined, value: string) => (list ?? []).some((x) => x === ALL || x === value);

/** A rule split into rules of one verb and one resource (and one name, or one URL): kube's BreakdownRule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs ?? []) {
    for (const apiGroup of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        if (rule.resourceNames?.length) for (const name of rule.resourceNames) out.push({ verbs: [verb], apiGroups: [apiGroup], resources: [resource], resourceNames: [name] });
        else out.push({ verbs: [verb], apiGroups: [apiGroup], resources: [resource] });
      }
    }
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

function resourceCovered(owned: readonly string[] | undefined, resource: string): boolean {
  if (has(owned, resource)) return true;
  const slash = resource.indexOf("/");
  return slash > 0 && (owned ?? []).includes(`*${resource.slice(slash)}`);
}

function urlCovered(owned: readonly string[] | undefined, url: string): boolean {
  return (owned ?? []).some((u) => u === url || (u.endsWith(ALL) && url.startsWith(u.slice(0, -1))));
}

/** Whether `owner` grants everything a broken-down rule (breakdownRule) grants. */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  if (!has(owner.verbs, sub.verbs![0]!)) return false;
  if (sub.nonResourceURLs) return urlCovered(owner.nonResourceURLs, sub.nonResourceURLs[0]!);
  if (!has(owner.apiGroups, sub.apiGroups![0]!) || !resourceCovered(owner.resources, sub.resources![0]!)) return false;
  if (!owner.resourceNames?.length) return true;
  return sub.resourceNames !== undefined && owner.resourceNames.includes(sub.resourceNames[0]!);
}

/** The rules of `expected` that `existing` does not grant in full. */
export function uncoveredRules(existing: readonly PolicyRule[], expected: readonly PolicyRule[]): PolicyRule[] {
  return expected.filter((rule) => breakdownRule(rule).some((sub) => !existing.some((owner) => ruleCovers(owner, sub))));
}

/** kube's Covers: the broken-down pieces of `servant` that no rule of `owner` grants (empty: covered). */
export function missingRules(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): PolicyRule[] {
  return servant.flatMap(breakdownRule).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
}

/**
 * kube's CompactRules: broken-down rules of one group, one resource and at most one name that
 * differ only by verb become one rule with those verbs, so an error lists `Verbs:["get" "list"]`
 * once instead of a line per verb.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const simple = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const isSimple = !r.nonResourceURLs?.length && (r.resourceNames?.length ?? 0) <= 1 && r.apiGroups?.length === 1 && r.resources?.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? []]);
    const seen = simple.get(key);
    if (seen) seen.verbs = [...(seen.verbs ?? []), ...(r.verbs ?? [])];
    else simple.set(key, { ...r, verbs: [...(r.verbs ?? [])] });
  }
  return [...out, ...simple.values()];
}

/** Go's %q of a []string: `["a" "b"]`. */
export const goQuotedList = (list: readonly string[]) => `[${list.map((s) => JSON.stringify(s)).join(" ")}]`;

/** kube's PolicyRule.CompactString, as escalation errors print a rule. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuotedList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuotedList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuotedList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuotedList(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goQuotedList(r.verbs)}`);
  return `{${parts.join(", ")}}`;
}
