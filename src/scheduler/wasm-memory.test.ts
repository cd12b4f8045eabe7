// The wasm scorer's memory after growth: a scorer whose node table grew from 4 slots to 3,000
// nodes (relayouts for capacity, label columns and taints; class records and group blocks made at
// every size and dropped by the next growth) has touched little more than what it holds live,
// not the sum of every table it ever had (WasmHeap reuses what the old tables freed). It chooses
// as a scorer made at its final size does: capacity is not part of any decision.
import { expect, test } from "bun:test";
import type { NodeInfo, PodQuery } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

const node = (i: number): NodeInfo => ({
  name: `n${i}`,
  // A new label column every few nodes at first, so the label stride grows while the table does.
  labels: { zone: `z${i % 3}`, [`l${Math.min(i, 40)}`]: "x" },
  taints: i % 500 === 0 ? [{ key: `t${i}`, value: "", effect: "NoSchedule" }] : [],
  unschedulable: false,
  ready: true,
  allocatable: { cpu: 4000, memory: 1 << 30, ephemeralStorage: 0, pods: 110 },
});

const pod = (k: number): PodQuery => ({
  requests: { cpu: 100 * (1 + (k % 3)), memory: 0, ephemeralStorage: 0 },
  nonZero: { cpu: 100 * (1 + (k % 3)), memory: 0 },
  hostPorts: [],
  nodeSelector: k > 2 ? { zone: `z${k % 3}` } : {},
  preferredTerms: [],
  tolerations: [],
});

test("a scorer grown to 3,000 nodes has touched little more than it holds, and chooses as one made at that size", () => {
  const grown = createWasmScorer({ nodeCapacity: 4 });
  const sized = createWasmScorer({ nodeCapacity: 4096 });
  const choices: [string | undefined, string | undefined][] = [];
  for (let i = 0; i < 3000; i++) {
    grown.upsertNode(node(i));
    sized.upsertNode(node(i));
    // Pods of six classes while the table grows: records and groups at every capacity.
    if (i % 7 === 0) {
      for (let k = 0; k < 6; k++) {
        const a = grown.schedule(pod(k));
        const b = sized.schedule(pod(k));
        choices.push([a.node, b.node]);
        if (a.node) grown.assume(pod(k), a.nodeIndex);
        if (b.node) sized.assume(pod(k), b.nodeIndex);
      }
    }
  }
  for (const [a, b] of choices) expect(a).toBe(b);
  const g = grown.memoryStats;
  // Touched: within 20% of what is live (3.7 MB live, 4.3 touched; with a bump allocator alone and
  // doubling, 9.7 MB touched for 4.7 live).
  expect(g.live).toBeGreaterThan(3_000_000);
  expect(g.touched).toBeLessThan(g.live * 1.2);
  expect(g.top).toBeLessThanOrEqual(g.touched);
  expect(g.byteLength).toBeGreaterThanOrEqual(g.top);
});
