// kube-scheduler's PodTopologySpread plugin, in TypeScript beside the wasm call (its inputs are
// other pods' labels per topology domain, which the wasm node table does not hold). Filter
// enforces the DoNotSchedule constraints (skew = pods matching in the node's domain + the pod
// itself − the least-loaded domain's count, where fewer domains than minDomains means a minimum
// of 0); Score ranks nodes for the ScheduleAnyway constraints, or, for a pod without constraints,
// the cluster defaults (maxSkew 3 over hostname, 5 over zone) selecting the pods of the same
// Services / ReplicaSets / StatefulSets. nodeAffinityPolicy (default Honor) and nodeTaintsPolicy
// (default Ignore) decide which nodes' pods count; matchLabelKeys add the pod's own values.
import type { TopologySpreadConstraint } from "../apis/core/scheduling.ts";
import type { KubeObject } from "../apis/meta.ts";
import { type LabelSelector, selectorMatches } from "../apis/selector.ts";
import { matchesNodeSelector, matchesTerm, toleratedBy } from "./predicates.ts";
import type { TopologySnapshot } from "./pod-topology.ts";
import type { NodeSelectorTerm, Taint, Toleration } from "./types.ts";

export const REASON_SPREAD = "node(s) didn't match pod topology spread constraints";
export const REASON_SPREAD_MISSING_LABEL = `${REASON_SPREAD} (missing required label)`;

export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_ZONE = "topology.kubernetes.io/zone";

export interface SpreadPod {
  key: string;
  namespace: string;
  labels: Record<string, string>;
  constraints: TopologySpreadConstraint[];
  nodeSelector: Record<string, string>;
  requiredTerms?: NodeSelectorTerm[];
  tolerations: Toleration[];
  /** The Services / ReplicaSets / StatefulSets selecting the pod, ANDed (kube's DefaultSelector); for the default constraints. */
  defaultSelector?: LabelSelector;
}

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  selector: LabelSelector | undefined;
  honorAffinity: boolean;
  honorTaints: boolean;
}

function resolve(c: TopologySpreadConstraint, pod: SpreadPod): Constraint {
  let selector = c.labelSelector;
  const keys = (c.matchLabelKeys ?? []).filter((k) => k in pod.labels);
  if (selector && keys.length) {
    selector = { ...selector, matchExpressions: [...(selector.matchExpressions ?? []), ...keys.map((k) => ({ key: k, operator: "In" as const, values: [pod.labels[k]!] }))] };
  }
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    minDomains: c.minDomains ?? 1,
    selector,
    honorAffinity: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
    honorTaints: c.nodeTaintsPolicy === "Honor",
  };
}

/** kube's system default constraints (PodTopologySpreadArgs defaultingType System). */
export function defaultConstraints(selector: LabelSelector): Constraint[] {
  const base = { minDomains: 1, selector, honorAffinity: true, honorTaints: false };
  return [{ ...base, maxSkew: 3, topologyKey: LABEL_HOSTNAME }, { ...base, maxSkew: 5, topologyKey: LABEL_ZONE }];
}

const hasAllKeys = (labels: Record<string, string>, cs: Constraint[]) => cs.every((c) => c.topologyKey in labels);

function included(c: Constraint, pod: SpreadPod, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  if (c.honorAffinity) {
    if (!matchesNodeSelector(labels, pod.nodeSelector)) return false;
    if (pod.requiredTerms && !pod.requiredTerms.some((t) => matchesTerm(node.metadata.name!, labels, t))) return false;
  }
  if (c.honorTaints) {
    const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter((t) => t.effect === "NoSchedule" || t.effect === "NoExecute");
    if (!taints.every((t) => toleratedBy(pod.tolerations, t))) return false;
  }
  return true;
}

/** Pods on each node that a constraint counts: same namespace as the incoming pod, not being deleted, selected. */
function countsByNode(c: Constraint, pod: SpreadPod, snap: TopologySnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of snap.pods) {
    if (e.key === pod.key || e.terminating || e.namespace !== pod.namespace || !selectorMatches(c.selector, e.labels)) continue;
    out.set(e.node, (out.get(e.node) ?? 0) + 1);
  }
  return out;
}

