// The TypeScript twin (ts-twin.ts) must decide exactly as the wasm module it mirrors: same node,
// score, feasible count and rejection histogram, on random clusters with schedules, assumes,
// forgets and node changes, in each configuration that drives a different path of the module
// (full scan, cached scan with random tie-break, class index, index rebuilds and recycling,
// extra plugin scores). This is what makes the bench's wasm-vs-TS figures like for like.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { runSession, session, tightSession } from "../../test/helpers/scheduler-arbitraries.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { NodeInfo, PodQuery } from "./types.ts";
import { type WasmScorerOptions, createWasmScorer } from "./wasm-scorer.ts";

// Cases a property: enough to catch a divergence in CI (new cases every run), fewer than a deep
// local check (KUBUN_PROPERTY_RUNS=1000). Sessions run slowly late in a full suite, hence the bound.
const RUNS = Math.ceil(Number(process.env.KUBUN_PROPERTY_RUNS ?? 80) / 4);
const TIMEOUT_MS = 180_000;

ensureWasmBuilt("scheduler");


const CONFIGS: [string, WasmScorerOptions][] = [
  ["class index", {}],
  ["full scan, no cache", { equivalenceCache: false }],
  ["cached scan, random tie-break", { tieBreak: "random", seed: 7 }],
  ["change log of 2 entries", { changeLogSize: 2 }],
  ["2 cached classes", { maxClasses: 2 }],
  ["node table of 1 slot at first", { nodeCapacity: 1 }],
];

/** Some pods carry per-node extra scores, which take the full scan. */
function withExtraScores(nodes: NodeInfo[], pool: PodQuery[], seed: number): PodQuery[] {
  return pool.map((pod, i) => {
    if ((seed + i) % 3 !== 0) return pod;
    return { ...pod, extraScores: new Map(nodes.map((n, j) => [n.name, (((seed + 1) * (i + 3) * (j + 7) * 2654435761) >>> 0) % 401])) };
  });
}

describe("the TypeScript twin decides as the wasm module", () => {
  test.each(CONFIGS)("random clusters, pods and cluster changes (%s)", (_name, config) => {
    fc.assert(
      fc.property(session, fc.nat(1000), ({ options, nodes, pool, steps }, seed) => {
        const pods = withExtraScores(nodes, pool, seed);
        const want = runSession(createWasmScorer({ ...options, ...config }), nodes, pods, steps);
        expect(runSession(createWasmScorer({ ...options, ...config, core: createTsTwin }), nodes, pods, steps)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  test.each(CONFIGS)("bursts filling small nodes, preferred terms (%s)", (_name, config) => {
    fc.assert(
      fc.property(tightSession, ({ options, nodes, pool, steps }) => {
        const want = runSession(createWasmScorer({ ...options, ...config }), nodes, pool, steps);
        expect(runSession(createWasmScorer({ ...options, ...config, core: createTsTwin }), nodes, pool, steps)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);
});
