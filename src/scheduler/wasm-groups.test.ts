// Equivalence groups (wasm/assembly/_groups.ts and its twin ts-twin-groups.ts): a label-free pod
// without a class index is scanned over groups of equal nodes. Groups must split when one member
// changes, take a node back at its place in index order, follow removals, taints and ports, and
// decide exactly as the node-by-node scan and the object-based reference do (node, score,
// feasible count, rejection histogram), in the module and in its TypeScript twin.
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { GI, makeNode, makePod, runScorerOps, type ScorerOp } from "../../test/helpers/scheduler-fixtures.ts";
import { createTsScorer } from "./ts-scorer.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { PodQuery, Scorer, ScorerOptions } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

/** Every pod of a class of its own: the cache never indexes it, so the group scan serves it. */
const noIndex = { maxClasses: 1 } as const;

const IMPLEMENTATIONS: [string, (o: ScorerOptions) => Scorer][] = [
  ["wasm, groups", (o) => createWasmScorer({ ...o, equivalenceCache: false })],
  ["twin, groups", (o) => createWasmScorer({ ...o, equivalenceCache: false, core: createTsTwin })],
  ["wasm, groups, class cache of 1", (o) => createWasmScorer({ ...o, ...noIndex })],
  ["wasm, groups, change log of 2", (o) => createWasmScorer({ ...o, equivalenceCache: false, changeLogSize: 2 })],
  ["twin, groups, node table of 1", (o) => createWasmScorer({ ...o, equivalenceCache: false, nodeCapacity: 1, core: createTsTwin })],
];

type Op = ScorerOp;
const run = runScorerOps;

const nodes = Array.from({ length: 10 }, (_, i) => makeNode(`n${i}`, { labels: { "kubernetes.io/hostname": `n${i}` } }));
const pod = (cpu: number, o: Partial<PodQuery> = {}) => makePod({ cpu, memory: GI / 4, ...o });
const small = pod(500);

/**
 * Ops and the node each schedule must pick under spread scoring (emptiest, then lowest index):
 * null = none fits, undefined = not checked (or not a schedule).
 */
const SPREAD: [Op, string | null | undefined][] = [
  [{ schedule: small }, "n0"],
  // n0 leaves the group of empty nodes: the next emptiest is n1.
  [{ assumeOn: "n0", pod: small }, undefined],
  [{ schedule: small }, "n1"],
  // n0 comes back to the head of the group.
  [{ forgetOn: "n0", pod: small }, undefined],
  [{ schedule: small }, "n0"],
  // n3 leaves and rejoins in the middle; n0..n2 leave: n3 is the group's lowest index.
  [{ assumeOn: "n3", pod: small }, undefined],
  [{ forgetOn: "n3", pod: small }, undefined],
  [{ assumeOn: "n0", pod: small }, undefined],
  [{ assumeOn: "n1", pod: small }, undefined],
  [{ assumeOn: "n2", pod: small }, undefined],
  [{ schedule: small }, "n3"],
  // A taint splits n3 off (and rejects it); a removed node leaves its group.
  [{ upsert: makeNode("n3", { taints: [{ key: "gpu", value: "x", effect: "NoSchedule" }] }) }, undefined],
  [{ remove: "n4" }, undefined],
  [{ schedule: small }, "n5"],
  // The node comes back untainted and empty: it rejoins the empty group at its index.
  [{ upsert: makeNode("n3") }, undefined],
  [{ schedule: small }, "n3"],
  // Host ports are part of a node's signature.
  [{ assumeOn: "n5", pod: makePod({ hostPorts: [{ port: 80 }] }) }, undefined],
  [{ schedule: pod(0, { hostPorts: [{ port: 80 }] }) }, "n3"],
  [{ forgetOn: "n3", pod: small }, undefined],
  // Too big for every node: every group counts all of its members.
  [{ schedule: pod(64000) }, null],
  // A pod tolerating nothing, on a cluster where a PreferNoSchedule taint is avoided.
  [{ upsert: makeNode("n6", { taints: [{ key: "spot", value: "y", effect: "PreferNoSchedule" }] }) }, undefined],
  [{ schedule: pod(100), assume: true }, undefined],
  [{ schedule: pod(100), assume: true }, undefined],
];

describe("equivalence groups", () => {
  const ops = SPREAD.map(([op]) => op);
  const want = run(createTsScorer, nodes, ops, { scoring: "spread" });

  test("the reference picks the expected nodes", () => {
    const expected = SPREAD.filter(([op]) => "schedule" in op).map(([, node]) => node);
    expected.forEach((node, k) => {
      if (node !== undefined) expect(want[k]!.node ?? null).toBe(node);
    });
    expect(want.at(-3)!.rejections).toEqual({ "Insufficient cpu": 9 });
  });

  test.each(IMPLEMENTATIONS)("split, rejoin and decide as the reference (%s, spread)", (_name, make) => {
    expect(run(make, nodes, ops, { scoring: "spread" })).toEqual(want);
  });

  test.each(IMPLEMENTATIONS)("split, rejoin and decide as the reference (%s, binpack)", (_name, make) => {
    const binpack = run(createTsScorer, nodes, ops, { scoring: "binpack" });
    expect(run(make, nodes, ops, { scoring: "binpack" })).toEqual(binpack);
  });

  test("a cluster of two shapes filling up, pod after pod", () => {
    const shapes = Array.from({ length: 40 }, (_, i) =>
      makeNode(`s${i}`, { allocatable: { cpu: i % 2 ? 2000 : 4000, memory: 8 * GI, ephemeralStorage: 10 * GI, pods: 4 } }));
    const stream: Op[] = Array.from({ length: 200 }, (_, k) => ({ schedule: pod(100 + 10 * (k % 37)), assume: true }));
    for (const scoring of ["spread", "binpack"] as const) {
      const ref = run(createTsScorer, shapes, stream, { scoring });
      expect(ref.filter((d) => d.node === undefined).length).toBeGreaterThan(0);
      for (const [, make] of IMPLEMENTATIONS) expect(run(make, shapes, stream, { scoring })).toEqual(ref);
    }
  });
});
