// Whether a policy's matchConstraints or a binding's matchResources take a request, after
// kube-apiserver's policy/matching: the namespace and object selectors as webhooks use them,
// then a resource rule that matches (operation, group, version, resource/subresource, scope,
// resourceNames) and no excludeResourceRule that does. matchPolicy Equivalent lets a rule
// naming another version of the same group and resource match: kubun serves each resource in
// one version, which is the one every equivalent request is converted to.
import type { MatchResources, NamedRuleWithOperations } from "../../apis/admissionregistration/policy.ts";
import type { AdmissionAttributes } from "../webhooks/attributes.ts";
import { namespaceSelectorMatches, objectSelectorMatches, ruleMatches, type NamespaceLabels } from "../webhooks/matching.ts";

function namedRuleMatches(rule: NamedRuleWithOperations, a: AdmissionAttributes, equivalent: boolean): boolean {
  const r = equivalent ? { ...rule, apiVersions: ["*"] } : rule;
  if (!ruleMatches(r, a)) return false;
  const names = rule.resourceNames ?? [];
  return !names.length || names.includes(a.name);
}

export function matchResourcesMatch(m: MatchResources | undefined, a: AdmissionAttributes, namespaceLabels: NamespaceLabels, requireRules: boolean): boolean {
  if (!m) return true;
  if (!namespaceSelectorMatches(m.namespaceSelector, a, namespaceLabels)) return false;
  if (!objectSelectorMatches(m.objectSelector, a)) return false;
  const equivalent = m.matchPolicy !== "Exact";
  const rules = m.resourceRules ?? [];
  if ((rules.length || requireRules) && !rules.some((r) => namedRuleMatches(r, a, equivalent))) return false;
  return !(m.excludeResourceRules ?? []).some((r) => namedRuleMatches(r, a, equivalent));
}
