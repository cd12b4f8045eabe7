// The score chain of the TypeScript reference scorer: each plugin gives a raw score per feasible
// node; plugins with `normalize` are rescaled to 0..100 over all feasible nodes (DefaultNormalizeScore)
// before the weighted sum.
import type { NodeState } from "./filters.ts";
import { countAvoidableTaints, matchesTerm } from "./predicates.ts";
import { balancedScore, fitScore } from "./scores.ts";
import type { PodQuery, ScoreWeights } from "./types.ts";

export interface ScorePlugin {
  name: string;
  weight: keyof ScoreWeights;
  score(pod: PodQuery, node: NodeState, mostAllocated: boolean): number;
  normalize?: { reverse: boolean };
}

export const nodeResourcesFit: ScorePlugin = {
  name: "NodeResourcesFit",
  weight: "fit",
  score: (pod, node, most) =>
    fitScore(
      { cpu: node.nonZero.cpu + pod.nonZero.cpu, memory: node.nonZero.memory + pod.nonZero.memory },
      node.info.allocatable,
      most,
    ),
};

export const nodeResourcesBalancedAllocation: ScorePlugin = {
  name: "NodeResourcesBalancedAllocation",
  weight: "balanced",
  score: (pod, node) =>
    balancedScore(
      { cpu: node.requested.cpu + pod.requests.cpu, memory: node.requested.memory + pod.requests.memory },
      node.info.allocatable,
    ),
};

export const nodeAffinity: ScorePlugin = {
  name: "NodeAffinity",
  weight: "nodeAffinity",
  score: (pod, node) => {
    let sum = 0;
    for (const { weight, preference } of pod.preferredTerms) {
      if (weight !== 0 && matchesTerm(node.info.name, node.info.labels, preference)) sum += weight;
    }
    return sum;
  },
  normalize: { reverse: false },
};

export const taintToleration: ScorePlugin = {
  name: "TaintToleration",
  weight: "taintToleration",
  score: (pod, node) => countAvoidableTaints(node.info.taints, pod.tolerations),
  normalize: { reverse: true },
};

export const SCORE_PLUGINS: readonly ScorePlugin[] = [
  taintToleration, nodeAffinity, nodeResourcesFit, nodeResourcesBalancedAllocation,
];
