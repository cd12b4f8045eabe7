// Why a pod can't be placed, node by node: the scheduler's own filter and score plugins (the
// TypeScript reference chain that the wasm scorer is checked against), run on request over the
// cluster as it is now. kube-scheduler keeps only the counts ("0/3 nodes are available: 2
// Insufficient cpu, ..."); this says which nodes, by how much ("needs 2 CPU, 1.5 free"), and how
// the nodes that could take the pod score. It costs nothing until somebody asks: nothing is
// recorded while scheduling.
import { type NodeState, runFilters } from "./filters.ts";
import { nodeInfoFrom, podQueryFrom } from "./convert.ts";
import { REASON_INSUFFICIENT_CPU, REASON_INSUFFICIENT_EPHEMERAL, REASON_INSUFFICIENT_MEMORY, REASON_TOO_MANY_PODS } from "./reasons.ts";
import { SCORE_PLUGINS } from "./score-plugins.ts";
import { normalize } from "./scores.ts";
import { type PodQuery, type ScorerOptions, resolveOptions } from "./types.ts";

type Json = any;

export interface ReasonGroup {
  reason: string;
  count: number;
  /** The first few nodes ruled out for it (all of them at small scale). */
  nodes: { node: string; details: string[] }[];
}

export interface SchedulingDiagnosis {
  nodes: number;
  feasible: number;
  groups: ReasonGroup[];
  /** The nodes that could take the pod, best first, with each plugin's part of the score. */
  scores: { node: string; total: number; plugins: Record<string, number> }[];
}

export interface DiagnoseOptions extends ScorerOptions {
  /** Filters the core doesn't carry (volumes, pod-to-pod plugins), asked first: a reason, or undefined. */
  extraFilter?: (node: Json) => string | undefined;
  /** Scores the core doesn't compute, added to the node's total. */
  extraScores?: Map<string, number>;
  /** Nodes named per reason group (default 20). */
  sample?: number;
  /** Feasible nodes listed with their scores (default 10). */
  topScores?: number;
}

const cpu = (milli: number) => (milli % 1000 === 0 ? `${milli / 1000}` : `${Number((milli / 1000).toFixed(2))}`);
function bytes(n: number): string {
  for (const [unit, size] of [["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) {
    if (Math.abs(n) >= size) return `${Number((n / size).toFixed(1))}${unit}`;
  }
  return `${n}`;
}

const isTerminal = (pod: Json) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** Each node's state as the scheduler's cache holds it: the node plus what its pods request. */
export function nodeStates(nodes: readonly Json[], pods: readonly Json[]): NodeState[] {
  const byName = new Map<string, NodeState>();
  for (const n of nodes) {
    byName.set(n.metadata.name, { info: nodeInfoFrom(n), requested: { cpu: 0, memory: 0, ephemeralStorage: 0, pods: 0 }, nonZero: { cpu: 0, memory: 0 }, ports: [] });
  }
  for (const p of pods) {
    const state = p.spec?.nodeName ? byName.get(p.spec.nodeName) : undefined;
    if (!state || isTerminal(p)) continue;
    const usage = podQueryFrom(p);
    state.requested.cpu += usage.requests.cpu;
    state.requested.memory += usage.requests.memory;
    state.requested.ephemeralStorage += usage.requests.ephemeralStorage;
    state.requested.pods += 1;
    state.nonZero.cpu += usage.nonZero.cpu;
    state.nonZero.memory += usage.nonZero.memory;
    state.ports.push(...usage.hostPorts);
  }
  return [...byName.values()];
}

/** The numbers behind NodeResourcesFit's reasons, in the units people read. */
export function resourceDetails(pod: PodQuery, node: NodeState, reasons: readonly string[]): string[] {
  const a = node.info.allocatable;
  const r = node.requested;
  const out: string[] = [];
  for (const reason of reasons) {
    if (reason === REASON_INSUFFICIENT_CPU) out.push(`needs ${cpu(pod.requests.cpu)} CPU, ${cpu(Math.max(0, a.cpu - r.cpu))} free of ${cpu(a.cpu)}`);
    else if (reason === REASON_INSUFFICIENT_MEMORY) out.push(`needs ${bytes(pod.requests.memory)} memory, ${bytes(Math.max(0, a.memory - r.memory))} free of ${bytes(a.memory)}`);
    else if (reason === REASON_INSUFFICIENT_EPHEMERAL) out.push(`needs ${bytes(pod.requests.ephemeralStorage)} ephemeral storage, ${bytes(Math.max(0, a.ephemeralStorage - r.ephemeralStorage))} free`);
    else if (reason === REASON_TOO_MANY_PODS) out.push(`already runs ${r.pods} of ${a.pods} pods`);
  }
  return out;
}

export function diagnose(pod: Json, nodes: readonly Json[], pods: readonly Json[], opts: DiagnoseOptions = {}): SchedulingDiagnosis {
  const query = podQueryFrom(pod);
  const resolved = resolveOptions(opts);
  const sample = opts.sample ?? 20;
  const states = nodeStates(nodes, pods.filter((p) => p.metadata?.uid !== pod.metadata?.uid));
  const byNode = new Map(nodes.map((n) => [n.metadata.name as string, n]));
  const groups = new Map<string, ReasonGroup>();
  const feasible: NodeState[] = [];
  for (const state of states) {
    const extra = opts.extraFilter?.(byNode.get(state.info.name));
    const reasons = extra ? [extra] : runFilters(query, state);
    if (reasons.length === 0) {
      feasible.push(state);
      continue;
    }
    for (const reason of reasons) {
      const g = groups.get(reason) ?? { reason, count: 0, nodes: [] };
      g.count++;
      if (g.nodes.length < sample) g.nodes.push({ node: state.info.name, details: resourceDetails(query, state, [reason]) });
      groups.set(reason, g);
    }
  }
  // Scores as the reference scorer computes them: each plugin raw, normalized where it says so, weighted.
  const most = resolved.scoring === "binpack";
  const totals = feasible.map(() => ({ total: 0, plugins: {} as Record<string, number> }));
  for (const plugin of SCORE_PLUGINS) {
    const raw = feasible.map((n) => plugin.score(query, n, most));
    const max = raw.reduce((m, s) => Math.max(m, s), 0);
    raw.forEach((s, k) => {
      const score = resolved.weights[plugin.weight] * (plugin.normalize ? normalize(s, max, plugin.normalize.reverse) : s);
      totals[k]!.plugins[plugin.name] = score;
      totals[k]!.total += score;
    });
  }
  if (opts.extraScores) {
    feasible.forEach((n, k) => {
      const extra = opts.extraScores!.get(n.info.name) ?? 0;
      totals[k]!.plugins.PodPlacement = extra;
      totals[k]!.total += extra;
    });
  }
  const scores = feasible
    .map((n, k) => ({ node: n.info.name, ...totals[k]! }))
    .sort((a, b) => b.total - a.total || a.node.localeCompare(b.node))
    .slice(0, opts.topScores ?? 10);
  return { nodes: states.length, feasible: feasible.length, groups: [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)), scores };
}
