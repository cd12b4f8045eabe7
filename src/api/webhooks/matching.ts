// Which webhooks a request goes to, after kube-apiserver's webhook/predicates (rules, namespace
// and object matchers): a rule matches on operation, API group, version, resource with its
// subresource ("pods", "pods/status", "*/status", "pods/*", "*", "*/*") and scope; the
// namespaceSelector tests the labels of the object's namespace (of the Namespace itself for
// namespaces; cluster-scoped objects always pass); the objectSelector tests the labels of the
// object or of its old version. The webhook configuration kinds themselves are never sent to
// webhooks, so a broken webhook can always be removed.
import { selectorMatches, type LabelSelector } from "../../apis/selector.ts";
import type { RuleWithOperations, Webhook } from "../../apis/admissionregistration/webhook.ts";
import type { AdmissionAttributes } from "./attributes.ts";

const EXEMPT = new Set(["validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings"]);

const has = (list: readonly string[] | undefined, v: string) => !!list && (list.includes("*") || list.includes(v));

export function ruleMatches(rule: RuleWithOperations, a: AdmissionAttributes): boolean {
  if (!has(rule.operations, a.operation)) return false;
  if (!has(rule.apiGroups, a.resource.group)) return false;
  if (!has(rule.apiVersions, a.resource.version)) return false;
  if (!resourceMatches(rule.resources ?? [], a.resource.resource, a.subresource)) return false;
  return scopeMatches(rule.scope, a);
}

function resourceMatches(resources: readonly string[], resource: string, subresource: string): boolean {
  return resources.some((rs) => {
    const slash = rs.indexOf("/");
    const res = slash < 0 ? rs : rs.slice(0, slash);
    const sub = slash < 0 ? "" : rs.slice(slash + 1);
    return (res === "*" || res === resource) && (sub === "*" || sub === subresource);
  });
}

function scopeMatches(scope: RuleWithOperations["scope"], a: AdmissionAttributes): boolean {
  if (scope === undefined || scope === "*") return true;
  return scope === "Namespaced" ? a.resource.namespaced : !a.resource.namespaced;
}

/** The labels of the namespace a request is in, or undefined when that namespace does not exist. */
export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

export class NamespaceNotFound extends Error {}

/** Whether the webhook's rules and selectors take the request (matchConditions are dispatch.ts's). */
export function webhookMatches(hook: Webhook, a: AdmissionAttributes, namespaceLabels: NamespaceLabels): boolean {
  if (EXEMPT.has(a.resource.resource) && a.resource.group === "admissionregistration.k8s.io") return false;
  if (!(hook.rules ?? []).some((r) => ruleMatches(r, a))) return false;
  if (!objectSelectorMatches(hook.objectSelector, a)) return false;
  return namespaceSelectorMatches(hook.namespaceSelector, a, namespaceLabels);
}

function isEverything(sel: LabelSelector | undefined): boolean {
  return !sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length);
}

export function objectSelectorMatches(sel: LabelSelector | undefined, a: AdmissionAttributes): boolean {
  if (isEverything(sel)) return true;
  const labelsOf = (o: unknown) => ((o as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {});
  const objects = [a.object, a.oldObject].filter((o) => o !== undefined);
  return objects.some((o) => selectorMatches(sel, labelsOf(o)));
}

export function namespaceSelectorMatches(sel: LabelSelector | undefined, a: AdmissionAttributes, namespaceLabels: NamespaceLabels): boolean {
  const isNamespace = a.resource.group === "" && a.resource.resource === "namespaces";
  // Cluster-scoped objects other than namespaces are not in any namespace: the selector passes.
  if (!a.resource.namespaced && !isNamespace) return true;
  if (isEverything(sel)) return true;
  if (isNamespace) {
    const ns = (a.object ?? a.oldObject) as { metadata?: { labels?: Record<string, string> } } | undefined;
    return selectorMatches(sel, ns?.metadata?.labels ?? {});
  }
  const labels = namespaceLabels(a.namespace);
  if (!labels) throw new NamespaceNotFound(`namespace ${a.namespace} does not exist`);
  return selectorMatches(sel, labels);
}
