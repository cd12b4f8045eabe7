// The wasm group scan runs pairs of plain groups (present, ready, schedulable, untainted) through
// f64x2 lanes over dense per-group copies of the node columns (wasm/assembly/_group-lanes.ts);
// other groups take the scalar evaluateGroup(). These cases build clusters of a few node shapes
// (so groups have many members and rejections count each member), mix plain and other groups in
// every pairing, reorder the live list (removals and re-adds move groups' positions, so lanes
// meet groups out of index order), and give different groups equal scores (shapes that differ
// only in what the pod does not ask for), then check every decision in full (node, score,
// feasible count, rejection histogram) against the object-based reference and the scalar twin.
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { GI, makeNode, makePod, runScorerOps, type ScorerOp } from "../../test/helpers/scheduler-fixtures.ts";
import { XorShift32 } from "./tie-break.ts";
import { createTsScorer } from "./ts-scorer.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { NodeInfo, PodQuery, Scorer, ScorerOptions } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const MI = 2 ** 20;

/** Node i of one of a few shapes; some tainted, cordoned, not ready, full or zero-sized. */
function shapeNode(i: number, rng: XorShift32): NodeInfo {
  const roll = rng.next() % 16;
  const cpu = [2000, 4000][rng.next() % 2]!;
  return makeNode(`n${i}`, {
    taints: roll === 0 ? [{ key: "gpu", value: "x", effect: "NoSchedule" }]
      : roll === 1 ? [{ key: "spot", value: "y", effect: "PreferNoSchedule" }] : [],
    unschedulable: roll === 2,
    ready: roll !== 3,
    allocatable: {
      cpu: roll === 4 ? 0 : cpu,
      memory: roll === 5 ? 0 : (cpu / 500) * GI,
      // Shapes differing only here score alike for pods without ephemeral requests: ties across groups.
      ephemeralStorage: (1 + (rng.next() % 3)) * GI,
      pods: roll === 6 ? 1 : 8,
    },
  });
}

type Op = { schedule: PodQuery } | { upsert: NodeInfo } | { remove: string };

/** Pods (fitting, short of each resource, tolerating some taints) with node removals and re-adds. */
function ops(nodeCount: number, count: number, seed: number): Op[] {
  const rng = new XorShift32(seed);
  const out: Op[] = [];
  for (let k = 0; k < count; k++) {
    const roll = rng.next() % 10;
    if (roll === 0) {
      out.push({ remove: `n${rng.next() % nodeCount}` });
      continue;
    }
    if (roll === 1) {
      out.push({ upsert: shapeNode(rng.next() % nodeCount, rng) });
      continue;
    }
    const cpu = k % 7 === 0 ? 0 : 50 * (rng.next() % 30);
    const memory = k % 5 === 0 ? 0 : (rng.next() % 2500) * MI;
    const pod = makePod({ cpu, memory });
    if (k % 4 === 0) pod.requests.ephemeralStorage = (rng.next() % 3) * GI;
    if (k % 9 === 0) pod.tolerations = [{ key: "spot", operator: "Exists" }];
    if (k % 13 === 0) pod.tolerations = [{ operator: "Exists" }];
    out.push({ schedule: pod });
  }
  return out;
}

/** Every decision; scheduled pods are assumed, so groups split as nodes fill. */
const run = (make: (o: ScorerOptions) => Scorer, nodes: NodeInfo[], stream: Op[], o: ScorerOptions) =>
  runScorerOps(make, nodes, stream.map((op): ScorerOp => ("schedule" in op ? { ...op, assume: true } : op)), o);

// The class cache off: every label-free pod takes the group scan.
const wasmGroups = (o: ScorerOptions) => createWasmScorer({ ...o, equivalenceCache: false });
const twinGroups = (o: ScorerOptions) => createWasmScorer({ ...o, equivalenceCache: false, core: createTsTwin });

const CASES: [string, number, ScorerOptions][] = [
  ["binpack, 60 nodes", 60, { scoring: "binpack" }],
  ["spread, 37 nodes", 37, { scoring: "spread" }],
  ["binpack, 3 nodes", 3, { scoring: "binpack" }],
];

describe("wasm group lanes", () => {
  test.each(CASES)("decide as the reference and the twin (%s)", (_name, count, opts) => {
    for (const seed of [1, 2, 3, 4]) {
      const rng = new XorShift32(seed);
      const nodes = Array.from({ length: count }, (_, i) => shapeNode(i, rng));
      const stream = ops(count, 400, seed + 20);
      const want = run(createTsScorer, nodes, stream, opts);
      expect(run(wasmGroups, nodes, stream, opts)).toEqual(want);
      expect(run(twinGroups, nodes, stream, opts)).toEqual(want);
    }
  });

  test("equal scores in other groups go to the lowest index, whatever the live order", () => {
    // Two shapes that score alike (they differ in ephemeral storage only). Removing and re-adding
    // the low nodes puts their groups after the others in the live list.
    const shape = (i: number) => makeNode(`n${i}`, { allocatable: { cpu: 4000, memory: 8 * GI, ephemeralStorage: (1 + (i % 2)) * GI, pods: 8 } });
    const nodes = Array.from({ length: 8 }, (_, i) => shape(i));
    const stream: Op[] = [{ remove: "n0" }, { remove: "n1" }, { remove: "n2" }, { upsert: shape(2) }, { upsert: shape(1) }, { upsert: shape(0) }];
    for (let k = 0; k < 30; k++) stream.push({ schedule: makePod({ cpu: 100, memory: 100 * MI }) });
    for (const scoring of ["spread", "binpack"] as const) {
      const want = run(createTsScorer, nodes, stream, { scoring });
      expect(want[0]!.node).toBe("n0");
      expect(run(wasmGroups, nodes, stream, { scoring })).toEqual(want);
    }
  });

  test("rejections count every member of a group", () => {
    const nodes = Array.from({ length: 9 }, (_, i) => makeNode(`n${i}`, { allocatable: { cpu: 1000 * (1 + (i % 2)), memory: 4 * GI, ephemeralStorage: GI, pods: 8 } }));
    const stream: Op[] = [{ schedule: makePod({ cpu: 1500, memory: 5 * GI }) }, { schedule: makePod({ cpu: 1500 }) }];
    const want = run(createTsScorer, nodes, stream, { scoring: "binpack" });
    expect(want[0]!.rejections).toEqual({ "Insufficient cpu": 5, "Insufficient memory": 9 });
    expect(run(wasmGroups, nodes, stream, { scoring: "binpack" })).toEqual(want);
  });
});
