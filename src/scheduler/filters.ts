// The filter chain of the TypeScript reference scorer, one small named plugin each. The order is
// kube-scheduler's default profile order: a node is counted under the first filter that rejects
// it, so the same order gives the same "0/N nodes are available" message. Every filter is cheap;
// the ones that usually decide (node state, taints) come before selector and resource checks.
import {
  REASON_INSUFFICIENT_CPU, REASON_INSUFFICIENT_EPHEMERAL, REASON_INSUFFICIENT_MEMORY,
  REASON_NODE_AFFINITY, REASON_NODE_NAME, REASON_NODE_PORTS, REASON_NOT_READY, REASON_TOO_MANY_PODS,
  REASON_UNSCHEDULABLE,
} from "./reasons.ts";
import {
  UNSCHEDULABLE_TAINT, firstUntoleratedTaint, matchesNodeSelector, matchesTerm, taintReason, toleratedBy,
} from "./predicates.ts";
import type { Allocatable, HostPort, NodeInfo, PodQuery } from "./types.ts";

/** A node as the reference scorer keeps it: the Node's view plus what its pods use. */
export interface NodeState {
  info: NodeInfo;
  requested: Allocatable;
  nonZero: { cpu: number; memory: number };
  ports: HostPort[];
}

export interface Filter {
  name: string;
  /** Reasons the node is rejected for; empty when it passes. */
  filter(pod: PodQuery, node: NodeState): string[];
}

const PASS: string[] = [];

export const nodeReady: Filter = {
  name: "NodeReady",
  filter: (_pod, node) => (node.info.ready ? PASS : [REASON_NOT_READY]),
};

export const nodeUnschedulable: Filter = {
  name: "NodeUnschedulable",
  filter: (pod, node) =>
    !node.info.unschedulable || toleratedBy(pod.tolerations, UNSCHEDULABLE_TAINT) ? PASS : [REASON_UNSCHEDULABLE],
};

export const nodeName: Filter = {
  name: "NodeName",
  filter: (pod, node) => (!pod.nodeName || pod.nodeName === node.info.name ? PASS : [REASON_NODE_NAME]),
};

export const taintToleration: Filter = {
  name: "TaintToleration",
  filter: (pod, node) => {
    const taint = firstUntoleratedTaint(node.info.taints, pod.tolerations);
    return taint ? [taintReason(taint)] : PASS;
  },
};

export const nodeAffinity: Filter = {
  name: "NodeAffinity",
  filter: (pod, node) => {
    const { name, labels } = node.info;
    const ok = matchesNodeSelector(labels, pod.nodeSelector) &&
      (pod.requiredTerms === undefined || pod.requiredTerms.some((t) => matchesTerm(name, labels, t)));
    return ok ? PASS : [REASON_NODE_AFFINITY];
  },
};

function hostIP(p: HostPort): string {
  return p.hostIP || "0.0.0.0";
}

export function portsConflict(want: HostPort, used: HostPort): boolean {
  if (want.port !== used.port || (want.protocol ?? "TCP") !== (used.protocol ?? "TCP")) return false;
  const a = hostIP(want);
  const b = hostIP(used);
  return a === "0.0.0.0" || b === "0.0.0.0" || a === b;
}

export const nodePorts: Filter = {
  name: "NodePorts",
  filter: (pod, node) =>
    pod.hostPorts.some((want) => node.ports.some((used) => portsConflict(want, used))) ? [REASON_NODE_PORTS] : PASS,
};

export const nodeResourcesFit: Filter = {
  name: "NodeResourcesFit",
  filter: (pod, node) => {
    const { allocatable } = node.info;
    const { requested } = node;
    const reasons: string[] = [];
    if (requested.pods + 1 > allocatable.pods) reasons.push(REASON_TOO_MANY_PODS);
    const r = pod.requests;
    if (r.cpu > 0 && r.cpu > allocatable.cpu - requested.cpu) reasons.push(REASON_INSUFFICIENT_CPU);
    if (r.memory > 0 && r.memory > allocatable.memory - requested.memory) reasons.push(REASON_INSUFFICIENT_MEMORY);
    if (r.ephemeralStorage > 0 && r.ephemeralStorage > allocatable.ephemeralStorage - requested.ephemeralStorage) {
      reasons.push(REASON_INSUFFICIENT_EPHEMERAL);
    }
    return reasons;
  },
};

export const FILTERS: readonly Filter[] = [
  nodeReady, nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit,
];

/** Runs the chain; returns the first failing filter's reasons (empty when the node fits). */
export function runFilters(pod: PodQuery, node: NodeState): string[] {
  for (const f of FILTERS) {
    const reasons = f.filter(pod, node);
    if (reasons.length > 0) return reasons;
  }
  return PASS;
}
