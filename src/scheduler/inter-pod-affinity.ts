// kube-scheduler's InterPodAffinity plugin, in TypeScript beside the wasm call (as VolumeBinding
// is): its inputs are other pods' labels and affinity terms, which the wasm node table does not
// hold. PreFilter counts, per topology pair (key, value), the placed pods that match the incoming
// pod's required terms and those whose own required anti-affinity rejects it (symmetry); Filter
// then answers per node from its labels. Score sums preferred terms' weights per topology pair,
// both ways (the incoming pod's preferred terms over placed pods, and placed pods' required
// affinity with hardPodAffinityWeight 1 and preferred terms over the incoming pod), normalised
// to 0..100 by min-max as upstream.
import type { Affinity, PodAffinityTerm } from "../apis/core/scheduling.ts";
import type { KubeObject } from "../apis/meta.ts";
import {
  type PlacedPod, type ResolvedTerm, type TopologySnapshot, nodeLabels, preferredAffinityTerms, preferredAntiAffinityTerms,
  requiredAffinityTerms, requiredAntiAffinityTerms, resolveTerm, termMatches, termsOf,
} from "./pod-topology.ts";

export const REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

/** hardPodAffinityWeight of kube-scheduler's default InterPodAffinityArgs. */
const HARD_POD_AFFINITY_WEIGHT = 1;

export interface IncomingPod {
  key: string;
  namespace: string;
  labels: Record<string, string>;
  affinity?: Affinity;
}

const pair = (key: string, value: string) => `${key}\u0000${value}`;

/** Topology pairs a node is in, for the keys asked. */
function nodePairs(labels: Record<string, string>, key: string): string | undefined {
  return key in labels ? pair(key, labels[key]!) : undefined;
}

function resolveAll(terms: PodAffinityTerm[], owner: { namespace: string; labels: Record<string, string> }) {
  return terms.map((t) => resolveTerm(t, owner.namespace, owner.labels));
}

const matchesAll = (terms: ResolvedTerm[], pod: { namespace: string; labels: Record<string, string> }, snap: TopologySnapshot) =>
  terms.every((t) => termMatches(t, pod.namespace, pod.labels, snap));

/**
 * PreFilter + Filter: a function giving the reason a node is rejected, or undefined when the pod
 * has nothing to check (no required terms of its own, no placed pod's anti-affinity against it).
 */
export function interPodAffinityFilter(pod: IncomingPod, snap: TopologySnapshot): ((node: KubeObject) => string | undefined) | undefined {
  const affinity = resolveAll(requiredAffinityTerms(pod.affinity), pod);
  const anti = resolveAll(requiredAntiAffinityTerms(pod.affinity), pod);
  const labelsOf = nodeLabels(snap.nodes);
  const affinityCounts = new Map<string, number>();
  const antiPairs = new Set<string>();
  const existingAntiPairs = new Set<string>();
  for (const e of snap.pods) {
    if (e.key === pod.key) continue;
    const labels = labelsOf.get(e.node);
    if (!labels) continue;
    if (affinity.length && matchesAll(affinity, e, snap)) {
      for (const t of affinity) {
        const p = nodePairs(labels, t.topologyKey);
        if (p) affinityCounts.set(p, (affinityCounts.get(p) ?? 0) + 1);
      }
    }
    for (const t of anti) {
      const p = termMatches(t, e.namespace, e.labels, snap) ? nodePairs(labels, t.topologyKey) : undefined;
      if (p) antiPairs.add(p);
    }
    if (!e.affinity) continue;
    for (const t of termsOf(e).requiredAntiAffinity) {
      const p = termMatches(t, pod.namespace, pod.labels, snap) ? nodePairs(labels, t.topologyKey) : undefined;
      if (p) existingAntiPairs.add(p);
    }
  }
  if (!affinity.length && !anti.length && !existingAntiPairs.size) return undefined;
  // The first pod of a group with affinity to itself must not wait forever (upstream's rule).
  const firstOfGroup = affinityCounts.size === 0 && matchesAll(affinity, pod, snap);
  return (node) => {
    const labels = node.metadata.labels ?? {};
    if (affinity.length) {
      let podsExist = true;
      for (const t of affinity) {
        const p = nodePairs(labels, t.topologyKey);
        if (!p) return REASON_AFFINITY;
        if (!affinityCounts.get(p)) podsExist = false;
      }
      if (!podsExist && !firstOfGroup) return REASON_AFFINITY;
    }
    for (const t of anti) {
      const p = nodePairs(labels, t.topologyKey);
      if (p && antiPairs.has(p)) return REASON_ANTI_AFFINITY;
    }
    if (existingAntiPairs.size) {
      for (const [k, v] of Object.entries(labels)) if (existingAntiPairs.has(pair(k, v))) return REASON_EXISTING_ANTI_AFFINITY;
    }
    return undefined;
  };
}

/**
 * PreScore + Score + NormalizeScore: node name → 0..100, or undefined when no term applies
 * (every node scores 0, which changes no choice).
 */
export function interPodAffinityScores(pod: IncomingPod, snap: TopologySnapshot, nodes: readonly KubeObject[]): Map<string, number> | undefined {
  const prefAffinity = preferredAffinityTerms(pod.affinity).map((w) => resolveTerm(w.podAffinityTerm, pod.namespace, pod.labels, w.weight));
  const prefAnti = preferredAntiAffinityTerms(pod.affinity).map((w) => resolveTerm(w.podAffinityTerm, pod.namespace, pod.labels, w.weight));
  const labelsOf = nodeLabels(snap.nodes);
  const topoScore = new Map<string, number>();
  const add = (labels: Record<string, string>, t: ResolvedTerm, sign: number) => {
    const p = nodePairs(labels, t.topologyKey);
    if (p) topoScore.set(p, (topoScore.get(p) ?? 0) + sign * t.weight);
  };
  for (const e of snap.pods) {
    if (e.key === pod.key) continue;
    const labels = labelsOf.get(e.node);
    if (!labels) continue;
    for (const t of prefAffinity) if (termMatches(t, e.namespace, e.labels, snap)) add(labels, t, 1);
    for (const t of prefAnti) if (termMatches(t, e.namespace, e.labels, snap)) add(labels, t, -1);
    if (!e.affinity) continue;
    const own = termsOf(e);
    // A placed pod's required affinity counts with hardPodAffinityWeight, not its term's weight of 1.
    for (const t of own.requiredAffinity) if (termMatches(t, pod.namespace, pod.labels, snap)) add(labels, { ...t, weight: HARD_POD_AFFINITY_WEIGHT }, 1);
    for (const t of own.preferredAffinity) if (termMatches(t, pod.namespace, pod.labels, snap)) add(labels, t, 1);
    for (const t of own.preferredAntiAffinity) if (termMatches(t, pod.namespace, pod.labels, snap)) add(labels, t, -1);
  }
  if (topoScore.size === 0) return undefined;
  const raw = new Map<string, number>();
  for (const node of nodes) {
    let s = 0;
    for (const [k, v] of Object.entries(node.metadata.labels ?? {})) s += topoScore.get(pair(k, v)) ?? 0;
    raw.set(node.metadata.name!, s);
  }
  const values = [...raw.values()];
  const min = Math.min(...values);
  const diff = Math.max(...values) - min;
  const out = new Map<string, number>();
  for (const [name, s] of raw) out.set(name, diff > 0 ? Math.trunc((100 * (s - min)) / diff) : 0);
  return out;
}

export type { PlacedPod };
