import { describe, expect, test } from "bun:test";
import { diagnose } from "./diagnose.ts";

const node = (name: string, cpu: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, labels: { "kubernetes.io/hostname": name } },
  spec: extra,
  status: { allocatable: { cpu, memory: "8Gi", pods: "110" }, conditions: [{ type: "Ready", status: "True" }] },
});
const pod = (name: string, cpu: string, nodeName?: string, phase = "Running") => ({
  metadata: { name, namespace: "default", uid: `uid-${name}` },
  spec: { nodeName, containers: [{ name: "c", image: "x", resources: { requests: { cpu } } }] },
  status: { phase },
});

describe("diagnose", () => {
  test("groups the nodes by reason, with the numbers behind a resource reason", () => {
    const nodes = [node("a", "2"), node("b", "4"), node("c", "4", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }), node("d", "8")];
    const pods = [pod("on-a", "1500m", "a"), pod("on-b", "1", "b"), pod("done-on-d", "8", "d", "Succeeded")];
    const d = diagnose(pod("big", "2500m"), nodes, pods);
    expect(d.nodes).toBe(4);
    expect(d.feasible).toBe(2);
    const byReason = Object.fromEntries(d.groups.map((g) => [g.reason, g]));
    expect(byReason["Insufficient cpu"]!.count).toBe(1);
    expect(byReason["Insufficient cpu"]!.nodes).toEqual([{ node: "a", details: ["needs 2.5 CPU, 0.5 free of 2"] }]);
    expect(byReason["node(s) had untolerated taint {dedicated: gpu}"]!.nodes.map((n) => n.node)).toEqual(["c"]);
    // A finished pod holds nothing: d is free. Bin-packing (kubun's default) prefers the fuller b;
    // spreading prefers d.
    expect(d.scores.map((s) => s.node)).toEqual(["b", "d"]);
    const spread = diagnose(pod("big", "2500m"), nodes, pods, { scoring: "spread" });
    expect(spread.scores.map((s) => s.node)).toEqual(["d", "b"]);
    expect(spread.scores[0]!.plugins.NodeResourcesFit).toBeGreaterThan(spread.scores[1]!.plugins.NodeResourcesFit!);
  });

  test("an extra filter (volumes, pod-to-pod plugins) is asked first and named as it words itself", () => {
    const d = diagnose(pod("p", "100m"), [node("a", "2"), node("b", "2")], [], { extraFilter: (n) => (n.metadata.name === "a" ? "node(s) didn't match pod anti-affinity rules" : undefined) });
    expect(d.groups).toEqual([{ reason: "node(s) didn't match pod anti-affinity rules", count: 1, nodes: [{ node: "a", details: [] }] }]);
    expect(d.feasible).toBe(1);
  });

  test("samples at most N nodes a reason but counts them all", () => {
    const nodes = Array.from({ length: 50 }, (_, i) => node(`n${i}`, "1"));
    const d = diagnose(pod("p", "2"), nodes, [], { sample: 5 });
    expect(d.groups[0]!.count).toBe(50);
    expect(d.groups[0]!.nodes.length).toBe(5);
  });
});
