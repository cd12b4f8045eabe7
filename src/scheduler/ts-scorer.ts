// The plain TypeScript scorer: the reference the wasm scorer must agree with, written to be read
// rather than to be fast. Nodes are objects; filters and scores are the named chains in
// filters.ts and score-plugins.ts.
import { type NodeState, runFilters } from "./filters.ts";
import { NodeSlots } from "./node-slots.ts";
import { addRejection } from "./reasons.ts";
import { SCORE_PLUGINS } from "./score-plugins.ts";
import { normalize } from "./scores.ts";
import { BestPicker, XorShift32 } from "./tie-break.ts";
import {
  type Decision, type NodeInfo, type PodQuery, type PodUsage, type Rejections, type Scorer, type ScorerOptions,
  resolveOptions,
} from "./types.ts";

function samePort(a: PodUsage["hostPorts"][number], b: PodUsage["hostPorts"][number]): boolean {
  return a.port === b.port && (a.protocol ?? "TCP") === (b.protocol ?? "TCP") && (a.hostIP || "0.0.0.0") === (b.hostIP || "0.0.0.0");
}

export function createTsScorer(options: ScorerOptions = {}): Scorer {
  const opts = resolveOptions(options);
  const slots = new NodeSlots();
  const nodes: (NodeState | undefined)[] = [];
  const random = opts.tieBreak === "random" ? new XorShift32(opts.seed) : undefined;
  const most = opts.scoring === "binpack";

  function account(pod: PodUsage, index: number, sign: 1 | -1): void {
    const node = nodes[index];
    if (!node) throw new Error(`no node at index ${index}`);
    const { requested, nonZero } = node;
    requested.cpu += sign * pod.requests.cpu;
    requested.memory += sign * pod.requests.memory;
    requested.ephemeralStorage += sign * pod.requests.ephemeralStorage;
    requested.pods += sign;
    nonZero.cpu += sign * pod.nonZero.cpu;
    nonZero.memory += sign * pod.nonZero.memory;
    if (sign > 0) node.ports.push(...pod.hostPorts);
    else {
      for (const p of pod.hostPorts) {
        const at = node.ports.findIndex((u) => samePort(u, p));
        if (at >= 0) node.ports.splice(at, 1);
      }
    }
  }

  return {
    get nodeCount() {
      return slots.size;
    },
    nodeIndex: (name) => slots.indexOf(name),

    upsertNode(info: NodeInfo): number {
      const { index, created } = slots.acquire(info.name);
      if (created) {
        nodes[index] = {
          info,
          requested: { cpu: 0, memory: 0, ephemeralStorage: 0, pods: 0 },
          nonZero: { cpu: 0, memory: 0 },
          ports: [],
        };
      } else nodes[index]!.info = info;
      return index;
    },

    removeNode(name: string): boolean {
      const index = slots.release(name);
      if (index === undefined) return false;
      nodes[index] = undefined;
      return true;
    },

    assume: (pod, index) => account(pod, index, 1),
    forget: (pod, index) => account(pod, index, -1),

    schedule(pod: PodQuery): Decision {
      const rejections: Rejections = {};
      const feasible: NodeState[] = [];
      const indexes: number[] = [];
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i];
        if (!node) continue;
        const reasons = runFilters(pod, node);
        if (reasons.length > 0) {
          for (const r of reasons) addRejection(rejections, r);
          continue;
        }
        feasible.push(node);
        indexes.push(i);
      }

      const totals = new Array<number>(feasible.length).fill(0);
      for (const plugin of SCORE_PLUGINS) {
        const weight = opts.weights[plugin.weight];
        const raw = feasible.map((node) => plugin.score(pod, node, most));
        const max = raw.reduce((m, s) => Math.max(m, s), 0);
        for (let k = 0; k < raw.length; k++) {
          const score = plugin.normalize ? normalize(raw[k]!, max, plugin.normalize.reverse) : raw[k]!;
          totals[k]! += weight * score;
        }
      }

      if (pod.extraScores) for (let k = 0; k < feasible.length; k++) totals[k]! += pod.extraScores.get(feasible[k]!.info.name) ?? 0;
      const picker = new BestPicker(random);
      for (let k = 0; k < feasible.length; k++) picker.consider(indexes[k]!, totals[k]!);
      if (picker.index < 0) return { nodeIndex: -1, feasible: 0, rejections };
      return {
        node: slots.nameAt(picker.index),
        nodeIndex: picker.index,
        score: picker.score,
        feasible: feasible.length,
        rejections,
      };
    },
  };
}
