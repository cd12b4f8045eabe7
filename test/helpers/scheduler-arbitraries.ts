// fast-check generators for random clusters and pods (tests only). Pools are small on purpose so
// that labels, taints, ports and resources collide often and every filter and score gets exercised.
import fc from "fast-check";
import type {
  HostPort, NodeInfo, NodeSelectorRequirement, NodeSelectorTerm, PodQuery, PodUsage, Scorer, ScorerOptions, Taint, Toleration,
} from "../../src/scheduler/types.ts";

const KEYS = ["zone", "disk", "gpu", "rank", "node-role"];
const VALUES = ["a", "b", "c", "ssd", "", "1", "7", "42", "-3", "x9"];
const GI = 2 ** 30;

const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(...VALUES);
const effect = fc.constantFrom("NoSchedule" as const, "PreferNoSchedule" as const, "NoExecute" as const);

export const taint: fc.Arbitrary<Taint> = fc.record({ key, value, effect });

export const toleration: fc.Arbitrary<Toleration> = fc.oneof(
  fc.record({ key, operator: fc.constant("Equal" as const), value, effect: fc.option(effect, { nil: undefined }) }),
  fc.record({ key: fc.option(key, { nil: undefined }), operator: fc.constant("Exists" as const), effect: fc.option(effect, { nil: undefined }) }),
  fc.constant<Toleration>({ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }),
);

const NAMES = Array.from({ length: 24 }, (_, i) => `node-${i}`);

// A few shapes so that equal nodes (and so score ties) are common; the odd ones hit edge cases.
const allocatable = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(
    { cpu: 2000, memory: 4 * GI, ephemeralStorage: 100 * GI, pods: 110 },
    { cpu: 4000, memory: 16 * GI, ephemeralStorage: 100 * GI, pods: 110 },
    { cpu: 16000, memory: 64 * GI, ephemeralStorage: 100 * GI, pods: 110 },
  ) },
  { weight: 1, arbitrary: fc.record({
    cpu: fc.constantFrom(0, 500, 1000, 8000),
    memory: fc.constantFrom(0, GI, 2 * GI, 1536 * GI),
    ephemeralStorage: fc.constantFrom(0, 10 * GI),
    pods: fc.constantFrom(0, 1, 3, 110),
  }) },
);

export const node: fc.Arbitrary<NodeInfo> = fc.record({
  name: fc.constantFrom(...NAMES),
  labels: fc.dictionary(key, value, { maxKeys: 4 }),
  taints: fc.oneof({ weight: 3, arbitrary: fc.constant<Taint[]>([]) }, { weight: 2, arbitrary: fc.array(taint, { maxLength: 3 }) }),
  unschedulable: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  ready: fc.oneof({ weight: 12, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  allocatable,
});

const requirement: fc.Arbitrary<NodeSelectorRequirement> = fc.oneof(
  fc.record({ key, operator: fc.constantFrom("In" as const, "NotIn" as const), values: fc.array(value, { maxLength: 3 }) }),
  fc.record({ key, operator: fc.constantFrom("Exists" as const, "DoesNotExist" as const) }),
  fc.record({ key, operator: fc.constantFrom("Gt" as const, "Lt" as const), values: fc.array(value, { minLength: 1, maxLength: 2 }) }),
);

const field: fc.Arbitrary<NodeSelectorRequirement> = fc.record({
  key: fc.constantFrom("metadata.name", "metadata.namespace"),
  operator: fc.constantFrom("In" as const, "NotIn" as const, "Exists" as const),
  values: fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }),
});

export const term: fc.Arbitrary<NodeSelectorTerm> = fc.record({
  matchExpressions: fc.array(requirement, { maxLength: 3 }),
  matchFields: fc.oneof({ weight: 4, arbitrary: fc.constant<NodeSelectorRequirement[]>([]) }, { weight: 1, arbitrary: fc.array(field, { maxLength: 1 }) }),
});

export const hostPort: fc.Arbitrary<HostPort> = fc.record({
  port: fc.constantFrom(80, 80, 443),
  protocol: fc.constantFrom("TCP" as const, "TCP" as const, "UDP" as const),
  hostIP: fc.constantFrom("", "0.0.0.0", "10.0.0.1", "10.0.0.2"),
});

const milli = fc.constantFrom(0, 0, 100, 250, 500, 1000, 3000);
const bytes = fc.constantFrom(0, 0, 128 * 2 ** 20, 512 * 2 ** 20, GI, 3 * GI);

export const pod: fc.Arbitrary<PodQuery> = fc
  .record({
    cpu: milli,
    memory: bytes,
    ephemeralStorage: fc.constantFrom(0, 0, 0, GI, 20 * GI),
    hostPorts: fc.oneof({ weight: 2, arbitrary: fc.constant<HostPort[]>([]) }, { weight: 1, arbitrary: fc.array(hostPort, { maxLength: 2 }) }),
    nodeName: fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...NAMES, "ghost") }),
    nodeSelector: fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(key, value, { maxKeys: 2 }) }),
    requiredTerms: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.array(term, { maxLength: 3 }) }),
    preferredTerms: fc.array(fc.record({ weight: fc.integer({ min: 0, max: 100 }), preference: term }), { maxLength: 3 }),
    tolerations: fc.array(toleration, { maxLength: 4 }),
  })
  .map((p) => ({
    requests: { cpu: p.cpu, memory: p.memory, ephemeralStorage: p.ephemeralStorage },
    nonZero: { cpu: p.cpu || 100, memory: p.memory || 200 * 2 ** 20 },
    hostPorts: p.hostPorts,
    nodeName: p.nodeName,
    nodeSelector: p.nodeSelector,
    requiredTerms: p.requiredTerms,
    preferredTerms: p.preferredTerms,
    tolerations: p.tolerations,
  }));

