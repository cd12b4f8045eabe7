// Small builders for scheduler tests: a node or pod with sensible defaults and overrides, and a
// runner for a sequence of scorer operations.
import type { Decision, NodeInfo, PodQuery, Scorer, ScorerOptions } from "../../src/scheduler/types.ts";

export const GI = 2 ** 30;

export function makeNode(name: string, o: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    labels: {},
    taints: [],
    unschedulable: false,
    ready: true,
    allocatable: { cpu: 4000, memory: 8 * GI, ephemeralStorage: 100 * GI, pods: 110 },
    ...o,
  };
}

export function makePod(o: Partial<PodQuery> & { cpu?: number; memory?: number } = {}): PodQuery {
  const { cpu = 0, memory = 0, ...rest } = o;
  return {
    requests: { cpu, memory, ephemeralStorage: 0 },
    nonZero: { cpu: cpu || 100, memory: memory || 200 * 2 ** 20 },
    hostPorts: [],
    nodeSelector: {},
    preferredTerms: [],
    tolerations: [],
    ...rest,
  };
}

/** One step of a scorer's life: schedule a pod (and assume it where it lands), assume or forget a pod on a node, write or remove a node. */
export type ScorerOp =
  | { schedule: PodQuery; assume?: boolean }
  | { assumeOn: string; pod: PodQuery; times?: number }
  | { forgetOn: string; pod: PodQuery }
  | { upsert: NodeInfo }
  | { remove: string };

/** Makes a scorer with `o`, writes `nodes`, runs the ops; returns every decision. */
export function runScorerOps(make: (o: ScorerOptions) => Scorer, nodes: NodeInfo[], ops: ScorerOp[], o: ScorerOptions): Decision[] {
  const s = make(o);
  for (const n of nodes) s.upsertNode(n);
  const out: Decision[] = [];
  for (const op of ops) {
    if ("schedule" in op) {
      const d = s.schedule(op.schedule);
      out.push(d);
      if (op.assume && d.node !== undefined) s.assume(op.schedule, d.nodeIndex);
    } else if ("assumeOn" in op) {
      for (let k = 0; k < (op.times ?? 1); k++) s.assume(op.pod, s.nodeIndex(op.assumeOn)!);
    } else if ("forgetOn" in op) s.forget(op.pod, s.nodeIndex(op.forgetOn)!);
    else if ("upsert" in op) s.upsertNode(op.upsert);
    else s.removeNode(op.remove);
  }
  return out;
}
