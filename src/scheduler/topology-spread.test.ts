// PodTopologySpread Filter and Score, table-driven as kube-scheduler's plugin tests.
import { describe, expect, test } from "bun:test";
import type { TopologySpreadConstraint } from "../apis/core/scheduling.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { PlacedPod, TopologySnapshot } from "./pod-topology.ts";
import { REASON_SPREAD, REASON_SPREAD_MISSING_LABEL, type SpreadPod, topologySpreadFilter, topologySpreadScores } from "./topology-spread.ts";

const node = (name: string, zone?: string, taints?: object[]): KubeObject =>
  ({ metadata: { name, labels: { "kubernetes.io/hostname": name, ...(zone ? { "topology.kubernetes.io/zone": zone } : {}) } }, spec: { taints } }) as KubeObject;
const NODES = [node("a1", "a"), node("a2", "a"), node("b1", "b"), node("nozone")];
const placed = (node: string, labels = { app: "web" }, namespace = "default"): PlacedPod =>
  ({ key: `${namespace}/${node}-${Math.random()}`, node, labels, namespace, terminating: false });
const snap = (pods: PlacedPod[], nodes = NODES): TopologySnapshot => ({ nodes, pods, namespaceLabels: () => undefined });
const zoneSpread = (o: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint =>
  ({ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } }, ...o });
const spreadPod = (constraints: TopologySpreadConstraint[], o: Partial<SpreadPod> = {}): SpreadPod =>
  ({ key: "default/new", namespace: "default", labels: { app: "web" }, constraints, nodeSelector: {}, tolerations: [], ...o });

function verdicts(pod: SpreadPod, s: TopologySnapshot) {
  const f = topologySpreadFilter(pod, s);
  return f && Object.fromEntries(s.nodes.map((n) => [n.metadata.name!, f(n)]));
}

describe("PodTopologySpread Filter", () => {
  test.each<[string, SpreadPod, PlacedPod[], Record<string, string | undefined> | undefined]>([
    ["no DoNotSchedule constraint: nothing to check", spreadPod([zoneSpread({ whenUnsatisfiable: "ScheduleAnyway" })]), [], undefined],
    [
      "zone a has one more: only b keeps the skew at 1",
      spreadPod([zoneSpread()]),
      [placed("a1")],
      { a1: REASON_SPREAD, a2: REASON_SPREAD, b1: undefined, nozone: REASON_SPREAD_MISSING_LABEL },
    ],
    ["balanced: both zones fit", spreadPod([zoneSpread()]), [placed("a1"), placed("b1")], { a1: undefined, a2: undefined, b1: undefined, nozone: REASON_SPREAD_MISSING_LABEL }],
    ["pods of other namespaces and other labels do not count", spreadPod([zoneSpread()]), [placed("a1", { app: "db" }), placed("a2", { app: "web" }, "other")], { a1: undefined, a2: undefined, b1: undefined, nozone: REASON_SPREAD_MISSING_LABEL }],
    [
      "minDomains 3 with two zones: the minimum counts as 0",
      spreadPod([zoneSpread({ minDomains: 3 })]),
      [placed("a1"), placed("b1")],
      { a1: REASON_SPREAD, a2: REASON_SPREAD, b1: REASON_SPREAD, nozone: REASON_SPREAD_MISSING_LABEL },
    ],
    [
      // Zone b (empty) is not a domain, so a's 1 is the minimum (b1 is NodeAffinity's to reject).
      "nodeAffinityPolicy Honor: zones the pod cannot go to are not domains",
      spreadPod([zoneSpread()], { nodeSelector: { "topology.kubernetes.io/zone": "a" } }),
      [placed("a1")],
      { a1: undefined, a2: undefined, b1: undefined, nozone: REASON_SPREAD_MISSING_LABEL },
    ],
    [
      "nodeAffinityPolicy Ignore: the empty zone b is a domain again",
      spreadPod([zoneSpread({ nodeAffinityPolicy: "Ignore" })], { nodeSelector: { "topology.kubernetes.io/zone": "a" } }),
      [placed("a1")],
      { a1: REASON_SPREAD, a2: REASON_SPREAD, b1: undefined, nozone: REASON_SPREAD_MISSING_LABEL },
    ],
    [
      "matchLabelKeys: only the pod's own revision counts",
      spreadPod([zoneSpread({ matchLabelKeys: ["rev"] })], { labels: { app: "web", rev: "2" } }),
      [placed("a1", { app: "web", rev: "1" } as never), placed("b1", { app: "web", rev: "2" } as never)],
      { a1: undefined, a2: undefined, b1: REASON_SPREAD, nozone: REASON_SPREAD_MISSING_LABEL },
    ],
  ])("%s", (_name, pod, pods, want) => {
    expect(verdicts(pod, snap(pods))).toEqual(want);
  });

  test("nodeTaintsPolicy Honor leaves out the domains of untolerated tainted nodes", () => {
    const nodes = [node("a1", "a"), node("b1", "b", [{ key: "k", effect: "NoSchedule" }])];
    const pod = spreadPod([zoneSpread({ nodeTaintsPolicy: "Honor" })]);
    expect(verdicts(pod, snap([placed("a1")], nodes))).toEqual({ a1: undefined, b1: undefined });
    expect(verdicts(spreadPod([zoneSpread()]), snap([placed("a1")], nodes))).toEqual({ a1: REASON_SPREAD, b1: undefined });
  });
});

describe("PodTopologySpread Score", () => {
  test("ScheduleAnyway prefers the emptier zone", () => {
    const pod = spreadPod([zoneSpread({ whenUnsatisfiable: "ScheduleAnyway" })]);
    const nodes = NODES.slice(0, 3);
    const scores = topologySpreadScores(pod, snap([placed("a1"), placed("a2")], nodes), nodes)!;
    expect(scores.get("b1")).toBe(100);
    expect(scores.get("a1")!).toBeLessThan(100);
    expect(scores.get("a1")).toBe(scores.get("a2"));
  });

  test("default spreading over hostname and zone applies with a workload selector only", () => {
    const nodes = NODES.slice(0, 3);
    const s = snap([placed("a1"), placed("a1")], nodes);
    expect(topologySpreadScores(spreadPod([]), s, nodes)).toBeUndefined();
    const scores = topologySpreadScores(spreadPod([], { defaultSelector: { matchLabels: { app: "web" } } }), s, nodes)!;
    expect(scores.get("b1")).toBe(100);
    expect(scores.get("a2")!).toBeGreaterThan(scores.get("a1")!);
  });
});
