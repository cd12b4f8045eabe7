// The query encoder's path for pods without rules (wasm-query.ts) and the taint flags' byte copy
// (wasm-scorer.ts): a pod with any one rule alone (a node selector, required terms, even an empty
// list of them, a preference, a host port) must not take the empty program, and pods whose
// tolerations alternate must see their own flags. Each case decides as the object-based reference
// does, in the module and in the twin, interleaved with rule-free pods so the reused result is
// exercised both ways.
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { makeNode, makePod, runScorerOps, type ScorerOp } from "../../test/helpers/scheduler-fixtures.ts";
import { createTsScorer } from "./ts-scorer.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { PodQuery, Scorer, ScorerOptions } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const IMPLEMENTATIONS: [string, (o: ScorerOptions) => Scorer][] = [
  ["wasm", (o) => createWasmScorer(o)],
  ["twin", (o) => createWasmScorer({ ...o, core: createTsTwin })],
  ["wasm, no class cache", (o) => createWasmScorer({ ...o, equivalenceCache: false, equivalenceGroups: false })],
];

// n0 is the emptiest and first, so a rule-free pod lands there under spread; every rule below
// sends its pod elsewhere (or nowhere). Two taints, so the flags copied for a pod are two bytes
// (the tolerating pod's second byte differs from the others').
const nodes = [
  makeNode("n0", { labels: { zone: "a" } }),
  makeNode("n1", { labels: { zone: "b" }, taints: [{ key: "spot", value: "y", effect: "PreferNoSchedule" }] }),
  makeNode("n2", { labels: { zone: "b" }, taints: [{ key: "team", value: "x", effect: "NoSchedule" }] }),
  makeNode("n3", { labels: { zone: "c", disk: "ssd" } }),
];
const free = makePod({ cpu: 10 });
const RULES: [string, PodQuery][] = [
  ["a node selector", makePod({ cpu: 10, nodeSelector: { zone: "b" } })],
  ["required terms", makePod({ cpu: 10, requiredTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }] })],
  ["an empty list of required terms", makePod({ cpu: 10, requiredTerms: [] })],
  ["a preference", makePod({ cpu: 10, preferredTerms: [{ weight: 100, preference: { matchExpressions: [{ key: "disk", operator: "Exists" }] } }] })],
  ["a host port", makePod({ cpu: 10, hostPorts: [{ port: 8080, protocol: "TCP" }] })],
  ["tolerations", makePod({ cpu: 10, nodeSelector: { zone: "b" }, tolerations: [{ key: "team", operator: "Exists" }] })],
];

describe("pods without rules beside pods with one", () => {
  for (const [label, pod] of RULES) {
    // A host port taken on n0 first, so the port rule has something to avoid.
    const ops: ScorerOp[] = [
      { assumeOn: "n0", pod: makePod({ hostPorts: [{ port: 8080, protocol: "TCP" }] }) },
      ...Array.from({ length: 4 }, (): ScorerOp[] => [{ schedule: free }, { schedule: pod }, { schedule: free, assume: true }, { schedule: pod, assume: true }]).flat(),
    ];
    const opts: ScorerOptions = { scoring: "spread" };
    const want = runScorerOps(createTsScorer, nodes, ops, opts);
    for (const [name, make] of IMPLEMENTATIONS) {
      test(`${label}: ${name}`, () => {
        const got = runScorerOps(make, nodes, ops, opts);
        expect(got.map((d) => [d.node, d.feasible, d.score])).toEqual(want.map((d) => [d.node, d.feasible, d.score]));
        expect(got.map((d) => d.rejections)).toEqual(want.map((d) => d.rejections));
      });
    }
    test(`${label}: the reference sends it off n0`, () => {
      expect(want.filter((_, k) => k % 2 === 1).some((d) => d.node !== "n0")).toBe(true);
    });
  }
});
