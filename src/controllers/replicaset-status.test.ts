import { describe, expect, test } from "bun:test";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import type { Pod } from "../apis/core/pod.ts";
import { calculateReplicaSetStatus, deletionOrder, nextAvailabilityCheck, podsToDelete } from "./replicaset-status.ts";

const now = new Date("2025-01-01T00:01:00Z");
const at = (s: number) => new Date(now.getTime() + s * 1000).toISOString();

function pod(name: string, o: { node?: string; phase?: Pod["status"] extends infer S ? (S extends { phase?: infer P } ? P : never) : never; readySince?: number; created?: number; restarts?: number; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: { name, labels: o.labels ?? { app: "web" }, creationTimestamp: at(o.created ?? -60) },
    spec: { containers: [{ name: "c" }], nodeName: o.node },
    status: {
      phase: o.phase ?? "Pending",
      conditions: o.readySince !== undefined ? [{ type: "Ready", status: "True", lastTransitionTime: at(o.readySince) }] : [],
      containerStatuses: [{ name: "c", ready: o.readySince !== undefined, restartCount: o.restarts ?? 0, image: "", imageID: "" }],
    },
  } as Pod;
}

const rs = (minReadySeconds = 0): ReplicaSet => ({
  metadata: { name: "web", generation: 3 },
  spec: { replicas: 3, minReadySeconds, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web", tier: "fe" } } } },
});

describe("calculateReplicaSetStatus", () => {
  test.each([
    ["no pods", 0, [], { replicas: 0, readyReplicas: 0, availableReplicas: 0, fullyLabeledReplicas: 0 }],
    ["ready counts as available without minReadySeconds", 0, [pod("a", { readySince: -1 }), pod("b")], { replicas: 2, readyReplicas: 1, availableReplicas: 1 }],
    ["minReadySeconds holds back recently ready pods", 30, [pod("a", { readySince: -40 }), pod("b", { readySince: -10 })], { readyReplicas: 2, availableReplicas: 1 }],
    ["fully labeled needs every template label", 0, [pod("a", { labels: { app: "web", tier: "fe" } }), pod("b")], { fullyLabeledReplicas: 1 }],
  ] as const)("%s", (_name, minReady, pods, want) => {
    const s = calculateReplicaSetStatus(rs(minReady), [...pods], undefined, now);
    expect(s).toMatchObject({ observedGeneration: 3, ...want });
  });

  test("a failed create sets ReplicaFailure, success clears it", () => {
    const failed = calculateReplicaSetStatus(rs(), [], new Error("quota"), now);
    expect(failed.conditions).toEqual([{ type: "ReplicaFailure", status: "True", lastTransitionTime: "2025-01-01T00:01:00Z", reason: "FailedCreate", message: "quota" }]);
    expect(calculateReplicaSetStatus({ ...rs(), status: failed }, [], undefined, now).conditions).toBeUndefined();
  });
});

describe("deletion order", () => {
  test.each([
    ["unscheduled before scheduled", pod("a", { node: "n1", phase: "Running" }), pod("b")],
    ["pending before running", pod("a", { node: "n", phase: "Running" }), pod("b", { node: "n", phase: "Pending" })],
    ["not ready before ready", pod("a", { node: "n", phase: "Running", readySince: -50 }), pod("b", { node: "n", phase: "Running" })],
    ["ready for less time first", pod("a", { node: "n", phase: "Running", readySince: -50 }), pod("b", { node: "n", phase: "Running", readySince: -5 })],
    ["more restarts first", pod("a", { node: "n", phase: "Running" }), pod("b", { node: "n", phase: "Running", restarts: 3 })],
    ["newer first", pod("a", { node: "n", phase: "Running", created: -50 }), pod("b", { node: "n", phase: "Running", created: -5 })],
  ])("%s", (_name, keep, victim) => {
    expect(deletionOrder(victim, keep)).toBeLessThan(0);
    expect(podsToDelete([keep, victim], 1).map((p) => p.metadata.name)).toEqual([victim.metadata.name]);
  });
});

test.each([
  [0, [pod("a", { readySince: -1 })], undefined],
  [30, [pod("a", { readySince: -10 }), pod("b", { readySince: -25 })], 5000],
  [30, [pod("a", { readySince: -40 }), pod("b")], undefined],
] as const)("nextAvailabilityCheck(minReady=%p)", (minReady, pods, want) => {
  expect(nextAvailabilityCheck([...pods], minReady, now)).toBe(want);
});
