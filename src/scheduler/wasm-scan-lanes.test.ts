// The wasm full scan runs pairs of plain nodes (present, ready, schedulable, untainted) through
// f64x2 lanes when the pod asks for nothing but resources; every other node, and every pod with
// a selector, ports, a node name or preferred terms, takes the scalar path. These cases put plain
// and other nodes side by side in every pairing (and an odd node count, so one node is left after
// the pairs) and check each decision in full (node, score, feasible count, rejection histogram)
// against the object-based reference, with pods that fit, pods short of each resource, and ties.
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { GI, makeNode, makePod } from "../../test/helpers/scheduler-fixtures.ts";
import { XorShift32 } from "./tie-break.ts";
import { createTsScorer } from "./ts-scorer.ts";
import type { NodeInfo, PodQuery, Scorer, ScorerOptions } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const MI = 2 ** 20;

/** Node i: mostly plain, some tainted (either effect), cordoned, not ready, full or zero-sized. */
function cluster(count: number, seed: number): NodeInfo[] {
  const rng = new XorShift32(seed);
  return Array.from({ length: count }, (_, i) => {
    const roll = rng.next() % 12;
    const cpu = [500, 2000, 4000, 16000][rng.next() % 4]!;
    return makeNode(`n${i}`, {
      taints: roll === 0 ? [{ key: "gpu", value: "x", effect: "NoSchedule" }]
        : roll === 1 ? [{ key: "spot", value: "y", effect: "PreferNoSchedule" }] : [],
      unschedulable: roll === 2,
      ready: roll !== 3,
      allocatable: {
        cpu: roll === 4 ? 0 : cpu,
        memory: roll === 5 ? 0 : (cpu / 500) * GI,
        ephemeralStorage: (1 + (rng.next() % 4)) * GI,
        pods: roll === 6 ? 1 : 20,
      },
    });
  });
}

function pods(count: number, seed: number): PodQuery[] {
  const rng = new XorShift32(seed);
  return Array.from({ length: count }, (_, k) => {
    const cpu = k % 7 === 0 ? 0 : 50 * (rng.next() % 40);
    const memory = k % 5 === 0 ? 0 : (rng.next() % 3000) * MI;
    const pod = makePod({ cpu, memory });
    if (k % 4 === 0) pod.requests.ephemeralStorage = (rng.next() % 3) * GI;
    if (k % 9 === 0) pod.tolerations = [{ key: "spot", operator: "Exists" }];
    if (k % 13 === 0) pod.tolerations = [{ operator: "Exists" }];
    return pod;
  });
}

function decisions(scorer: Scorer, nodes: NodeInfo[], stream: PodQuery[]) {
  for (const n of nodes) scorer.upsertNode(n);
  return stream.map((pod) => {
    const d = scorer.schedule(pod);
    if (d.node !== undefined) scorer.assume(pod, d.nodeIndex);
    return d;
  });
}

const CASES: [string, number, ScorerOptions][] = [
  ["binpack, odd node count", 41, { scoring: "binpack" }],
  ["spread, even node count", 64, { scoring: "spread" }],
  ["binpack, one node", 1, { scoring: "binpack" }],
];

describe("wasm scan lanes", () => {
  test.each(CASES)("decide as the reference (%s)", (_name, count, opts) => {
    for (const seed of [1, 2, 3]) {
      const nodes = cluster(count, seed);
      const stream = pods(300, seed + 10);
      const want = decisions(createTsScorer(opts), nodes, stream);
      expect(decisions(createWasmScorer({ ...opts, equivalenceCache: false }), nodes, stream)).toEqual(want);
      // With the class cache on, a class's first pod takes the same scan.
      expect(decisions(createWasmScorer(opts), nodes, stream)).toEqual(want);
    }
  });

  test("equal scores go to the lowest index, across lanes and scalar nodes", () => {
    // Identical nodes: every score ties; the tainted ones are scored on the scalar path.
    const nodes = Array.from({ length: 9 }, (_, i) =>
      makeNode(`n${i}`, { taints: i % 3 === 0 ? [{ key: "spot", value: "y", effect: "PreferNoSchedule" }] : [] }));
    const stream = Array.from({ length: 40 }, () => makePod({ cpu: 100, memory: 100 * MI, tolerations: [{ key: "spot", operator: "Exists" }] }));
    const want = decisions(createTsScorer({}), nodes, stream);
    expect(decisions(createWasmScorer({ equivalenceCache: false }), nodes, stream)).toEqual(want);
    expect(want[0]!.node).toBe("n0");
  });
});