export const options: fc.Arbitrary<ScorerOptions> = fc.record({
  scoring: fc.constantFrom("binpack" as const, "spread" as const),
  tieBreak: fc.constantFrom("first" as const, "random" as const),
  seed: fc.integer({ min: 1, max: 2 ** 31 }),
  weights: fc.record({
    fit: fc.integer({ min: 0, max: 5 }),
    balanced: fc.integer({ min: 0, max: 5 }),
    nodeAffinity: fc.integer({ min: 0, max: 5 }),
    taintToleration: fc.integer({ min: 0, max: 5 }),
  }),
});

/** One step of a scheduling session: schedule (and assume) a pod, or change the cluster. */
export type Step =
  /** `pod` absent: a pod of the session's pool, so equal pods recur as replicas of a workload do. */
  | { kind: "schedule"; pod: PodQuery | null; pick: number; bind: boolean }
  /** `count` pods of one pool entry in a row, each assumed where it lands (a workload scaling up). */
  | { kind: "burst"; pick: number; count: number }
  | { kind: "upsert"; node: NodeInfo }
  | { kind: "remove"; name: string }
  | { kind: "forgetLast" };

function stepOf(nodes: fc.Arbitrary<NodeInfo>, burstWeight: number): fc.Arbitrary<Step> {
  return fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({ kind: fc.constant("schedule" as const), pod: fc.option(pod, { freq: 2 }), pick: fc.nat(7), bind: fc.boolean() }),
    },
    { weight: burstWeight, arbitrary: fc.record({ kind: fc.constant("burst" as const), pick: fc.nat(7), count: fc.integer({ min: 2, max: 12 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("upsert" as const), node: nodes }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), name: fc.constantFrom(...NAMES) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("forgetLast" as const) }) },
  );
}

export const step: fc.Arbitrary<Step> = stepOf(node, 2);

export const session = fc.record({
  options,
  nodes: fc.array(node, { minLength: 0, maxLength: 20 }),
  pool: fc.array(pod, { minLength: 1, maxLength: 4 }),
  steps: fc.array(step, { minLength: 1, maxLength: 25 }),
});

/** Nodes that hold a handful of pods: bursts fill them, so feasibility flips often. */
export const tightNode: fc.Arbitrary<NodeInfo> = fc
  .tuple(node, fc.integer({ min: 1, max: 4 }))
  .map(([n, pods]) => ({ ...n, allocatable: { ...n.allocatable, pods } }));

/** Preferences that match many nodes, so the affinity maximum sits on nodes that then fill up. */
const broadPreference: fc.Arbitrary<NodeSelectorTerm> = fc.oneof(
  fc.record({ matchExpressions: fc.tuple(fc.record({ key, operator: fc.constant("Exists" as const) })) }),
  fc.record({ matchExpressions: fc.tuple(fc.record({ key, operator: fc.constant("In" as const), values: fc.array(value, { minLength: 1, maxLength: 3 }) })) }),
);

/** Pods scored in two passes: preferred terms, and often avoidable PreferNoSchedule taints. */
export const preferringPod: fc.Arbitrary<PodQuery> = fc
  .tuple(pod, fc.array(fc.record({ weight: fc.integer({ min: 1, max: 100 }), preference: broadPreference }), { minLength: 1, maxLength: 3 }))
  .map(([p, preferredTerms]) => ({ ...p, nodeName: undefined, hostPorts: [], preferredTerms }));

/** Bursts of replicas onto small nodes: the maxima that normalisation divides by keep moving. */
export const tightSession = fc.record({
  options,
  nodes: fc.array(tightNode, { minLength: 1, maxLength: 20 }),
  pool: fc.array(fc.oneof(preferringPod, pod), { minLength: 1, maxLength: 3 }),
  steps: fc.array(stepOf(tightNode, 6), { minLength: 1, maxLength: 25 }),
});

/** Runs a session on one scorer and records every decision. */
export function runSession(scorer: Scorer, nodes: NodeInfo[], pool: PodQuery[], steps: Step[]): unknown[] {
  for (const n of nodes) scorer.upsertNode(n);
  const bound: { pod: PodUsage; node: string }[] = [];
  const out: unknown[] = [];
  const schedule = (pod: PodQuery, bind: boolean) => {
    const d = scorer.schedule(pod);
    out.push(d);
    if (bind && d.node !== undefined) {
      scorer.assume(pod, d.nodeIndex);
      bound.push({ pod, node: d.node });
    }
  };
  for (const s of steps) {
    if (s.kind === "schedule") schedule(s.pod ?? pool[s.pick % pool.length]!, s.bind);
    else if (s.kind === "burst") {
      for (let k = 0; k < s.count; k++) schedule(pool[s.pick % pool.length]!, true);
    } else if (s.kind === "upsert") {
      out.push(["upsert", scorer.upsertNode(s.node)]);
    } else if (s.kind === "remove") {
      out.push(["remove", scorer.removeNode(s.name)]);
      for (let i = bound.length - 1; i >= 0; i--) if (bound[i]!.node === s.name) bound.splice(i, 1);
    } else {
      const last = bound.pop();
      if (last) scorer.forget(last.pod, scorer.nodeIndex(last.node)!);
    }
  }
  return out;
}
