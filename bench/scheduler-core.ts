// Scheduler core bench: filter + score + assume in-process on a fake cluster of mixed node sizes,
// the wasm scorer against the TypeScript reference in the same run. Every pod is scored against
// every node (no sampling, unlike kube-scheduler's percentageOfNodesToScore); the wasm scorer's
// choices are checked against the full scan (cache off) and the TS reference on their prefix.
import { createTsScorer, createWasmScorer } from "../src/scheduler/index.ts";
import type { NodeInfo, PodQuery, Scorer, ScorerOptions } from "../src/scheduler/index.ts";
import { XorShift32 } from "../src/scheduler/tie-break.ts";

const GI = 2 ** 30;
const MI = 2 ** 20;

const NODE_SHAPES = [
  { type: "small", cpu: 2000, memory: 4 * GI },
  { type: "medium", cpu: 4000, memory: 16 * GI },
  { type: "large", cpu: 8000, memory: 32 * GI },
  { type: "xlarge", cpu: 16000, memory: 64 * GI },
  { type: "metal", cpu: 64000, memory: 256 * GI },
];
const ZONES = ["zone-a", "zone-b", "zone-c"];

/** Deterministic fake cluster: mixed sizes, three zones, a few dedicated and a few soft-tainted nodes. */
export function fakeNodes(count: number, seed = 1): NodeInfo[] {
  const rng = new XorShift32(seed);
  return Array.from({ length: count }, (_, i): NodeInfo => {
    const shape = NODE_SHAPES[rng.next() % NODE_SHAPES.length]!;
    const name = `node-${String(i).padStart(5, "0")}`;
    const roll = rng.next() % 100;
    return {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "topology.kubernetes.io/zone": ZONES[i % ZONES.length]!,
        "node.kubernetes.io/instance-type": shape.type,
        ...(roll < 5 ? { dedicated: "gpu" } : {}),
      },
      taints: roll < 5
        ? [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }]
        : roll < 10 ? [{ key: "spot", value: "true", effect: "PreferNoSchedule" }] : [],
      unschedulable: roll === 99,
      ready: roll !== 98,
      allocatable: { cpu: shape.cpu, memory: shape.memory, ephemeralStorage: 100 * GI, pods: 110 },
    };
  });
}

const base = { hostPorts: [], nodeSelector: {}, preferredTerms: [], tolerations: [] };
const WORKLOADS: PodQuery[] = [
  { ...base, requests: { cpu: 100, memory: 128 * MI, ephemeralStorage: 0 }, nonZero: { cpu: 100, memory: 128 * MI } },
  { ...base, requests: { cpu: 250, memory: 512 * MI, ephemeralStorage: 0 }, nonZero: { cpu: 250, memory: 512 * MI } },
  { ...base, requests: { cpu: 500, memory: 1 * GI, ephemeralStorage: GI }, nonZero: { cpu: 500, memory: 1 * GI } },
  { ...base, requests: { cpu: 0, memory: 0, ephemeralStorage: 0 }, nonZero: { cpu: 100, memory: 200 * MI } },
  {
    ...base,
    requests: { cpu: 1000, memory: 2 * GI, ephemeralStorage: 0 },
    nonZero: { cpu: 1000, memory: 2 * GI },
    nodeSelector: { "topology.kubernetes.io/zone": "zone-b" },
  },
  {
    ...base,
    requests: { cpu: 2000, memory: 4 * GI, ephemeralStorage: 0 },
    nonZero: { cpu: 2000, memory: 4 * GI },
    tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
    preferredTerms: [{ weight: 50, preference: { matchExpressions: [{ key: "dedicated", operator: "In", values: ["gpu"] }] } }],
  },
];

/**
 * The pod stream: workloads interleaved, as several Deployments scaling at once would produce.
 * Every pod is its own object, as pods converted from API objects would be.
 */
export function fakePods(count: number, seed = 2): PodQuery[] {
  const rng = new XorShift32(seed);
  return Array.from({ length: count }, () => structuredClone(WORKLOADS[rng.next() % WORKLOADS.length]!));
}

export interface CoreRun {
  pods: number;
  scheduled: number;
  seconds: number;
  podsPerSecond: number;
  /** Node index chosen for each pod (-1: unschedulable), to check the scorers agree. */
  choices: Int32Array;
}

/** Schedules and assumes `pods` on a fresh scorer holding `nodes`; times only the scheduling loop. */
export function runCore(make: (o: ScorerOptions) => Scorer, nodes: NodeInfo[], pods: PodQuery[], opts: ScorerOptions): CoreRun {
  const scorer = make(opts);
  for (const n of nodes) scorer.upsertNode(n);
  let scheduled = 0;
  const choices = new Int32Array(pods.length);
  const started = performance.now();
  for (let k = 0; k < pods.length; k++) {
    const pod = pods[k]!;
    const d = scorer.schedule(pod);
    choices[k] = d.nodeIndex;
    if (d.node === undefined) continue;
    scorer.assume(pod, d.nodeIndex);
    scheduled++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { pods: pods.length, scheduled, seconds, podsPerSecond: pods.length / seconds, choices };
}

export interface CoreResult {
  nodes: number;
  pods: number;
  wasm: CoreRun;
  /** The wasm scorer with its equivalence cache off: every node evaluated afresh for every pod. */
  wasmNoCache: CoreRun;
  ts: CoreRun;
  ratio: number;
  /** The wasm scorer chose the same nodes as the full scan and the TS reference where they ran. */
  identical: boolean;
}

/** Whether `a` starts with all of `b`. */
function samePrefix(a: Int32Array, b: Int32Array): boolean {
  for (let k = 0; k < b.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Wasm on all pods; the TS reference on the first `tsPods` of the same stream (it is the slow
 * baseline, and rates are comparable since the cluster is far from full either way).
 */
export function benchCore(nodeCount: number, podCount: number, tsPods: number, opts: ScorerOptions): CoreResult {
  const nodes = fakeNodes(nodeCount);
  const pods = fakePods(podCount);
  const noCache = (o: ScorerOptions) => createWasmScorer({ ...o, equivalenceCache: false });
  // Warm up every path (JIT tiers, wasm tier-up) on a small cluster first.
  // The per-pod TypeScript work dominates the wasm path now: give its JIT tiers enough pods.
  runCore(createWasmScorer, nodes.slice(0, 200), pods.slice(0, 20000), opts);
  runCore(noCache, nodes.slice(0, 200), pods.slice(0, 2000), opts);
  runCore(createTsScorer, nodes.slice(0, 200), pods.slice(0, 300), opts);
  const wasm = runCore(createWasmScorer, nodes, pods, opts);
  const wasmNoCache = runCore(noCache, nodes, pods.slice(0, Math.min(tsPods * 4, podCount)), opts);
  const ts = runCore(createTsScorer, nodes, pods.slice(0, Math.min(tsPods, podCount)), opts);
  const identical = samePrefix(wasm.choices, wasmNoCache.choices) && samePrefix(wasm.choices, ts.choices);
  return { nodes: nodeCount, pods: podCount, wasm, wasmNoCache, ts, ratio: wasm.podsPerSecond / ts.podsPerSecond, identical };
}