/** PreFilter + Filter for the DoNotSchedule constraints; undefined when the pod has none. */
export function topologySpreadFilter(pod: SpreadPod, snap: TopologySnapshot): ((node: KubeObject) => string | undefined) | undefined {
  const cs = pod.constraints.filter((c) => c.whenUnsatisfiable === "DoNotSchedule").map((c) => resolve(c, pod));
  if (!cs.length) return undefined;
  const perConstraint = cs.map((c) => {
    const byNode = countsByNode(c, pod, snap);
    const domains = new Map<string, number>();
    for (const node of snap.nodes) {
      const labels = node.metadata.labels ?? {};
      if (!hasAllKeys(labels, cs) || !included(c, pod, node)) continue;
      const v = labels[c.topologyKey]!;
      domains.set(v, (domains.get(v) ?? 0) + (byNode.get(node.metadata.name!) ?? 0));
    }
    const min = domains.size < c.minDomains ? 0 : Math.min(...domains.values());
    return { c, domains, min: Number.isFinite(min) ? min : 0, self: selectorMatches(c.selector, pod.labels) ? 1 : 0 };
  });
  return (node) => {
    const labels = node.metadata.labels ?? {};
    for (const { c } of perConstraint) if (!(c.topologyKey in labels)) return REASON_SPREAD_MISSING_LABEL;
    for (const { c, domains, min, self } of perConstraint) {
      const skew = (domains.get(labels[c.topologyKey]!) ?? 0) + self - min;
      if (skew > c.maxSkew) return REASON_SPREAD;
    }
    return undefined;
  };
}

/**
 * PreScore + Score + NormalizeScore over `feasible` nodes: node name → 0..100 (fewer matching
 * pods in a node's domains scores higher), or undefined when no constraint applies.
 */
export function topologySpreadScores(pod: SpreadPod, snap: TopologySnapshot, feasible: readonly KubeObject[]): Map<string, number> | undefined {
  let cs: Constraint[];
  let requireAll = true;
  if (pod.constraints.length) cs = pod.constraints.filter((c) => c.whenUnsatisfiable === "ScheduleAnyway").map((c) => resolve(c, pod));
  else if (pod.defaultSelector) {
    cs = defaultConstraints(pod.defaultSelector);
    requireAll = false;
  } else cs = [];
  if (!cs.length || !feasible.length) return undefined;
  const ignored = new Set<string>();
  const pairCounts = cs.map(() => new Map<string, number>());
  for (const node of feasible) {
    const labels = node.metadata.labels ?? {};
    if (requireAll && !hasAllKeys(labels, cs)) {
      ignored.add(node.metadata.name!);
      continue;
    }
    cs.forEach((c, i) => {
      if (c.topologyKey !== LABEL_HOSTNAME && c.topologyKey in labels) pairCounts[i]!.set(labels[c.topologyKey]!, 0);
    });
  }
  const weights = cs.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? feasible.length - ignored.size : pairCounts[i]!.size) + 2));
  const byNode = cs.map((c) => countsByNode(c, pod, snap));
  for (const node of snap.nodes) {
    const labels = node.metadata.labels ?? {};
    if (requireAll && !hasAllKeys(labels, cs)) continue;
    cs.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME || !included(c, pod, node)) return;
      const counts = pairCounts[i]!;
      const v = labels[c.topologyKey];
      if (v === undefined || !counts.has(v)) return;
      counts.set(v, counts.get(v)! + (byNode[i]!.get(node.metadata.name!) ?? 0));
    });
  }
  const raw = new Map<string, number>();
  for (const node of feasible) {
    const name = node.metadata.name!;
    if (ignored.has(name)) continue;
    const labels = node.metadata.labels ?? {};
    let s = 0;
    cs.forEach((c, i) => {
      const v = labels[c.topologyKey];
      if (v === undefined) return;
      const cnt = c.topologyKey === LABEL_HOSTNAME ? byNode[i]!.get(name) ?? 0 : pairCounts[i]!.get(v) ?? 0;
      s += cnt * weights[i]! + c.maxSkew - 1;
    });
    raw.set(name, Math.round(s));
  }
  let min = Infinity;
  let max = 0;
  for (const s of raw.values()) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const out = new Map<string, number>();
  for (const node of feasible) {
    const name = node.metadata.name!;
    const s = raw.get(name);
    out.set(name, s === undefined ? 0 : max === 0 ? 100 : Math.trunc((100 * (max + min - s)) / max));
  }
  return out;
}
