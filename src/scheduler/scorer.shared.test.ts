// One suite, every Scorer implementation: the TS reference, the wasm scorer, and the wasm scorer
// without its equivalence cache.
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { GI, makeNode, makePod } from "../../test/helpers/scheduler-fixtures.ts";
import { unschedulableMessage } from "./reasons.ts";
import { createTsScorer } from "./ts-scorer.ts";
import type { NodeInfo, Scorer, ScorerOptions } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const implementations: [string, (o?: ScorerOptions) => Scorer][] = [
  ["ts", createTsScorer],
  ["wasm", createWasmScorer],
  ["wasm without cache", (o) => createWasmScorer({ ...o, equivalenceCache: false })],
];

function cluster(make: (o?: ScorerOptions) => Scorer, nodes: NodeInfo[], o?: ScorerOptions): Scorer {
  const s = make(o);
  for (const n of nodes) s.upsertNode(n);
  return s;
}

const small = (name: string, o: Partial<NodeInfo> = {}) =>
  makeNode(name, { allocatable: { cpu: 2000, memory: 4 * GI, ephemeralStorage: 10 * GI, pods: 110 }, ...o });
const big = (name: string, o: Partial<NodeInfo> = {}) =>
  makeNode(name, { allocatable: { cpu: 8000, memory: 16 * GI, ephemeralStorage: 10 * GI, pods: 110 }, ...o });

