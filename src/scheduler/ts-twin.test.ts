// The TypeScript twin (ts-twin.ts) must decide exactly as the wasm module it mirrors: same node,
// score, feasible count and rejection histogram, on random clusters with schedules, assumes,
// forgets and node changes, in each configuration that drives a different path of the module
// (full scan, cached scan with random tie-break, class index, index rebuilds and recycling,
// extra plugin scores). This is what makes the bench's wasm-vs-TS figures like for like.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { type Step, session, tightSession } from "../../test/helpers/scheduler-arbitraries.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { NodeInfo, PodQuery, PodUsage, Scorer } from "./types.ts";
import { type WasmScorerOptions, createWasmScorer } from "./wasm-scorer.ts";

// Cases a property: enough to catch a divergence in CI (new cases every run), fewer than a deep
// local check (KUBUN_PROPERTY_RUNS=1000). Sessions run slowly late in a full suite, hence the bound.
const RUNS = Math.ceil(Number(process.env.KUBUN_PROPERTY_RUNS ?? 80) / 4);
const TIMEOUT_MS = 180_000;

ensureWasmBuilt("scheduler");

function run(scorer: Scorer, nodes: NodeInfo[], pool: PodQuery[], steps: Step[]): unknown[] {
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
    else if (s.kind === "burst") for (let k = 0; k < s.count; k++) schedule(pool[s.pick % pool.length]!, true);
    else if (s.kind === "upsert") out.push(["upsert", scorer.upsertNode(s.node)]);
    else if (s.kind === "remove") {
      out.push(["remove", scorer.removeNode(s.name)]);
      for (let i = bound.length - 1; i >= 0; i--) if (bound[i]!.node === s.name) bound.splice(i, 1);
    } else {
      const last = bound.pop();
      if (last) scorer.forget(last.pod, scorer.nodeIndex(last.node)!);
    }
  }
  return out;
}

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
        const want = run(createWasmScorer({ ...options, ...config }), nodes, pods, steps);
        expect(run(createWasmScorer({ ...options, ...config, core: createTsTwin }), nodes, pods, steps)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  test.each(CONFIGS)("bursts filling small nodes, preferred terms (%s)", (_name, config) => {
    fc.assert(
      fc.property(tightSession, ({ options, nodes, pool, steps }) => {
        const want = run(createWasmScorer({ ...options, ...config }), nodes, pool, steps);
        expect(run(createWasmScorer({ ...options, ...config, core: createTsTwin }), nodes, pool, steps)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);
});
