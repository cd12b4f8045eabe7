// metav1.LabelSelector: the selector type of deployments, replicasets and affinity terms, how it
// matches a label set, and how kubectl prints it (labels.Selector.String()).

export type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

type Labels = Record<string, string> | undefined;

function requirementMatches(r: LabelSelectorRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels![r.key]! : undefined;
  switch (r.operator) {
    case "In":
      return has && (r.values ?? []).includes(value!);
    case "NotIn":
      return !has || !(r.values ?? []).includes(value!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    default:
      return false;
  }
}

/**
 * Whether a selector selects a label set. An empty selector selects everything; a missing one
 * selects nothing (metav1.LabelSelectorAsSelector's nil → labels.Nothing()).
 */
export function selectorMatches(selector: LabelSelector | undefined | null, labels: Labels): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels?.[k] !== v) return false;
  return (selector.matchExpressions ?? []).every((r) => requirementMatches(r, labels));
}

/** A plain map selector (Service.spec.selector, nodeSelector): every pair must be present. */
export function mapSelectorMatches(selector: Record<string, string> | undefined, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

function requirementString(r: LabelSelectorRequirement): string {
  const values = [...(r.values ?? [])].sort().join(",");
  switch (r.operator) {
    case "In":
      return `${r.key} in (${values})`;
    case "NotIn":
      return `${r.key} notin (${values})`;
    case "Exists":
      return r.key;
    case "DoesNotExist":
      return `!${r.key}`;
  }
}

/** "app=web,tier in (a,b)", requirements sorted by key as labels.Selector.String() does. */
export function selectorString(selector: LabelSelector | undefined | null): string {
  if (!selector) return "";
  const reqs: [string, string][] = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]): [string, string] => [k, `${k}=${v}`]),
    ...(selector.matchExpressions ?? []).map((r): [string, string] => [r.key, requirementString(r)]),
  ];
  return reqs
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, s]) => s)
    .join(",");
}

/** labels.FormatLabels: "a=1,b=2" sorted by key, "<none>" when empty. */
export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? "<none>" : keys.map((k) => `${k}=${labels![k]}`).join(",");
}