describe.each(implementations)("%s scorer", (_name, make) => {
  test("bin packing prefers the fuller node, spreading the emptier one", () => {
    const nodes = [big("empty"), big("busy")];
    for (const [scoring, want] of [["binpack", "busy"], ["spread", "empty"]] as const) {
      const s = cluster(make, nodes, { scoring });
      s.assume(makePod({ cpu: 4000, memory: 8 * GI }), s.nodeIndex("busy")!);
      expect(s.schedule(makePod({ cpu: 1000, memory: 2 * GI })).node).toBe(want);
    }
  });

  test("assumed pods use up the node until it no longer fits; forget gives it back", () => {
    const s = cluster(make, [small("a")]);
    const pod = makePod({ cpu: 1500 });
    expect(s.schedule(pod).node).toBe("a");
    s.assume(pod, s.nodeIndex("a")!);
    const d = s.schedule(pod);
    expect(d.node).toBeUndefined();
    expect(unschedulableMessage(s.nodeCount, d.rejections)).toBe("0/1 nodes are available: 1 Insufficient cpu.");
    s.forget(pod, s.nodeIndex("a")!);
    expect(s.schedule(pod).node).toBe("a");
  });

  test("pod count limit", () => {
    const s = cluster(make, [makeNode("a", { allocatable: { cpu: 4000, memory: 8 * GI, ephemeralStorage: 0, pods: 1 } })]);
    s.assume(makePod(), 0);
    expect(s.schedule(makePod()).rejections).toEqual({ "Too many pods": 1 });
  });

  test("the kube-scheduler message counts each node under its first failing filter", () => {
    const s = cluster(make, [
      small("a", { taints: [{ key: "node-role", value: "master", effect: "NoSchedule" }] }),
      small("b", { labels: { zone: "x" } }),
      small("c", { labels: { zone: "x" } }),
    ]);
    const d = s.schedule(makePod({ cpu: 3000, nodeSelector: { zone: "x" } }));
    expect(d.node).toBeUndefined();
    expect(unschedulableMessage(s.nodeCount, d.rejections)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role: master}, 2 Insufficient cpu.",
    );
    expect(unschedulableMessage(s.nodeCount, s.schedule(makePod({ nodeSelector: { zone: "y" } })).rejections)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role: master}, 2 node(s) didn't match Pod's node affinity/selector.",
    );
  });

  test("not ready, cordoned and named nodes", () => {
    const s = cluster(make, [small("down", { ready: false }), small("cordoned", { unschedulable: true }), small("ok")]);
    expect(s.schedule(makePod()).node).toBe("ok");
    const d = s.schedule(makePod({ nodeName: "cordoned" }));
    expect(d.rejections).toEqual({
      "node(s) were not ready": 1,
      "node(s) were unschedulable": 1,
      "node(s) didn't match the requested node name": 1,
    });
    const tolerant = makePod({ nodeName: "cordoned", tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists" }] });
    expect(s.schedule(tolerant).node).toBe("cordoned");
  });

  test("preferred node affinity outweighs resource scores", () => {
    const s = cluster(make, [big("plain"), small("ssd", { labels: { disk: "ssd" } })], { scoring: "spread" });
    const pod = makePod({ cpu: 500, preferredTerms: [{ weight: 10, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } }] });
    expect(s.schedule(pod).node).toBe("ssd");
  });

  test("PreferNoSchedule taints are avoided unless tolerated", () => {
    const nodes = [big("spot", { taints: [{ key: "spot", value: "true", effect: "PreferNoSchedule" }] }), small("plain")];
    const s = cluster(make, nodes, { scoring: "spread" });
    expect(s.schedule(makePod({ cpu: 100 })).node).toBe("plain");
    expect(s.schedule(makePod({ cpu: 100, tolerations: [{ key: "spot", operator: "Exists" }] })).node).toBe("spot");
  });

  test("host ports: a bound pod's port blocks the next one on that node", () => {
    const s = cluster(make, [small("a"), small("b")]);
    const pod = makePod({ hostPorts: [{ port: 8080 }] });
    s.assume(pod, s.nodeIndex("a")!);
    const d = s.schedule(pod);
    expect(d.node).toBe("b");
    expect(d.rejections).toEqual({ "node(s) didn't have free ports for the requested pod ports": 1 });
  });

  test("node updates apply in place and removed slots are reused", () => {
    const s = cluster(make, [small("a"), small("b")]);
    s.upsertNode(small("a", { labels: { zone: "z" } }));
    expect(s.schedule(makePod({ nodeSelector: { zone: "z" } })).node).toBe("a");
    expect(s.removeNode("a")).toBe(true);
    expect(s.removeNode("a")).toBe(false);
    expect(s.nodeCount).toBe(1);
    expect(s.schedule(makePod({ nodeSelector: { zone: "z" } })).node).toBeUndefined();
    expect(s.upsertNode(small("c"))).toBe(0);
  });

  test("ties: first keeps the lowest index, random is seeded and reproducible", () => {
    const nodes = Array.from({ length: 8 }, (_, i) => small(`n${i}`));
    expect(cluster(make, nodes).schedule(makePod()).node).toBe("n0");
    const picks = (seed: number) => {
      const s = cluster(make, nodes, { tieBreak: "random", seed });
      return Array.from({ length: 6 }, () => s.schedule(makePod()).node);
    };
    expect(picks(7)).toEqual(picks(7));
    expect(new Set([...picks(7), ...picks(8), ...picks(9)]).size).toBeGreaterThan(1);
  });

  test("score is the weighted sum of the plugin scores", () => {
    const s = cluster(make, [big("a")], { weights: { fit: 2, balanced: 1, nodeAffinity: 0, taintToleration: 0 } });
    // binpack: most allocated (25 + 25) / 2 = 25; balanced: equal fractions = 100.
    expect(s.schedule(makePod({ cpu: 2000, memory: 4 * GI })).score).toBe(2 * 25 + 100);
  });

  test("a growing cluster keeps earlier nodes' state", () => {
    const s = cluster(make, [small("first")]);
    s.assume(makePod({ cpu: 2000 }), 0);
    for (let i = 0; i < 600; i++) s.upsertNode(small(`n${i}`, { labels: { [`key-${i % 40}`]: `v${i}` }, taints: i === 5 ? [{ key: "t", effect: "NoSchedule" }, { key: "u", effect: "NoSchedule" }, { key: "v", effect: "PreferNoSchedule" }, { key: "w", effect: "NoSchedule" }, { key: "x", effect: "NoSchedule" }] : [] }));
    const d = s.schedule(makePod({ cpu: 1000, nodeName: "first" }));
    expect(d.rejections["Insufficient cpu"]).toBe(1);
    expect(s.schedule(makePod({ nodeSelector: { "key-7": "v47" } })).node).toBe("n47");
  });
});
