import { expect, test } from "bun:test";
import type { NodeUsageReport } from "../../apis/metrics/metrics.ts";
import { MetricsWindow, usageOf } from "./window.ts";

const report = (t: number, cpu: number, containers: { name: string; id: string; cpu: number }[], uid = "u1"): NodeUsageReport => ({
  apiVersion: "kubun.io/v1",
  kind: "NodeUsageReport",
  node: { timeMs: t, cpuSeconds: cpu, memoryWorkingSetBytes: 1 << 30 },
  pods: [{ namespace: "ns", name: "p", uid, containers: containers.map((c) => ({ name: c.name, id: c.id, timeMs: t, cpuSeconds: c.cpu, memoryWorkingSetBytes: 2048 })) }],
});

test.each([
  ["no earlier sample", { last: { timeMs: 1000, cpuSeconds: 1, memoryWorkingSetBytes: 0 } }, undefined],
  ["half a core over 10 s", { prev: { timeMs: 0, cpuSeconds: 1, memoryWorkingSetBytes: 0 }, last: { timeMs: 10_000, cpuSeconds: 6, memoryWorkingSetBytes: 5 } }, 500_000_000],
  ["the count went backwards", { prev: { timeMs: 0, cpuSeconds: 6, memoryWorkingSetBytes: 0 }, last: { timeMs: 10_000, cpuSeconds: 1, memoryWorkingSetBytes: 5 } }, undefined],
])("usageOf: %s", (_name, pair, nanoCores) => {
  expect(usageOf(pair)?.cpuNanoCores).toBe(nanoCores as number | undefined);
});

test("a container shows after its second report, with the rate between the two", () => {
  let now = 0;
  const w = new MetricsWindow(() => now);
  w.report("n1", report(0, 100, [{ name: "c", id: "a", cpu: 1 }]));
  expect(w.pods("ns")).toEqual([]);
  expect(w.node("n1")).toBeUndefined();
  now = 10_000;
  w.report("n1", report(10_000, 105, [{ name: "c", id: "a", cpu: 3 }]));
  const [pod] = w.pods("ns");
  expect(pod!.containers[0]!.usage).toEqual({ timeMs: 10_000, windowMs: 10_000, cpuNanoCores: 200_000_000, memoryBytes: 2048 });
  expect(w.node("n1")!.cpuNanoCores).toBe(500_000_000);
  expect(w.pods("other")).toEqual([]);
});

test("a restarted container (new id) or a recreated pod (new uid) starts over; a node gone quiet has no metrics", () => {
  let now = 0;
  const w = new MetricsWindow(() => now, 30_000);
  w.report("n1", report(0, 0, [{ name: "c", id: "a", cpu: 1 }]));
  w.report("n1", report(10_000, 0, [{ name: "c", id: "a", cpu: 2 }]));
  expect(w.pod("ns", "p")).toBeDefined();
  w.report("n1", report(20_000, 0, [{ name: "c", id: "b", cpu: 0.1 }]));
  expect(w.pod("ns", "p")).toBeUndefined();
  w.report("n1", report(30_000, 0, [{ name: "c", id: "b", cpu: 0.2 }], "u2"));
  expect(w.pod("ns", "p")).toBeUndefined();
  now = 100_000;
  expect(w.nodeNames()).toEqual([]);
  expect(w.pods()).toEqual([]);
});

test("pods missing from a node's report are gone", () => {
  const w = new MetricsWindow(() => 0);
  w.report("n1", report(0, 0, [{ name: "c", id: "a", cpu: 1 }]));
  w.report("n1", report(10_000, 0, [{ name: "c", id: "a", cpu: 2 }]));
  w.report("n1", { ...report(20_000, 0, []), pods: [] });
  expect(w.pods()).toEqual([]);
});
