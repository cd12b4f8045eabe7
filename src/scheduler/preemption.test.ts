// DefaultPreemption's choice of node and victims, on both scorers (the core that filters is the
// one that decides whether the pod fits once victims are gone).
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { makeNode, makePod } from "../../test/helpers/scheduler-fixtures.ts";
import { NOT_HELPFUL, NO_VICTIMS, type PlacedForPreemption, findPreemption, podDisruptionBudgets } from "./preemption.ts";
import { createTsScorer } from "./ts-scorer.ts";
import type { PodQuery, Scorer } from "./types.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const SCORERS: [string, () => Scorer][] = [["ts", () => createTsScorer()], ["wasm", () => createWasmScorer()]];
const node = (name: string, labels: Record<string, string> = {}) =>
  makeNode(name, { labels, allocatable: { cpu: 2000, memory: 2 ** 33, ephemeralStorage: 2 ** 34, pods: 110 } });

/** Places pods (name, node, cpu, priority) on the scorer and answers podsOn. */
function cluster(scorer: Scorer, pods: [string, string, number, number][]) {
  const placed: PlacedForPreemption[] = pods.map(([name, n, cpu, priority]) => ({
    key: `default/${name}`,
    pod: { metadata: { name, namespace: "default" } },
    node: n,
    usage: makePod({ cpu }),
    priority,
  }));
  for (const p of placed) scorer.assume(p.usage, scorer.nodeIndex(p.node)!);
  return (n: string) => placed.filter((p) => p.node === n);
}

const victims = (r: { victims: PlacedForPreemption[] }) => r.victims.map((v) => v.pod.metadata.name).sort();

describe.each(SCORERS)("findPreemption (%s scorer)", (_name, make) => {
  function setup(pods: [string, string, number, number][], nodes = [node("n1"), node("n2")]) {
    const scorer = make();
    for (const n of nodes) scorer.upsertNode(n);
    return { scorer, podsOn: cluster(scorer, pods), nodes: nodes.map((n) => n.name) };
  }
  const incoming = (cpu: number, o: Partial<PodQuery> = {}) => makePod({ cpu, ...o });

  test("evicts the fewest, lowest-priority pods and leaves the scorer as it was", () => {
    const { scorer, podsOn, nodes } = setup([
      ["n1-a", "n1", 1000, 10], ["n1-b", "n1", 1000, 10],
      ["n2-a", "n2", 1000, 5], ["n2-b", "n2", 500, 5], ["n2-c", "n2", 500, 100],
    ]);
    const before = scorer.schedule(incoming(1000));
    expect(before.node).toBeUndefined();
    const r = findPreemption({ scorer, query: incoming(1000), priority: 50, nodes, podsOn });
    // n2 has the lower victims (priority 5); the reprieve keeps one of them.
    expect(r.node).toBe("n2");
    expect(victims(r)).toEqual(["n2-a"]);
    expect(scorer.schedule(incoming(1000))).toEqual(before);
  });

  test("never evicts pods of equal or higher priority", () => {
    const { scorer, podsOn, nodes } = setup([["n1-a", "n1", 2000, 50], ["n2-a", "n2", 2000, 60]]);
    const r = findPreemption({ scorer, query: incoming(1000), priority: 50, nodes, podsOn });
    expect(r.node).toBeUndefined();
    expect(r.message).toBe(`0/2 nodes are available: 2 ${NO_VICTIMS}.`);
  });

  test("a node the pod cannot use even empty is not helpful", () => {
    const { scorer, podsOn, nodes } = setup([["n1-a", "n1", 2000, 0], ["n2-a", "n2", 2000, 60]], [node("n1", { disk: "hdd" }), node("n2", { disk: "ssd" })]);
    const r = findPreemption({ scorer, query: incoming(1000, { nodeSelector: { disk: "ssd" } }), priority: 50, nodes, podsOn });
    expect(r.message).toBe(`0/2 nodes are available: 1 ${NO_VICTIMS}, 1 ${NOT_HELPFUL}.`);
  });

  test("victims a disruption budget protects are spared when another node needs none of them", () => {
    const { scorer, podsOn, nodes } = setup([["n1-a", "n1", 2000, 1], ["n2-a", "n2", 2000, 1]]);
    const budgets = { violating: (vs: readonly { metadata: { name?: string } }[]) => new Set(vs.filter((v) => v.metadata.name === "n1-a")) as never };
    const r = findPreemption({ scorer, query: incoming(1000), priority: 50, nodes, podsOn, budgets });
    expect(r.node).toBe("n2");
  });

  test("pod-to-pod rules are re-checked with the victims gone", () => {
    const { scorer, podsOn, nodes } = setup([["n1-a", "n1", 100, 1], ["n2-a", "n2", 100, 100]]);
    // The pod's anti-affinity (here, a stand-in) rejects any node with one of these pods on it.
    const otherRules = (n: string, removed: ReadonlySet<string>) => podsOn(n).every((p) => removed.has(p.key));
    const r = findPreemption({ scorer, query: incoming(100), priority: 50, nodes, podsOn, otherRules });
    expect(r.node).toBe("n1");
    expect(victims(r)).toEqual(["n1-a"]);
  });
});

describe("podDisruptionBudgets", () => {
  const pdb = (name: string, allowed: number, app: string) => ({ metadata: { name, namespace: "default" }, spec: { selector: { matchLabels: { app } } }, status: { disruptionsAllowed: allowed, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 } });
  const victim = (name: string, app: string, phase = "Running") => ({ metadata: { name, namespace: "default", labels: { app } }, status: { phase, conditions: [{ type: "Ready", status: "True" }] } });

  test("spends each budget victim by victim: the victims past its disruptionsAllowed violate it", () => {
    const budgets = podDisruptionBudgets(() => [pdb("web", 1, "web")] as never);
    const a = victim("a", "web");
    const b = victim("b", "web");
    const c = victim("c", "db");
    const out = budgets.violating([a, b, c] as never);
    expect([...out].map((v) => v.metadata.name)).toEqual(["b"]);
  });

  test("pods the eviction API lets go without a budget (pending, finished) never violate one", () => {
    const budgets = podDisruptionBudgets(() => [pdb("web", 0, "web")] as never);
    expect(budgets.violating([victim("p", "web", "Pending"), victim("s", "web", "Succeeded")] as never).size).toBe(0);
    expect(budgets.violating([victim("r", "web")] as never).size).toBe(1);
  });
});
