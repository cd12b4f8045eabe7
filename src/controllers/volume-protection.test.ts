// pvc-protection and pv-protection against seeded caches.
import { expect, test } from "bun:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { Pod } from "../apis/core/pod.ts";
import { ObjectCache } from "../client/index.ts";
import { PVCProtectionController, PVProtectionController, type FinalizerRemover } from "./volume-protection.ts";

const removed: string[] = [];
const finalizers: FinalizerRemover = { removeFinalizer: async (_r, obj, f) => void removed.push(`${obj.metadata.name}:${f}`) };

const deletingClaim: PersistentVolumeClaim = {
  metadata: { name: "data", namespace: "ns", deletionTimestamp: "2025-01-01T00:00:00Z", finalizers: ["kubernetes.io/pvc-protection"] },
  spec: {},
};
const podUsing = (phase: string): Pod => ({
  metadata: { name: "p", namespace: "ns" },
  spec: { containers: [], volumes: [{ name: "v", persistentVolumeClaim: { claimName: "data" } }] },
  status: { phase } as Pod["status"],
});

test.each([
  ["a running pod uses it", [podUsing("Running")], []],
  ["a pending pod uses it", [podUsing("Pending")], []],
  ["only a finished pod uses it", [podUsing("Succeeded")], ["data:kubernetes.io/pvc-protection"]],
  ["no pod uses it", [], ["data:kubernetes.io/pvc-protection"]],
])("a deleted claim keeps its finalizer while %s", async (_what, pods, want) => {
  removed.length = 0;
  const claims = new ObjectCache<PersistentVolumeClaim>();
  const podCache = new ObjectCache<Pod>();
  claims.set(deletingClaim);
  for (const p of pods as Pod[]) podCache.set(p);
  await new PVCProtectionController({ claims, pods: podCache, finalizers }).sync("ns/data");
  expect(removed).toEqual(want as string[]);
});

test("a pod the cache hasn't seen yet, but the API has, holds the claim", async () => {
  removed.length = 0;
  const claims = new ObjectCache<PersistentVolumeClaim>();
  claims.set(deletingClaim);
  const c = new PVCProtectionController({ claims, pods: new ObjectCache<Pod>(), livePods: async () => [podUsing("Pending")], finalizers });
  await c.sync("ns/data");
  expect(removed).toEqual([]);
});

test("a deleted volume keeps its finalizer while Bound", async () => {
  removed.length = 0;
  const volumes = new ObjectCache<PersistentVolume>();
  const pv = (phase: "Bound" | "Released"): PersistentVolume => ({
    metadata: { name: "pv1", deletionTimestamp: "2025-01-01T00:00:00Z", finalizers: ["kubernetes.io/pv-protection"] },
    status: { phase },
  });
  const c = new PVProtectionController({ volumes, finalizers });
  volumes.set(pv("Bound"));
  await c.sync("pv1");
  expect(removed).toEqual([]);
  volumes.set(pv("Released"));
  await c.sync("pv1");
  expect(removed).toEqual(["pv1:kubernetes.io/pv-protection"]);
});
