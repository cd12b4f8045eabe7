import { describe, expect, test } from "bun:test";
import type { Deployment } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import { isScalingEvent, proportionalScale, recreateOldScaleDown, rollingNewReplicas, rollingOldScaleDown } from "./deployment-rolling.ts";

const dep = (replicas: number, maxSurge: number | string, maxUnavailable: number | string): Deployment => ({
  metadata: { name: "d" },
  spec: { replicas, selector: {}, template: {}, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } } },
});

/** A replicaset: name, spec.replicas, status.replicas, status.availableReplicas, creation order. */
const rs = (name: string, spec: number, replicas = spec, available = replicas, order = 0, annotations: Record<string, string> = {}): ReplicaSet => ({
  metadata: { name, creationTimestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, order)).toISOString(), annotations },
  spec: { replicas: spec, selector: {} },
  status: { replicas, availableReplicas: available },
});

describe("rollingNewReplicas", () => {
  test.each([
    ["fresh deployment takes all replicas", dep(4, 1, 1), [], undefined, 4],
    ["first surge step", dep(4, 1, 1), [rs("old", 4)], rs("new", 0, 0, 0, 1), 1],
    ["no room while at the surge limit", dep(4, 1, 1), [rs("old", 4), rs("new", 1, 1, 0, 1)], rs("new", 1, 1, 0, 1), 1],
    ["old scaled down frees room", dep(4, 1, 1), [rs("old", 2), rs("new", 1, 1, 1, 1)], rs("new", 1, 1, 1, 1), 3],
    ["old surplus pods still count until gone", dep(4, 1, 1), [rs("old", 2, 4, 4), rs("new", 1, 1, 1, 1)], rs("new", 1, 1, 1, 1), 1],
    ["over desired scales down to desired", dep(3, 1, 1), [rs("new", 5)], rs("new", 5), 3],
    ["percent surge", dep(10, "30%", 0), [rs("old", 10)], rs("new", 0, 0, 0, 1), 3],
  ] as const)("%s", (_name, d, all, newRS, want) => {
    const list = [...all] as ReplicaSet[];
    expect(rollingNewReplicas(d, list, newRS as ReplicaSet | undefined)).toBe(want);
  });
});

describe("rollingOldScaleDown", () => {
  test.each([
    ["nothing while the new pods are unavailable and at the floor", dep(4, 1, 0), [rs("old", 4)], rs("new", 1, 1, 0, 1), {}],
    ["one old pod once a new pod is available", dep(4, 1, 0), [rs("old", 4)], rs("new", 1, 1, 1, 1), { old: 3 }],
    ["maxUnavailable allows scaling down before any new pod is ready", dep(4, 1, 1), [rs("old", 4)], rs("new", 1, 1, 0, 1), { old: 3 }],
    ["unhealthy old replicas go first, within the budget", dep(4, 0, 1), [rs("old", 4, 4, 2)], rs("new", 0, 0, 0, 1), { old: 3 }],
    ["unhealthy replicas cost no availability", dep(4, 0, 2), [rs("old", 4, 4, 2)], rs("new", 0, 0, 0, 1), { old: 2 }],
    ["oldest replicaset first", dep(4, 0, 2), [rs("a", 2, 2, 2, 0), rs("b", 2, 2, 2, 1)], rs("new", 0, 0, 0, 2), { a: 0 }],
    ["stale status cannot count pods beyond spec as available", dep(4, 1, 0), [rs("old", 3, 4, 4)], rs("new", 1, 1, 1, 1), {}],
  ] as const)("%s", (_name, d, olds, newRS, want) => {
    const all = [...olds, newRS] as ReplicaSet[];
    expect(Object.fromEntries(rollingOldScaleDown(d, all, [...olds] as ReplicaSet[], newRS as ReplicaSet))).toEqual(want);
  });
});

describe("proportionalScale", () => {
  const sized = (name: string, spec: number, order: number, desired: number, max: number) =>
    rs(name, spec, spec, spec, order, { "deployment.kubernetes.io/desired-replicas": String(desired), "deployment.kubernetes.io/max-replicas": String(max) });
  test.each([
    ["a single active replicaset takes the new size", dep(6, 1, 1), sized("new", 3, 1, 3, 4), [sized("old", 0, 0, 3, 4)], { new: 6 }],
    ["mid-rollout growth is shared by size", dep(20, 2, 2), sized("new", 5, 1, 10, 12), [sized("old", 7, 0, 10, 12)], { new: 9, old: 13 }],
    ["scaling to zero empties everything", dep(0, 1, 1), sized("new", 2, 1, 4, 5), [sized("old", 3, 0, 4, 5)], { new: 0, old: 0 }],
  ] as const)("%s", (_name, d, newRS, olds, want) => {
    const plan = Object.fromEntries(proportionalScale(d, newRS, [...olds]));
    expect(plan).toEqual(want);
    const total = Object.values(plan).reduce((a, b) => a + b, 0);
    const { replicas = 0 } = d.spec!;
    expect(total).toBeLessThanOrEqual(replicas + (replicas ? Number(d.spec!.strategy!.rollingUpdate!.maxSurge) : 0));
  });

  test("a scaling event is an active replicaset sized for another spec.replicas", () => {
    const d = dep(5, 1, 1);
    expect(isScalingEvent(d, [sized("a", 3, 0, 3, 4)])).toBe(true);
    expect(isScalingEvent(d, [sized("a", 5, 0, 5, 6)])).toBe(false);
    expect(isScalingEvent(d, [sized("a", 0, 0, 3, 4)])).toBe(false);
  });
});

test("Recreate scales every active old replicaset to zero", () => {
  expect(Object.fromEntries(recreateOldScaleDown([rs("a", 2), rs("b", 0), rs("c", 1)]))).toEqual({ a: 0, c: 0 });
});
