// The bench's own check, at a tiny size: on each of its mixes the four same-algorithm runs and the
// object reference choose as the wasm full scan does, every choice is counted, and the mixes
// really are what their names say (cold: nearly every pod a class of its own; constrained: some
// nodes rejected by affinity, taints and ports).
import { expect, test } from "bun:test";
import { ensureWasmBuilt } from "../wasm/build.ts";
import { createWasmScorer } from "../src/scheduler/index.ts";
import { INDEXED_ROUNDS, benchCoreOn, fakeNodes, fakePods } from "./scheduler-core.ts";
import { coldPods, constrainedCorePods, constrainedNodes } from "./scheduler-mixes.ts";

ensureWasmBuilt("scheduler");

const MIXES = [
  ["hot", () => fakeNodes(60), () => fakePods(400)],
  ["cold", () => fakeNodes(60), () => coldPods(400)],
  ["constrained", () => constrainedNodes(60), () => constrainedCorePods(400)],
] as const;

test.each(MIXES)("%s mix: every choice checked and equal to the full scan's", (_name, nodes, pods) => {
  const r = benchCoreOn(nodes(), pods(), 50, { scoring: "binpack" });
  // The twin's scan, each round of both indexed runs, both timed-call runs, and the reference.
  expect(r.checked).toBe(400 * (1 + 2 * INDEXED_ROUNDS + 2) + 50);
  expect(r.differing).toBe(0);
  expect(r.wasmIndexed.scheduled).toBeGreaterThan(0);
});

test("cold pods are mostly of distinct classes, well over the class cache", () => {
  const keys = new Set(coldPods(1000).map((p) => `${p.requests.cpu}/${p.requests.memory}`));
  expect(keys.size).toBeGreaterThan(800);
});

test("the constrained mix rejects nodes for affinity, taints and host ports", () => {
  const scorer = createWasmScorer({ equivalenceCache: false });
  for (const n of constrainedNodes(200)) scorer.upsertNode(n);
  const reasons = new Set<string>();
  for (const pod of constrainedCorePods(600)) {
    const d = scorer.schedule(pod);
    for (const r of Object.keys(d.rejections)) reasons.add(r);
    if (d.node !== undefined) scorer.assume(pod, d.nodeIndex);
  }
  const all = [...reasons].join("\n");
  expect(all).toContain("affinity");
  expect(all).toContain("taint");
  expect(all).toContain("port");
});
