// The garbage collector's sync against seeded caches and a fake client: no server.
import { expect, test } from "bun:test";
import { fakeControllerContext } from "../../test/helpers/fake-controller-context.ts";
import type { KubeObject } from "../apis/meta.ts";
import { newGarbageCollector } from "./garbage-collector.ts";

const owner = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "rs-uid", controller: true };
const dependent = (extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "cm", namespace: "ns", uid: "cm-uid", resourceVersion: "4", ownerReferences: [owner], ...extra },
});
const replicaSet = (extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "rs", namespace: "ns", uid: "rs-uid", resourceVersion: "2", ...extra },
});

test("a dependent whose owner is gone (cache and API agree) is deleted in the background", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const gc = newGarbageCollector(ctx);
  seed("ConfigMap", [dependent()]);
  await gc.sync("cm-uid");
  expect(client.calls).toEqual(["delete configmaps ns/cm"]);
  expect(client.bodies[0]).toEqual({ propagationPolicy: "Background", preconditions: { uid: "cm-uid" } });
});

test("a dependent whose owner the API still has is kept", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const gc = newGarbageCollector(ctx);
  seed("ConfigMap", [dependent()]);
  client.objects.set("replicasets ns/rs", replicaSet());
  await gc.sync("cm-uid");
  expect(client.calls).toEqual([]);
});

test("an owner in the cache is found at its reference's name, its uid confirming; one of that name with another uid is not it", async () => {
  // The owner has no owners and is not being deleted: it is not filed under its uid (byUid).
  const { ctx, client, seed } = fakeControllerContext();
  const gc = newGarbageCollector(ctx);
  seed("ReplicaSet", [replicaSet()]);
  seed("ConfigMap", [dependent()]);
  await gc.sync("cm-uid");
  expect(client.calls).toEqual([]); // kept: the fake API has no ReplicaSet, the cache found it by name

  const other = fakeControllerContext();
  const gc2 = newGarbageCollector(other.ctx);
  other.seed("ReplicaSet", [replicaSet({ uid: "a-newer-rs" })]);
  other.seed("ConfigMap", [dependent()]);
  await gc2.sync("cm-uid");
  // Not the owner: the API is asked (it has none of that uid either), and the dependent goes.
  expect(other.client.calls).toEqual(["delete configmaps ns/cm"]);
});

test("an owner deleted with Orphan has its dependents' references removed, then its finalizer", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const gc = newGarbageCollector(ctx);
  seed("ReplicaSet", [replicaSet({ deletionTimestamp: "2025-01-01T00:00:00Z", finalizers: ["orphan"] })]);
  seed("ConfigMap", [dependent()]);
  await gc.sync("rs-uid");
  expect(client.calls).toEqual(["patch configmaps ns/cm", "patch replicasets ns/rs"]);
  expect(client.bodies).toEqual([
    { metadata: { ownerReferences: null, resourceVersion: "4", uid: "cm-uid" } },
    { metadata: { finalizers: null, resourceVersion: "2", uid: "rs-uid" } },
  ]);
});
