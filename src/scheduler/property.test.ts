// The wasm scorer must make the same decisions as the TypeScript reference on random clusters:
// same node, same score, same feasible count and the same rejection histogram, through sequences
// of schedules, assumes, forgets and node changes (which exercise the incremental updates).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { session, type Step } from "./arbitraries.ts";
import { createTsScorer } from "./ts-scorer.ts";
import type { NodeInfo, PodQuery, PodUsage, Scorer } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

/** Runs a session on one scorer and records every decision. */
function run(scorer: Scorer, nodes: NodeInfo[], pool: PodQuery[], steps: Step[]) {
  for (const n of nodes) scorer.upsertNode(n);
  const bound: { pod: PodUsage; node: string }[] = [];
  const out: unknown[] = [];
  for (const s of steps) {
    if (s.kind === "schedule") {
      const pod = s.pod ?? pool[s.pick % pool.length]!;
      const d = scorer.schedule(pod);
      out.push(d);
      if (s.bind && d.node !== undefined) {
        scorer.assume(pod, d.nodeIndex);
        bound.push({ pod, node: d.node });
      }
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

describe("wasm scorer agrees with the TypeScript reference", () => {
  // ~10 pods per session: thousands of pods on hundreds of random clusters per run.
  test.each([true, false])("random clusters, pods and cluster changes (equivalence cache %p)", (equivalenceCache) => {
    fc.assert(
      fc.property(session, ({ options, nodes, pool, steps }) => {
        const want = run(createTsScorer(options), nodes, pool, steps);
        expect(run(createWasmScorer({ ...options, equivalenceCache }), nodes, pool, steps)).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});
