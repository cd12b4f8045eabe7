// The core's per-pod bookkeeping (wasm/assembly/_outputs.ts and its twin in ts-twin.ts): assumed
// and forgotten pods are queued and applied by the core at its next call, so a node written by
// the TypeScript side (upsert, removal) must see the queue applied first, and a queue longer than
// its area is applied early; the rejections come back as a list of non-zero counts, shared by the
// pods of a class only while the counts are unchanged. Each case decides as the object-based
// reference does, in the module and in the twin.
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { GI, makeNode, makePod, runScorerOps, type ScorerOp } from "../../test/helpers/scheduler-fixtures.ts";
import { PENDING_MAX } from "./layout.ts";
import { createTsScorer } from "./ts-scorer.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { Scorer, ScorerOptions } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const IMPLEMENTATIONS: [string, (o: ScorerOptions) => Scorer][] = [
  ["wasm", (o) => createWasmScorer(o)],
  ["twin", (o) => createWasmScorer({ ...o, core: createTsTwin })],
  ["wasm, no class cache", (o) => createWasmScorer({ ...o, equivalenceCache: false })],
  ["twin, change log of 2", (o) => createWasmScorer({ ...o, changeLogSize: 2, core: createTsTwin })],
];

type Op = ScorerOp;
const run = runScorerOps;

const nodes = Array.from({ length: 6 }, (_, i) => makeNode(`n${i}`));
const pod = (cpu: number) => makePod({ cpu, memory: GI / 8 });

describe("queued accounts", () => {
  const cases: [string, Op[]][] = [
    [
      // Pods assumed on n1, then n1 removed and added back: it comes back empty, as the queue was
      // applied before the removal (applied after, the pods would land on the new node).
      "a node removed and added back after pods were assumed on it",
      [
        { assumeOn: "n1", pod: pod(3000) },
        { assumeOn: "n2", pod: pod(3500) },
        { remove: "n1" },
        { upsert: makeNode("n1") },
        { schedule: pod(3900) },
        { schedule: pod(100) },
      ],
    ],
    [
      "a node's allocatable changed after pods were assumed on it",
      [
        { assumeOn: "n0", pod: pod(1000) },
        { upsert: makeNode("n0", { allocatable: { cpu: 8000, memory: 8 * GI, ephemeralStorage: 100 * GI, pods: 110 } }) },
        { assumeOn: "n0", pod: pod(1000) },
        { schedule: pod(5000) },
        { forgetOn: "n0", pod: pod(1000) },
        { schedule: pod(6500) },
      ],
    ],
    [
      // More pods than the queue's area holds between two calls: it is applied early.
      "more assumed pods between two calls than the queue holds",
      [
        { schedule: pod(10), assume: true },
        { assumeOn: "n3", pod: pod(10), times: PENDING_MAX + 40 },
        { assumeOn: "n4", pod: pod(1), times: PENDING_MAX - 1 },
        { schedule: pod(10), assume: true },
        { schedule: pod(200) },
      ],
    ],
  ];
  for (const scoring of ["binpack", "spread"] as const) {
    for (const [name, ops] of cases) {
      const want = run(createTsScorer, nodes, ops, { scoring });
      test.each(IMPLEMENTATIONS)(`${name} (%s, ${scoring})`, (_impl, make) => {
        expect(run(make, nodes, ops, { scoring })).toEqual(want);
      });
    }
  }
});

describe("rejections from the core's list", () => {
  // One class filling small nodes: its rejection counts change pod after pod (Insufficient cpu,
  // Too many pods), beside counts that stay (a cordoned node, a tainted one).
  const cluster = [
    ...Array.from({ length: 8 }, (_, i) => makeNode(`s${i}`, { allocatable: { cpu: 1000 + 500 * (i % 3), memory: 8 * GI, ephemeralStorage: GI, pods: 3 } })),
    makeNode("cordoned", { unschedulable: true }),
    makeNode("gpu", { taints: [{ key: "gpu", value: "x", effect: "NoSchedule" }] }),
    makeNode("gpu2", { taints: [{ key: "gpu", value: "y", effect: "NoSchedule" }] }),
  ];
  const stream: Op[] = Array.from({ length: 60 }, (_, k) => ({ schedule: k % 3 === 2 ? pod(700) : pod(300), assume: true }));

  test.each(IMPLEMENTATIONS)("follow the counts as they change (%s)", (_impl, make) => {
    const want = run(createTsScorer, cluster, stream, { scoring: "binpack" });
    const got = run(make, cluster, stream, { scoring: "binpack" });
    expect(new Set(want.map((d) => JSON.stringify(d.rejections))).size).toBeGreaterThan(5);
    expect(want.some((d) => d.node === undefined)).toBe(true);
    expect(got).toEqual(want);
  });

  // The core compares each pod's list with the one its class record's previous pod saw (REC_LIST).
  // A new taint adds a reason, so the records' lists are allocated anew (fresh memory reads as an
  // empty list), and it changes every class's key (the tolerations' id): with one record, the
  // class after it recycles the record, and its empty list must not pass for the previous class's
  // non-empty one.
  test.each([
    ["wasm", (o: ScorerOptions) => createWasmScorer({ ...o, maxClasses: 1 })],
    ["twin", (o: ScorerOptions) => createWasmScorer({ ...o, maxClasses: 1, core: createTsTwin })],
  ] as const)("an empty list in a record whose list was reallocated (%s)", (_impl, make) => {
    const big = pod(1500);
    const ops: Op[] = [
      { assumeOn: "n0", pod: big },
      // The class gets its record after its second pod; the third, with it, finds n0 full.
      ...Array.from({ length: 3 }, () => ({ schedule: big })),
      { upsert: makeNode("tainted", { taints: [{ key: "new", value: "v", effect: "NoSchedule" }] }) },
      { remove: "tainted" },
      { forgetOn: "n0", pod: big },
      // A new class key: the record is recycled after its second pod, used from its third.
      ...Array.from({ length: 4 }, () => ({ schedule: big })),
    ];
    const one = [makeNode("n0", { allocatable: { cpu: 2000, memory: 8 * GI, ephemeralStorage: GI, pods: 110 } })];
    const want = run(createTsScorer, one, ops, { scoring: "binpack" });
    expect(want.map((d) => d.rejections)).toEqual([...Array(3).fill({ "Insufficient cpu": 1 }), {}, {}, {}, {}]);
    expect(run(make, one, ops, { scoring: "binpack" })).toEqual(want);
  });

  test("are read-only, and shared by pods of a class only while unchanged", () => {
    const s = createWasmScorer({ scoring: "binpack" });
    for (const n of cluster) s.upsertNode(n);
    const p = pod(300);
    // The class gets its record at its second pod and its index from its third.
    const d = [s.schedule(p), s.schedule(p), s.schedule(p), s.schedule(p)];
    expect(Object.isFrozen(d[3]!.rejections)).toBe(true);
    expect(d[3]!.rejections).toBe(d[2]!.rejections);
    s.assume(p, d[3]!.nodeIndex);
    s.assume(p, d[3]!.nodeIndex);
    s.assume(p, d[3]!.nodeIndex);
    const full = s.schedule(p);
    expect(full.rejections).not.toBe(d[3]!.rejections);
    expect(full.rejections["Too many pods"]).toBe(1);
  });
});
