// The scheduler core bench's two harder workloads, reported apart from the default (hot) mix:
//  - cold: nine pods in ten of a class of their own (distinct requests), far more classes than
//    the wasm scorer's class cache holds (32): each such pod is a class-cache miss, which takes a
//    full scan of every node (a class is only indexed from its second pod), the index's worst case;
//  - constrained: required node affinity (several terms, In/NotIn/Exists/Gt), nodes with many
//    taints (NoSchedule and PreferNoSchedule, partly tolerated) and host ports that fill up, so
//    the filters do real work and taint scoring takes the two-pass path.
// Pod (anti-)affinity and topology spread run beside the core and are measured by
// scheduler-constraints.ts. All deterministic (seeded xorshift).
import type { NodeInfo, PodQuery, Taint, Toleration } from "../src/scheduler/index.ts";
import { XorShift32 } from "../src/scheduler/tie-break.ts";
import { fakeNodes, fakePods } from "./scheduler-core.ts";

const MI = 2 ** 20;

/** Mostly one-of-a-kind pods: requests drawn per pod; every tenth pod from the hot workloads. */
export function coldPods(count: number, seed = 3): PodQuery[] {
  const rng = new XorShift32(seed);
  const hot = fakePods(Math.ceil(count / 10), seed + 1);
  return Array.from({ length: count }, (_, k): PodQuery => {
    if (k % 10 === 0) return hot[k / 10]!;
    const cpu = 50 + (rng.next() % 1950);
    const memory = (64 + (rng.next() % 1984)) * MI;
    return {
      hostPorts: [], nodeSelector: {}, preferredTerms: [], tolerations: [],
      requests: { cpu, memory, ephemeralStorage: 0 },
      nonZero: { cpu, memory },
    };
  });
}

const TAINT_KEYS = 12;
const taintOf = (t: number): Taint => ({
  key: `team-${t}`,
  value: "reserved",
  // A third of the keys repel, the rest are only avoided.
  effect: t % 3 === 0 ? "NoSchedule" : "PreferNoSchedule",
});

/** fakeNodes plus a numeric `rack` label, a `disk` label on some, and 0..6 taints each. */
export function constrainedNodes(count: number, seed = 4): NodeInfo[] {
  const rng = new XorShift32(seed);
  return fakeNodes(count).map((n, i) => {
    const taints = [...n.taints];
    const k = rng.next() % 7;
    const first = rng.next() % TAINT_KEYS;
    for (let j = 0; j < k; j++) taints.push(taintOf((first + j) % TAINT_KEYS));
    const labels: Record<string, string> = { ...n.labels, rack: String(i % 40) };
    if (rng.next() % 3 === 0) labels.disk = rng.next() % 2 === 0 ? "ssd" : "hdd";
    return { ...n, labels, taints };
  });
}

const TOLERATE_ALL_PREFER: Toleration = { operator: "Exists", effect: "PreferNoSchedule" };

/** 24 workloads mixing required node affinity, tolerations of some taints and host ports. */
function constrainedWorkloads(): PodQuery[] {
  const out: PodQuery[] = [];
  for (let w = 0; w < 24; w++) {
    const cpu = 100 * (1 + (w % 5));
    const memory = 256 * MI * (1 + (w % 3));
    const tolerations: Toleration[] = [];
    // Tolerate 0..3 of the repelling keys, and sometimes every avoidable taint.
    for (let t = 0; t < w % 4; t++) tolerations.push({ key: `team-${(3 * (w + t)) % TAINT_KEYS}`, operator: "Exists" });
    if (w % 5 === 0) tolerations.push(TOLERATE_ALL_PREFER);
    const requiredTerms =
      w % 4 === 0
        ? undefined
        : [
            {
              matchExpressions: [
                { key: "topology.kubernetes.io/zone", operator: "In" as const, values: w % 2 ? ["zone-a", "zone-b"] : ["zone-c"] },
                { key: "node.kubernetes.io/instance-type", operator: "NotIn" as const, values: ["small"] },
                { key: "rack", operator: "Gt" as const, values: [String(w % 20)] },
              ],
            },
            { matchExpressions: [{ key: "disk", operator: "Exists" as const }, { key: "rack", operator: "Lt" as const, values: ["30"] }] },
          ];
    out.push({
      hostPorts: w % 3 === 0 ? [{ port: 9000 + (w % 12), protocol: "TCP" }] : [],
      nodeSelector: w % 6 === 1 ? { "kubernetes.io/os": "linux" } : {},
      requiredTerms,
      preferredTerms: w % 2 === 0 ? [{ weight: 20 + w, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } }] : [],
      tolerations,
      requests: { cpu, memory, ephemeralStorage: 0 },
      nonZero: { cpu, memory },
    });
  }
  return out;
}

/** The constrained pod stream: the 24 workloads interleaved at random. */
export function constrainedCorePods(count: number, seed = 5): PodQuery[] {
  const rng = new XorShift32(seed);
  const workloads = constrainedWorkloads();
  return Array.from({ length: count }, () => structuredClone(workloads[rng.next() % workloads.length]!));
}
