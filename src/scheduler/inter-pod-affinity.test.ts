// InterPodAffinity Filter and Score, as kube-scheduler's plugin tests: a table of
// {name, pod, placed pods, node → want}.
import { describe, expect, test } from "bun:test";
import type { Affinity } from "../apis/core/scheduling.ts";
import type { KubeObject } from "../apis/meta.ts";
import { REASON_AFFINITY, REASON_ANTI_AFFINITY, REASON_EXISTING_ANTI_AFFINITY, interPodAffinityFilter, interPodAffinityScores } from "./inter-pod-affinity.ts";
import type { PlacedPod, TopologySnapshot } from "./pod-topology.ts";

const node = (name: string, zone: string): KubeObject => ({ metadata: { name, labels: { "kubernetes.io/hostname": name, zone } } });
const NODES = [node("n1", "a"), node("n2", "a"), node("n3", "b")];
const placed = (key: string, node: string, labels: Record<string, string>, affinity?: Affinity, namespace = "default"): PlacedPod =>
  ({ key, node, labels, namespace, affinity, terminating: false });
const snap = (pods: PlacedPod[], nsLabels: Record<string, Record<string, string>> = {}): TopologySnapshot =>
  ({ nodes: NODES, pods, namespaceLabels: (n) => nsLabels[n] });
const term = (app: string, topologyKey = "kubernetes.io/hostname", extra: object = {}) => ({ labelSelector: { matchLabels: { app } }, topologyKey, ...extra });
const incoming = (affinity: Affinity | undefined, labels: Record<string, string> = { app: "x" }, namespace = "default") => ({ key: "default/new", namespace, labels, affinity });

function verdicts(pod: ReturnType<typeof incoming>, s: TopologySnapshot): Record<string, string | undefined> | undefined {
  const f = interPodAffinityFilter(pod, s);
  return f && Object.fromEntries(NODES.map((n) => [n.metadata.name!, f(n)]));
}

describe("InterPodAffinity Filter", () => {
  test.each<[string, ReturnType<typeof incoming>, PlacedPod[], Record<string, string | undefined> | undefined]>([
    ["no rules anywhere: nothing to check", incoming(undefined), [placed("default/db", "n1", { app: "db" })], undefined],
    [
      "anti-affinity per hostname keeps off the node with a match",
      incoming({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db")] } }),
      [placed("default/db", "n1", { app: "db" })],
      { n1: REASON_ANTI_AFFINITY, n2: undefined, n3: undefined },
    ],
    [
      "anti-affinity per zone keeps off the whole zone",
      incoming({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "zone")] } }),
      [placed("default/db", "n1", { app: "db" })],
      { n1: REASON_ANTI_AFFINITY, n2: REASON_ANTI_AFFINITY, n3: undefined },
    ],
    [
      "pods of other namespaces do not count unless named",
      incoming({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db")] } }),
      [placed("other/db", "n1", { app: "db" }, undefined, "other")],
      { n1: undefined, n2: undefined, n3: undefined },
    ],
    [
      "namespaceSelector selects namespaces by label",
      incoming({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "kubernetes.io/hostname", { namespaceSelector: { matchLabels: { team: "a" } } })] } }),
      [placed("other/db", "n1", { app: "db" }, undefined, "other")],
      { n1: REASON_ANTI_AFFINITY, n2: undefined, n3: undefined },
    ],
    [
      "symmetry: a placed pod's anti-affinity rejects a newcomer it selects",
      incoming(undefined, { app: "db" }),
      [placed("default/db", "n3", { app: "db" }, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "zone")] } })],
      { n1: undefined, n2: undefined, n3: REASON_EXISTING_ANTI_AFFINITY },
    ],
    [
      "affinity needs a matching pod in the same zone",
      incoming({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("cache", "zone")] } }),
      [placed("default/cache", "n2", { app: "cache" })],
      { n1: undefined, n2: undefined, n3: REASON_AFFINITY },
    ],
    [
      "the first pod of a self-affine group may go anywhere with the key",
      incoming({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "zone")] } }, { app: "web" }),
      [],
      { n1: undefined, n2: undefined, n3: undefined },
    ],
    [
      "matchLabelKeys narrows to the newcomer's own value",
      incoming({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "kubernetes.io/hostname", { matchLabelKeys: ["rev"] })] } }, { app: "x", rev: "2" }),
      [placed("default/old", "n1", { app: "db", rev: "1" }), placed("default/new2", "n2", { app: "db", rev: "2" })],
      { n1: undefined, n2: REASON_ANTI_AFFINITY, n3: undefined },
    ],
  ])("%s", (_name, pod, pods, want) => {
    expect(verdicts(pod, snap(pods, { other: { team: "a" } }))).toEqual(want);
  });
});

describe("InterPodAffinity Score", () => {
  test("preferred affinity scores the matching zone highest, normalised to 100", () => {
    const pod = incoming({ podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term("cache", "zone") }] } });
    const scores = interPodAffinityScores(pod, snap([placed("default/cache", "n3", { app: "cache" })]), NODES);
    expect(Object.fromEntries(scores!)).toEqual({ n1: 0, n2: 0, n3: 100 });
  });

  test("preferred anti-affinity and a placed pod's preferred terms count both ways", () => {
    const pod = incoming({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term("db") }] } });
    const likesX = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term("x") }] } };
    const scores = interPodAffinityScores(pod, snap([placed("default/db", "n1", { app: "db" }), placed("default/fan", "n2", { app: "fan" }, likesX)]), NODES);
    // n1: -10, n2: +5, n3: 0 → min-max over [-10, 5].
    expect(Object.fromEntries(scores!)).toEqual({ n1: 0, n2: 100, n3: 66 });
  });

  test("no terms anywhere: no scores", () => {
    expect(interPodAffinityScores(incoming(undefined), snap([placed("default/db", "n1", { app: "db" })]), NODES)).toBeUndefined();
  });
});
