// The class index's per-node records (one CN_WORDS record per node slot per class, layout.ts) and
// the affinity tree a class without preferred terms does not keep (wasm/assembly/_class-index.ts,
// ts-twin-index.ts). Few class records, so they are recycled between classes with and without
// preferences: a recycled record must not carry another class's results (its records cleared, its
// affinity maximum rebuilt), a new record starts from fresh memory, and a preference's maximum must
// move when the node holding it changes. Each step decides as the object-based reference does, in
// the module and the twin, with the index on (one or two records) and off.
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { GI, makeNode, makePod, runScorerOps, type ScorerOp } from "../../test/helpers/scheduler-fixtures.ts";
import { createTsScorer } from "./ts-scorer.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { PodQuery, Scorer, ScorerOptions } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const IMPLEMENTATIONS: [string, (o: ScorerOptions) => Scorer][] = [
  ["wasm", (o) => createWasmScorer(o)],
  ["twin", (o) => createWasmScorer({ ...o, core: createTsTwin })],
  ["wasm, 1 class record", (o) => createWasmScorer({ ...o, maxClasses: 1 })],
  ["twin, 1 class record", (o) => createWasmScorer({ ...o, maxClasses: 1, core: createTsTwin })],
  ["wasm, 2 class records", (o) => createWasmScorer({ ...o, maxClasses: 2 })],
  ["twin, 2 class records", (o) => createWasmScorer({ ...o, maxClasses: 2, core: createTsTwin })],
  ["wasm, no class cache", (o) => createWasmScorer({ ...o, equivalenceCache: false, equivalenceGroups: false })],
];

// Odd node counts, so the last record and tree leaf of a slot pair have no neighbour; a soft
// taint on some nodes, so the PreferNoSchedule maximum is kept beside the affinity one.
const nodes = Array.from({ length: 9 }, (_, i) => makeNode(`n${i}`, {
  labels: { zone: ["a", "b", "c"][i % 3]!, ...(i % 4 === 1 ? { disk: "ssd" } : {}), ...(i === 7 ? { gpu: "yes" } : {}) },
  taints: i % 3 === 2 ? [{ key: "spot", value: "y", effect: "PreferNoSchedule" }] : [],
  allocatable: { cpu: 1000 + 500 * (i % 4), memory: (2 + (i % 3)) * GI, ephemeralStorage: 100 * GI, pods: 110 },
}));

const plain = makePod({ cpu: 200, memory: GI / 2 });
const small = makePod({ cpu: 100 });
const ssd = makePod({ cpu: 150, preferredTerms: [{ weight: 80, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } }] });
const gpu = makePod({ cpu: 150, preferredTerms: [{ weight: 100, preference: { matchExpressions: [{ key: "gpu", operator: "Exists" }] } }] });
const zoned = makePod({ cpu: 250, nodeSelector: { zone: "b" } });
const POD_CYCLE: PodQuery[] = [plain, ssd, small, gpu, zoned, ssd, plain, gpu, small];

function scenario(): ScorerOp[] {
  const ops: ScorerOp[] = [];
  for (let round = 0; round < 6; round++) {
    for (const pod of POD_CYCLE) ops.push({ schedule: pod, assume: true });
    // Change the node holding the gpu preference's maximum, then restore it; fill and drain one node.
    if (round === 1) ops.push({ upsert: makeNode("n7", { labels: { zone: "b" }, allocatable: nodes[7]!.allocatable }) });
    if (round === 3) ops.push({ upsert: nodes[7]! });
    if (round === 2) ops.push({ assumeOn: "n1", pod: plain, times: 3 });
    if (round === 4) ops.push({ forgetOn: "n1", pod: plain }, { remove: "n4" });
    if (round === 5) ops.push({ upsert: nodes[4]! });
  }
  return ops;
}

describe("class records recycled between classes with and without preferences", () => {
  for (const scoring of ["binpack", "spread"] as const) {
    const ops = scenario();
    const opts: ScorerOptions = { scoring };
    const want = runScorerOps(createTsScorer, nodes, ops, opts);
    for (const [name, make] of IMPLEMENTATIONS) {
      test(`${scoring}: ${name}`, () => {
        const got = runScorerOps(make, nodes, ops, opts);
        expect(got.map((d) => [d.node, d.feasible, d.score])).toEqual(want.map((d) => [d.node, d.feasible, d.score]));
        expect(got.map((d) => d.rejections)).toEqual(want.map((d) => d.rejections));
      });
    }
    test(`${scoring}: the preferences decide (the reference puts gpu pods on n7 while it has the label)`, () => {
      const scheduled = ops.flatMap((o) => ("schedule" in o ? [o.schedule] : []));
      const gpuPods = want.filter((_, k) => scheduled[k] === gpu);
      expect(gpuPods.some((d) => d.node === "n7")).toBe(true);
      expect(gpuPods.some((d) => d.node !== "n7")).toBe(true);
    });
  }
});
