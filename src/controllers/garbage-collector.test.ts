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
