// Node selector matching with core/v1's semantics (k8s.io/component-helpers/scheduling/corev1/
// nodeaffinity): nodeSelector labels, matchExpressions with Gt/Lt, matchFields on metadata.name.
// The scheduler's filters and the DaemonSet controller's node eligibility read them alike.
import type { NodeSelectorRequirement, NodeSelectorTerm } from "./scheduling.ts";

/**
 * A label value as Gt/Lt see it (strconv.ParseInt base 10), or NaN. Values beyond 2^53 are
 * treated as non-integers rather than compared inexactly.
 */
export function parseLabelInt(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) return NaN;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : NaN;
}

/** One matchExpressions requirement against a node's labels. */
export function matchesRequirement(labels: Record<string, string>, req: NodeSelectorRequirement): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = has ? labels[req.key]! : "";
  const values = req.values ?? [];
  switch (req.operator) {
    case "In": return has && values.includes(value);
    case "NotIn": return !has || !values.includes(value);
    case "Exists": return has;
    case "DoesNotExist": return !has;
    case "Gt":
    case "Lt": {
      if (!has || values.length !== 1) return false;
      const left = parseLabelInt(value);
      const right = parseLabelInt(values[0]!);
      return req.operator === "Gt" ? left > right : left < right;
    }
    default: return false;
  }
}

/** matchFields supports only metadata.name with In/NotIn; anything else matches nothing. */
export function matchesField(nodeName: string, req: NodeSelectorRequirement): boolean {
  if (req.key !== "metadata.name") return false;
  const values = req.values ?? [];
  if (req.operator === "In") return values.includes(nodeName);
  if (req.operator === "NotIn") return !values.includes(nodeName);
  return false;
}

export function isEmptyTerm(term: NodeSelectorTerm): boolean {
  return (term.matchExpressions?.length ?? 0) === 0 && (term.matchFields?.length ?? 0) === 0;
}

export function matchesTerm(nodeName: string, labels: Record<string, string>, term: NodeSelectorTerm): boolean {
  if (isEmptyTerm(term)) return false;
  return (term.matchExpressions ?? []).every((r) => matchesRequirement(labels, r)) &&
    (term.matchFields ?? []).every((r) => matchesField(nodeName, r));
}

export function matchesNodeSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  for (const key in selector) if (!Object.hasOwn(labels, key) || labels[key] !== selector[key]) return false;
  return true;
}
