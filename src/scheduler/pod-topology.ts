// What the pod-to-pod plugins (InterPodAffinity, PodTopologySpread) read: every pod placed on a
// node (bound, or assumed by this scheduler) with its labels and affinity, the nodes' labels, and
// namespaces' labels for namespaceSelector. kube-scheduler keeps this in its NodeInfo snapshot;
// here it is taken from the informers once per scheduling attempt, and only for pods that need it
// (the pod has such rules, or some placed pod has required anti-affinity, which binds others).
import type { Affinity, PodAffinityTerm } from "../apis/core/scheduling.ts";
import type { KubeObject } from "../apis/meta.ts";
import { type LabelSelector, selectorMatches } from "../apis/selector.ts";

export interface PlacedPod {
  key: string;
  namespace: string;
  labels: Record<string, string>;
  node: string;
  affinity?: Affinity;
  /** Being deleted: PodTopologySpread does not count it. */
  terminating: boolean;
}

export interface TopologySnapshot {
  nodes: readonly KubeObject[];
  pods: readonly PlacedPod[];
  /** Labels of a namespace (undefined when unknown). */
  namespaceLabels(name: string): Record<string, string> | undefined;
}

/** An affinity term resolved for the pod that carries it (kube's framework.AffinityTerm). */
export interface ResolvedTerm {
  selector: LabelSelector | undefined;
  namespaces: Set<string>;
  namespaceSelector?: LabelSelector;
  topologyKey: string;
  weight: number;
}

/**
 * The term of `owner`'s affinity as it selects pods: matchLabelKeys/mismatchLabelKeys folded into
 * the label selector with owner's values, and the owner's namespace when neither namespaces nor a
 * namespaceSelector is given.
 */
export function resolveTerm(term: PodAffinityTerm, ownerNamespace: string, ownerLabels: Record<string, string>, weight = 1): ResolvedTerm {
  let selector = term.labelSelector;
  const extra: NonNullable<LabelSelector["matchExpressions"]> = [];
  for (const k of term.matchLabelKeys ?? []) if (k in ownerLabels) extra.push({ key: k, operator: "In", values: [ownerLabels[k]!] });
  for (const k of term.mismatchLabelKeys ?? []) if (k in ownerLabels) extra.push({ key: k, operator: "NotIn", values: [ownerLabels[k]!] });
  if (extra.length && selector) selector = { ...selector, matchExpressions: [...(selector.matchExpressions ?? []), ...extra] };
  const namespaces = new Set(term.namespaces ?? []);
  if (namespaces.size === 0 && !term.namespaceSelector) namespaces.add(ownerNamespace);
  return { selector, namespaces, namespaceSelector: term.namespaceSelector, topologyKey: term.topologyKey, weight };
}

/** Whether a term selects a pod in `namespace` with `labels`. */
export function termMatches(t: ResolvedTerm, namespace: string, labels: Record<string, string>, snap: TopologySnapshot): boolean {
  const inNamespace = t.namespaces.has(namespace) || (t.namespaceSelector !== undefined && selectorMatches(t.namespaceSelector, snap.namespaceLabels(namespace) ?? {}));
  return inNamespace && selectorMatches(t.selector, labels);
}

export const requiredAffinityTerms = (a: Affinity | undefined) => a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
export const requiredAntiAffinityTerms = (a: Affinity | undefined) => a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
export const preferredAffinityTerms = (a: Affinity | undefined) => a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
export const preferredAntiAffinityTerms = (a: Affinity | undefined) => a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];

/** Whether a pod's affinity binds other pods' placement (required anti-affinity, or any pod affinity term: scoring symmetry). */
export function hasPodAffinity(a: Affinity | undefined): boolean {
  return !!(a?.podAffinity || a?.podAntiAffinity);
}

/** The placed-pod view of a pod object on `node`. */
export function placedPod(key: string, pod: KubeObject, node: string): PlacedPod {
  return {
    key,
    namespace: pod.metadata.namespace ?? "",
    labels: pod.metadata.labels ?? {},
    node,
    affinity: (pod as { spec?: { affinity?: Affinity } }).spec?.affinity,
    terminating: !!pod.metadata.deletionTimestamp,
  };
}

const labelMaps = new WeakMap<readonly KubeObject[], Map<string, Record<string, string>>>();

/** node name → the node's labels (built once per node list: a snapshot's plugins share it). */
export function nodeLabels(nodes: readonly KubeObject[]): Map<string, Record<string, string>> {
  let m = labelMaps.get(nodes);
  if (!m) labelMaps.set(nodes, (m = new Map(nodes.map((n) => [n.metadata.name!, n.metadata.labels ?? {}]))));
  return m;
}

export interface PlacedTerms {
  requiredAffinity: ResolvedTerm[];
  requiredAntiAffinity: ResolvedTerm[];
  preferredAffinity: ResolvedTerm[];
  preferredAntiAffinity: ResolvedTerm[];
}

const placedTerms = new WeakMap<PlacedPod, PlacedTerms>();

/** A placed pod's own affinity terms, resolved once (every incoming pod's Filter and Score read them). */
export function termsOf(p: PlacedPod): PlacedTerms {
  let t = placedTerms.get(p);
  if (t) return t;
  const a = p.affinity;
  t = {
    requiredAffinity: requiredAffinityTerms(a).map((x) => resolveTerm(x, p.namespace, p.labels)),
    requiredAntiAffinity: requiredAntiAffinityTerms(a).map((x) => resolveTerm(x, p.namespace, p.labels)),
    preferredAffinity: preferredAffinityTerms(a).map((w) => resolveTerm(w.podAffinityTerm, p.namespace, p.labels, w.weight)),
    preferredAntiAffinity: preferredAntiAffinityTerms(a).map((w) => resolveTerm(w.podAffinityTerm, p.namespace, p.labels, w.weight)),
  };
  placedTerms.set(p, t);
  return t;
}
