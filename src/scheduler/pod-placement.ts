// The pod-to-pod plugins run beside the wasm core (InterPodAffinity, PodTopologySpread), put
// together for one pod: one Filter (node → first reason, in kube-scheduler's plugin order:
// PodTopologySpread, then InterPodAffinity) and one weighted score per node, which the scheduler
// hands to the core as a narrowed node affinity (filterByVolumes) and as PodQuery.extraScores.
import type { Affinity, TopologySpreadConstraint } from "../apis/core/scheduling.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { LabelSelector } from "../apis/selector.ts";
import { interPodAffinityFilter, interPodAffinityScores } from "./inter-pod-affinity.ts";
import type { TopologySnapshot } from "./pod-topology.ts";
import { topologySpreadFilter, topologySpreadScores, type SpreadPod } from "./topology-spread.ts";
import type { PodQuery, Rejections } from "./types.ts";
import { filterByVolumes } from "./volume-binding.ts";
import { matchesNodeSelector, matchesTerm, toleratedBy } from "./predicates.ts";
import type { Taint } from "./types.ts";
import { podKey } from "./pod-status.ts";

/** kube-scheduler's default profile weights of the two plugins. */
export const INTER_POD_AFFINITY_WEIGHT = 2;
export const POD_TOPOLOGY_SPREAD_WEIGHT = 2;

export interface PodPlacement {
  filter?: (node: KubeObject) => string | undefined;
  /** Weighted scores over the nodes that passed every filter this side of the core can see. */
  scores(feasible: readonly KubeObject[]): Map<string, number> | undefined;
}

type PodSpec = { affinity?: Affinity; topologySpreadConstraints?: TopologySpreadConstraint[] };

/** Whether the pod's own spec asks the pod-to-pod plugins anything. */
export function hasPodPlacementRules(pod: KubeObject): boolean {
  const spec = (pod as { spec?: PodSpec }).spec;
  return !!(spec?.affinity?.podAffinity || spec?.affinity?.podAntiAffinity || spec?.topologySpreadConstraints?.length);
}

export function podPlacement(pod: KubeObject, query: PodQuery, snap: TopologySnapshot, defaultSelector: LabelSelector | undefined): PodPlacement {
  const spec = (pod as { spec?: PodSpec }).spec ?? {};
  const incoming = { key: podKey(pod), namespace: pod.metadata.namespace ?? "", labels: pod.metadata.labels ?? {}, affinity: spec.affinity };
  const spread: SpreadPod = {
    ...incoming,
    constraints: spec.topologySpreadConstraints ?? [],
    nodeSelector: query.nodeSelector,
    requiredTerms: query.requiredTerms,
    tolerations: query.tolerations,
    defaultSelector,
  };
  const filters = [topologySpreadFilter(spread, snap), interPodAffinityFilter(incoming, snap)].filter((f) => f !== undefined);
  const filter = filters.length === 0 ? undefined : (node: KubeObject) => {
    for (const f of filters) {
      const reason = f(node);
      if (reason) return reason;
    }
    return undefined;
  };
  return {
    filter,
    scores(feasible) {
      const ipa = interPodAffinityScores(incoming, snap, feasible);
      const pts = topologySpreadScores(spread, snap, feasible);
      if (!ipa && !pts) return undefined;
      const out = new Map<string, number>();
      for (const node of feasible) {
        const name = node.metadata.name!;
        out.set(name, INTER_POD_AFFINITY_WEIGHT * (ipa?.get(name) ?? 0) + POD_TOPOLOGY_SPREAD_WEIGHT * (pts?.get(name) ?? 0));
      }
      return out;
    },
  };
}

export interface WorkloadListers {
  services: { list(namespace?: string): KubeObject[] };
  replicaSets: { get(namespace: string | undefined, name: string): KubeObject | undefined };
  statefulSets: { get(namespace: string | undefined, name: string): KubeObject | undefined };
}

/**
 * kube's helper.DefaultSelector: the selectors of the Services selecting the pod and of its
 * controlling ReplicaSet or StatefulSet, ANDed; undefined when empty (no default spreading).
 */
export function defaultSelectorFor(pod: KubeObject, l: WorkloadListers): LabelSelector | undefined {
  const labels = pod.metadata.labels ?? {};
  if (!Object.keys(labels).length) return undefined;
  const ns = pod.metadata.namespace;
  const matchLabels: Record<string, string> = {};
  for (const svc of l.services.list(ns)) {
    const sel = (svc as { spec?: { selector?: Record<string, string> } }).spec?.selector;
    if (!sel || !Object.keys(sel).length || !Object.entries(sel).every(([k, v]) => labels[k] === v)) continue;
    Object.assign(matchLabels, sel);
  }
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  let ownerSelector: LabelSelector | undefined;
  if (owner?.apiVersion === "apps/v1" && (owner.kind === "ReplicaSet" || owner.kind === "StatefulSet")) {
    const obj = (owner.kind === "ReplicaSet" ? l.replicaSets : l.statefulSets).get(ns, owner.name);
    ownerSelector = (obj as { spec?: { selector?: LabelSelector } } | undefined)?.spec?.selector;
  }
  const selector: LabelSelector = {
    matchLabels: { ...matchLabels, ...ownerSelector?.matchLabels },
    matchExpressions: ownerSelector?.matchExpressions ?? [],
  };
  if (!Object.keys(selector.matchLabels!).length && !selector.matchExpressions!.length) return undefined;
  return selector;
}

/**
 * The query the core sees once the filters beside it (VolumeBinding's, the pod-to-pod plugins')
 * have run: the nodes they reject removed by a narrowed node affinity (their reasons in
 * `rejections`), and the plugins' weighted scores as extraScores over the nodes left.
 */
export function constrainedQuery(
  query: PodQuery,
  nodes: readonly KubeObject[],
  filter: ((node: KubeObject) => string | undefined) | undefined,
  placement: PodPlacement | undefined,
): { query: PodQuery; rejections: Rejections } {
  let rejections: Rejections = {};
  let allowed = nodes;
  if (filter) {
    const narrowed = filterByVolumes(query, nodes, filter);
    query = narrowed.query;
    rejections = narrowed.rejections;
    allowed = narrowed.allowedNodes;
  }
  // Scores are normalised over feasible nodes: leave out those the pod's own selector, required
  // node affinity or NoSchedule taints exclude (the core's resource checks still come later).
  const feasible = placement ? allowed.filter((n) => ownFit(query, n)) : allowed;
  const extraScores = placement?.scores(feasible);
  if (extraScores) query = { ...query, extraScores };
  return { query, rejections };
}

function ownFit(query: PodQuery, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  if (!matchesNodeSelector(labels, query.nodeSelector)) return false;
  if (query.requiredTerms && !query.requiredTerms.some((t) => matchesTerm(node.metadata.name!, labels, t))) return false;
  const spec = node.spec as { taints?: Taint[]; unschedulable?: boolean } | undefined;
  return (spec?.taints ?? []).every((t) => t.effect === "PreferNoSchedule" || toleratedBy(query.tolerations, t));
}
