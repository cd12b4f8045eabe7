// Scheduler constraint bench: pods with inter-pod (anti-)affinity, topology spread and the
// default spreading of a workload, on a fake cluster of KubeObject nodes, through the same steps
// as the scheduler's loop (podPlacement's filters and scores beside the core, constrainedQuery,
// then one wasm call and an assume). Every pod reads every placed pod, as the plugins do, so no
// equivalence cache can hide this work: its figures are reported apart from the core bench's
// hot-cache mixes. The wasm module's TypeScript twin runs the same stream, the TypeScript
// reference a prefix of it; both must agree.
import type { KubeObject } from "../src/apis/meta.ts";
import { createTsScorer, createWasmScorer } from "../src/scheduler/index.ts";
import type { NodeInfo, PodQuery, Scorer, ScorerOptions } from "../src/scheduler/index.ts";
import { createTsTwin } from "../src/scheduler/ts-twin.ts";
import { constrainedQuery, podPlacement } from "../src/scheduler/pod-placement.ts";
import type { PlacedPod, TopologySnapshot } from "../src/scheduler/pod-topology.ts";
import { fakeNodes } from "./scheduler-core.ts";

const MI = 2 ** 20;
const HOST = "kubernetes.io/hostname";
const ZONE = "topology.kubernetes.io/zone";

interface ConstrainedPod {
  pod: KubeObject;
  query: PodQuery;
  defaultSelector?: { matchLabels: Record<string, string> };
}

/** Deployments of three kinds, interleaved: one replica apart per node, spread over zones, near a cache (preferred) with default spreading. */
export function constrainedPods(count: number, apps = 20): ConstrainedPod[] {
  return Array.from({ length: count }, (_, i) => {
    const app = `app-${i % apps}`;
    const kind = i % apps % 3;
    const labels = { app };
    const selector = { matchLabels: labels };
    const spec =
      kind === 0
        ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: selector, topologyKey: HOST }] } } }
        : kind === 1
          ? { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: selector }] }
          : { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: "app-1" } }, topologyKey: ZONE } }] } } };
    const pod = { metadata: { name: `p-${i}`, namespace: "default", labels }, spec } as KubeObject;
    const query: PodQuery = {
      hostPorts: [], nodeSelector: {}, preferredTerms: [], tolerations: [],
      requests: { cpu: 100, memory: 128 * MI, ephemeralStorage: 0 },
      nonZero: { cpu: 100, memory: 128 * MI },
    };
    return { pod, query, defaultSelector: kind === 2 ? selector : undefined };
  });
}

const asObject = (n: NodeInfo): KubeObject => ({ metadata: { name: n.name, labels: n.labels }, spec: { taints: n.taints } } as KubeObject);

export interface ConstraintRun {
  pods: number;
  scheduled: number;
  seconds: number;
  podsPerSecond: number;
  choices: Int32Array;
}

export function runConstraints(make: (o: ScorerOptions) => Scorer, nodes: NodeInfo[], pods: ConstrainedPod[], opts: ScorerOptions): ConstraintRun {
  const scorer = make(opts);
  for (const n of nodes) scorer.upsertNode(n);
  const objects = nodes.map(asObject);
  const placed: PlacedPod[] = [];
  const snap: TopologySnapshot = { nodes: objects, pods: placed, namespaceLabels: () => undefined };
  const choices = new Int32Array(pods.length);
  let scheduled = 0;
  const started = performance.now();
  for (let k = 0; k < pods.length; k++) {
    const { pod, query, defaultSelector } = pods[k]!;
    const placement = podPlacement(pod, query, snap, defaultSelector);
    const { query: q } = constrainedQuery(query, objects, placement.filter, placement);
    const d = scorer.schedule(q);
    choices[k] = d.nodeIndex;
    if (d.node === undefined) continue;
    scorer.assume(query, d.nodeIndex);
    placed.push({ key: `default/${pod.metadata.name}`, namespace: "default", labels: pod.metadata.labels!, node: d.node, affinity: (pod.spec as { affinity?: never }).affinity, terminating: false });
    scheduled++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { pods: pods.length, scheduled, seconds, podsPerSecond: pods.length / seconds, choices };
}

export interface ConstraintResult {
  nodes: number;
  pods: number;
  wasm: ConstraintRun;
  /** The wasm scorer with the TypeScript twin of the module (all pods; must choose as wasm). */
  twin: ConstraintRun;
  ts: ConstraintRun;
  /** The wasm scorer chose the same nodes as the TS reference on its prefix. */
  identical: boolean;
}

export function benchConstraints(nodeCount: number, podCount: number, tsPods: number, opts: ScorerOptions): ConstraintResult {
  const nodes = fakeNodes(nodeCount);
  const pods = constrainedPods(podCount);
  runConstraints(createWasmScorer, nodes.slice(0, 50), pods.slice(0, 500), opts);
  const twinScorer = (o: ScorerOptions) => createWasmScorer({ ...o, core: createTsTwin });
  runConstraints(twinScorer, nodes.slice(0, 50), pods.slice(0, 500), opts);
  const wasm = runConstraints(createWasmScorer, nodes, pods, opts);
  const twin = runConstraints(twinScorer, nodes, pods, opts);
  const ts = runConstraints(createTsScorer, nodes, pods.slice(0, Math.min(tsPods, podCount)), opts);
  let identical = true;
  for (let k = 0; k < ts.choices.length; k++) if (ts.choices[k] !== wasm.choices[k]) identical = false;
  for (let k = 0; k < twin.choices.length; k++) if (twin.choices[k] !== wasm.choices[k]) identical = false;
  return { nodes: nodeCount, pods: podCount, wasm, twin, ts, identical };
}
