import { describe, expect, test } from "bun:test";
import type { KubeObject, OwnerReference } from "../apis/meta.ts";
import { blockingDependents, classifyOwners, decideDependent, ownerResource, type OwnerLookup } from "./gc-owners.ts";

const ref = (uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: "apps/v1", kind: "ReplicaSet", name: uid, uid, ...extra });
const obj = (uid: string, meta: Partial<KubeObject["metadata"]> = {}): KubeObject => ({ metadata: { name: uid, uid, ...meta } });

describe("ownerResource", () => {
  test.each([
    [{ apiVersion: "apps/v1", kind: "ReplicaSet" }, "replicasets"],
    [{ apiVersion: "v1", kind: "Node" }, "nodes"],
    [{ apiVersion: "example.com/v1", kind: "Widget" }, undefined],
    [{ apiVersion: "v1", kind: "ReplicaSet" }, undefined],
  ])("%o → %s", (r, want) => {
    expect(ownerResource(r)?.resource).toBe(want);
  });
});

describe("classifyOwners", () => {
  const world: Record<string, OwnerLookup> = {
    live: { state: "present", owner: obj("live") },
    background: { state: "present", owner: obj("background", { deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: ["orphan"] }) },
    foreground: { state: "present", owner: obj("foreground", { deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: ["foregroundDeletion"] }) },
    gone: { state: "absent" },
    crd: { state: "unknown" },
  };
  test("sorts owners by what they mean for the dependent", () => {
    const got = classifyOwners(["live", "background", "foreground", "gone", "crd"].map((u) => ref(u)), (r) => world[r.uid]!);
    expect(got.solid.map((r) => r.uid)).toEqual(["live", "background", "crd"]);
    expect(got.dangling.map((r) => r.uid)).toEqual(["gone"]);
    expect(got.waiting.map((r) => r.uid)).toEqual(["foreground"]);
  });
});

describe("decideDependent", () => {
  const c = (solid: string[], dangling: string[], waiting: string[]) => ({
    solid: solid.map((u) => ref(u)),
    dangling: dangling.map((u) => ref(u)),
    waiting: waiting.map((u) => ref(u)),
  });
  test.each([
    { name: "no owners", owners: c([], [], []), deps: false, finalizers: [], want: { action: "none" } },
    { name: "a solid owner", owners: c(["a"], [], []), deps: false, finalizers: [], want: { action: "none" } },
    { name: "solid and dangling", owners: c(["a"], ["b"], ["w"]), deps: false, finalizers: [], want: { action: "removeRefs", uids: ["b", "w"] } },
    { name: "only dangling", owners: c([], ["b"], []), deps: true, finalizers: [], want: { action: "delete", propagationPolicy: "Background" } },
    { name: "waiting, leaf", owners: c([], [], ["w"]), deps: false, finalizers: [], want: { action: "delete", propagationPolicy: "Background" } },
    { name: "waiting, with dependents", owners: c([], [], ["w"]), deps: true, finalizers: [], want: { action: "delete", propagationPolicy: "Foreground" } },
    { name: "dangling, own orphan finalizer", owners: c([], ["b"], []), deps: true, finalizers: ["orphan"], want: { action: "delete", propagationPolicy: "Orphan" } },
  ])("$name", ({ owners, deps, finalizers, want }) => {
    expect(decideDependent(obj("d", { finalizers: [...finalizers] }), owners, deps)).toEqual(want as never);
  });
});

test("blockingDependents keeps only references that block the owner", () => {
  const deps = [
    obj("p1", { ownerReferences: [ref("o", { blockOwnerDeletion: true })] }),
    obj("p2", { ownerReferences: [ref("o")] }),
    obj("p3", { ownerReferences: [ref("other", { blockOwnerDeletion: true })] }),
  ];
  expect(blockingDependents("o", deps).map((d) => d.metadata.uid)).toEqual(["p1"]);
});
