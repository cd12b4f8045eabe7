// The wasm scorer must make the same decisions as the TypeScript reference on random clusters:
// same node, same score, same feasible count and the same rejection histogram, through sequences
// of schedules, assumes, forgets and node changes (which exercise the incremental updates of the
// per-class indexes). Each wasm configuration below forces one of the index's less common paths.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { runSession, session, tightSession, type Step } from "../../test/helpers/scheduler-arbitraries.ts";
import { GI, makeNode, makePod } from "../../test/helpers/scheduler-fixtures.ts";
import { createTsScorer } from "./ts-scorer.ts";
import type { NodeInfo, PodQuery, ScorerOptions } from "./types.ts";
import { type WasmScorerOptions, createWasmScorer } from "./wasm-scorer.ts";

// Hundreds of random sessions a test: ~15 s on an idle 2-core machine, several times that when the
// machine is loaded (CI with e2e tests beside them); the bound is for a hang, not for speed.
const PROPERTY_TIMEOUT_MS = 180_000;
// Runs a property: enough to catch a divergence in CI (fast-check draws new cases every run, so
// coverage adds up across runs), fewer than a deep local check (KUBUN_PROPERTY_RUNS=1000).
const RUNS = Number(process.env.KUBUN_PROPERTY_RUNS ?? 80);

ensureWasmBuilt("scheduler");


const CONFIGS: [string, WasmScorerOptions][] = [
  ["equivalence cache", {}],
  ["no equivalence cache", { equivalenceCache: false }],
  // A class that misses more than two node changes rebuilds its index from scratch.
  ["change log of 2 entries", { changeLogSize: 2 }],
  // Classes evicted and their slots reused by others.
  ["2 cached classes", { maxClasses: 2 }],
  // The node table (and every class's trees) grows while pods are being scheduled.
  ["node table of 1 slot at first", { nodeCapacity: 1 }],
];

describe("wasm scorer agrees with the TypeScript reference", () => {
  // ~15 pods per session, 500 sessions per configuration (the original single property ran 300).
  test.each(CONFIGS)("random clusters, pods and cluster changes (%s)", (_name, config) => {
    fc.assert(
      fc.property(session, ({ options, nodes, pool, steps }) => {
        const want = runSession(createTsScorer(options), nodes, pool, steps);
        expect(runSession(createWasmScorer({ ...options, ...config }), nodes, pool, steps)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);

  test.each(CONFIGS)("bursts of replicas filling small nodes, preferred terms (%s)", (_name, config) => {
    fc.assert(
      fc.property(tightSession, ({ options, nodes, pool, steps }) => {
        const want = runSession(createTsScorer(options), nodes, pool, steps);
        expect(runSession(createWasmScorer({ ...options, ...config }), nodes, pool, steps)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);
});

/** Pods of the pool with per-node extra scores (the TS plugins' InterPodAffinity/PodTopologySpread share), from a seed. */
function withExtraScores(nodes: NodeInfo[], pool: PodQuery[], seed: number): PodQuery[] {
  return pool.map((pod, i) => {
    if ((seed + i) % 3 === 0) return pod;
    const extraScores = new Map(nodes.map((n, j) => [n.name, (((seed + 1) * (i + 3) * (j + 7) * 2654435761) >>> 0) % 401]));
    extraScores.set("no-such-node", 400);
    return { ...pod, extraScores };
  });
}

describe("per-node extra scores (plugins run beside the core)", () => {
  test.each(CONFIGS)("random clusters and pods with extra scores decide alike (%s)", (_name, config) => {
    fc.assert(
      fc.property(session, fc.nat(1000), ({ options, nodes, pool, steps }, seed) => {
        const scored = withExtraScores(nodes, pool, seed);
        const want = runSession(createTsScorer(options), nodes, scored, steps);
        expect(runSession(createWasmScorer({ ...options, ...config }), nodes, scored, steps)).toEqual(want);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  }, PROPERTY_TIMEOUT_MS);
});

const small = (name: string, o: Partial<NodeInfo> = {}) =>
  makeNode(name, { allocatable: { cpu: 4000, memory: 8 * GI, ephemeralStorage: 10 * GI, pods: 2 }, ...o });
const avoid = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `spot-${i}`, value: "true", effect: "PreferNoSchedule" as const }));

const fill = (count: number): Step => ({ kind: "burst", pick: 0, count });

/** Scenarios where the maximum a score is normalised by disappears (its node fills up or changes). */
const MAXIMA_LOST: [string, NodeInfo[], PodQuery, Step[]][] = [
  [
    "the node matching most preferred terms fills up",
    [small("plain-1"), small("gpu", { labels: { gpu: "1" } }), small("plain-2", { labels: { gpu: "0" } })],
    makePod({
      cpu: 100,
      preferredTerms: [
        { weight: 10, preference: { matchExpressions: [{ key: "gpu", operator: "In", values: ["1"] }] } },
        { weight: 5, preference: { matchExpressions: [{ key: "gpu", operator: "Exists" }] } },
      ],
    }),
    [fill(7)],
  ],
  [
    "the node with most avoidable taints loses them, then goes away",
    [small("two", { taints: avoid(2) }), small("one", { taints: avoid(1) }), small("none")],
    makePod({ cpu: 100 }),
    [fill(1), { kind: "upsert", node: small("two", { taints: avoid(1) }) }, fill(2), { kind: "remove", name: "two" }, fill(3)],
  ],
  [
    "best preferred and worst tainted nodes fill up in turn",
    [
      small("a", { labels: { zone: "a" }, taints: avoid(3) }),
      small("b", { labels: { zone: "b" }, taints: avoid(1) }),
      small("ab", { labels: { zone: "a", disk: "ssd" } }),
      small("c"),
    ],
    makePod({
      cpu: 100,
      preferredTerms: [
        { weight: 30, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] } },
        { weight: 70, preference: { matchExpressions: [{ key: "disk", operator: "Exists" }] } },
      ],
    }),
    [fill(9)],
  ],
];

describe("class index when a normalisation maximum disappears", () => {
  test.each(MAXIMA_LOST)("%s", (_name, nodes, pod, steps) => {
    const options: ScorerOptions = { scoring: "spread" };
    const want = runSession(createTsScorer(options), nodes, [pod], steps);
    // The last pod finds every node full.
    expect(want.at(-1)).toMatchObject({ nodeIndex: -1 });
    for (const [, config] of CONFIGS) {
      expect(runSession(createWasmScorer({ ...options, ...config }), nodes, [pod], steps)).toEqual(want);
    }
  });
});
