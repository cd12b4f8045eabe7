import { describe, expect, test } from "bun:test";
import type { Deployment } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import {
  calculateDeploymentStatus,
  computeHash,
  equalIgnoreHash,
  fnv32a,
  newReplicaSetAnnotations,
  resolveFenceposts,
  safeEncodeString,
  scaledValue,
} from "./deployment-util.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const template = (image: string, labels: Record<string, string> = { app: "web" }) => ({ metadata: { labels }, spec: { containers: [{ name: "c", image }] } });

describe("hashing", () => {
  test.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
  ])("fnv32a(%p)", (s, want) => expect(fnv32a(bytes(s))).toBe(want));

  test("safeEncodeString maps every character into the safe alphabet", () => {
    expect(safeEncodeString("0123456789")).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
  });

  test("the hash depends on the template and the collision count, not on key order or empty fields", () => {
    const a = computeHash(template("x:1"));
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash(template("x:2"))).not.toBe(a);
    expect(computeHash(template("x:1"), 1)).not.toBe(a);
    expect(computeHash({ spec: { containers: [{ image: "x:1", name: "c" }] }, metadata: { labels: { app: "web" }, annotations: {} } })).toBe(a);
  });

  test.each([
    ["same", template("x:1"), template("x:1"), true],
    ["hash label ignored", template("x:1", { app: "web", "pod-template-hash": "abc" }), template("x:1"), true],
    ["null creationTimestamp as kubectl sends it", { ...template("x:1"), metadata: { labels: { app: "web" }, creationTimestamp: null } }, template("x:1"), true],
    ["image differs", template("x:1"), template("x:2"), false],
    ["labels differ", template("x:1", { app: "a" }), template("x:1"), false],
  ] as const)("equalIgnoreHash: %s", (_name, a, b, want) => expect(equalIgnoreHash(a as never, b as never)).toBe(want));
});

describe("fenceposts", () => {
  test.each([
    [2, 10, true, 2],
    ["25%", 10, true, 3],
    ["25%", 10, false, 2],
    ["0%", 10, true, 0],
    [undefined, 10, true, 0],
    ["100%", 3, false, 3],
  ] as const)("scaledValue(%p of %p, up=%p) = %p", (v, total, up, want) => expect(scaledValue(v, total, up)).toBe(want));

  const d = (replicas: number, maxSurge?: number | string, maxUnavailable?: number | string, type: "RollingUpdate" | "Recreate" = "RollingUpdate"): Deployment => ({
    metadata: {},
    spec: { replicas, selector: {}, template: {}, strategy: { type, rollingUpdate: { maxSurge, maxUnavailable } } },
  });
  test.each([
    ["defaults 25% of 4", d(4), { maxSurge: 1, maxUnavailable: 1 }],
    ["25% of 10 rounds surge up, unavailable down", d(10), { maxSurge: 3, maxUnavailable: 2 }],
    ["both zero: unavailable becomes 1", d(3, 0, 0), { maxSurge: 0, maxUnavailable: 1 }],
    ["numbers", d(5, 2, 0), { maxSurge: 2, maxUnavailable: 0 }],
    ["Recreate has none", d(5, undefined, undefined, "Recreate"), { maxSurge: 0, maxUnavailable: 0 }],
  ])("resolveFenceposts: %s", (_name, dep, want) => expect(resolveFenceposts(dep)).toEqual(want));
});

describe("annotations", () => {
  const dep: Deployment = {
    metadata: { annotations: { "kubernetes.io/change-cause": "v2", "kubectl.kubernetes.io/last-applied-configuration": "{}", "deployment.kubernetes.io/revision": "1" } },
    spec: { replicas: 3, selector: {}, template: {} },
  };
  test("a new replicaset gets the revision, the copied annotations and the replica counts", () => {
    expect(newReplicaSetAnnotations(dep, undefined, 2, 1)).toEqual({
      "kubernetes.io/change-cause": "v2",
      "deployment.kubernetes.io/revision": "2",
      "deployment.kubernetes.io/desired-replicas": "3",
      "deployment.kubernetes.io/max-replicas": "4",
    });
  });
  test("a rollback to an old replicaset moves its old revision to the history", () => {
    const rs: ReplicaSet = { metadata: { annotations: { "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "5" } } };
    expect(newReplicaSetAnnotations(dep, rs, 3, 0)).toMatchObject({
      "deployment.kubernetes.io/revision": "3",
      "deployment.kubernetes.io/revision-history": "1",
      // Sizes are the scaler's business once the replicaset exists.
      "deployment.kubernetes.io/desired-replicas": "5",
    });
  });
});

describe("calculateDeploymentStatus", () => {
  const rs = (name: string, spec: number, replicas: number, ready: number, available: number): ReplicaSet => ({
    metadata: { name },
    spec: { replicas: spec, selector: {} },
    status: { replicas, readyReplicas: ready, availableReplicas: available },
  });
  const dep: Deployment = { metadata: { generation: 4 }, spec: { replicas: 4, selector: {}, template: {}, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } } };
  const now = new Date("2025-01-01T00:00:00Z");
  test.each([
    ["mid-rollout", [rs("new", 2, 2, 1, 1), rs("old", 3, 3, 3, 3)], { replicas: 5, updatedReplicas: 2, readyReplicas: 4, availableReplicas: 4, unavailableReplicas: 1 }, "True"],
    ["too few available", [rs("new", 4, 4, 1, 1), rs("old", 0, 1, 1, 1)], { replicas: 5, updatedReplicas: 4, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 2 }, "False"],
  ])("%s", (_name, all, counts, available) => {
    const s = calculateDeploymentStatus(dep, all, all[0], now);
    expect(s).toMatchObject({ observedGeneration: 4, ...counts });
    expect(s.conditions?.find((c) => c.type === "Available")?.status).toBe(available as "True" | "False");
  });
});
