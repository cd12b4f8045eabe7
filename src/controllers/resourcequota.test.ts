// The resource quota controller's sync against seeded caches and a fake status writer.
import { expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import type { ResourceQuota } from "../apis/core/resourcequota.ts";
import { ObjectCache } from "../client/index.ts";
import { ResourceQuotaController, trackedResources } from "./resourcequota.ts";

function setup(hard: Record<string, string>, synced = true) {
  const quotas = new ObjectCache<ResourceQuota>();
  const caches = new Map<string, ObjectCache<KubeObject>>();
  const cache = (resource: string) => caches.get(resource) ?? caches.set(resource, new ObjectCache()).get(resource)!;
  quotas.set({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: "ns" }, spec: { hard } });
  const written: NonNullable<ResourceQuota["status"]>[] = [];
  const controller = new ResourceQuotaController({
    quotas,
    listerFor: (r: ResourceInfo) => (synced ? cache(r.resource) : undefined),
    status: {
      async writeStatus(q, status) {
        written.push(status);
        quotas.set({ ...q, status });
      },
    },
    now: () => new Date("2026-01-01T00:00:00Z"),
  });
  return { controller, quotas, cache, written };
}

const pod = (name: string, cpu: string, phase = "Running", namespace = "ns"): KubeObject =>
  ({ metadata: { name, namespace }, spec: { containers: [{ name: "c", resources: { requests: { cpu } } }] }, status: { phase } }) as KubeObject;

test("status.used follows pods as they come, finish and go; other namespaces don't count", async () => {
  const { controller, cache, written } = setup({ pods: "5", "requests.cpu": "2" });
  const pods = cache("pods");
  pods.set(pod("a", "500m"));
  pods.set(pod("b", "250m"));
  pods.set(pod("elsewhere", "1", "Running", "other"));
  await controller.sync("ns/q");
  expect(written.at(-1)).toEqual({ hard: { pods: "5", "requests.cpu": "2" }, used: { pods: "2", "requests.cpu": "750m" } });

  pods.set(pod("a", "500m", "Succeeded"));
  await controller.sync("ns/q");
  expect(written.at(-1)!.used).toEqual({ pods: "1", "requests.cpu": "250m" });

  pods.delete("ns/b");
  await controller.sync("ns/q");
  expect(written.at(-1)!.used).toEqual({ pods: "0", "requests.cpu": "0" });

  const writes = written.length;
  await controller.sync("ns/q");
  expect(written.length).toBe(writes); // unchanged status is not rewritten
});

test("object counts come from each counted kind's cache", async () => {
  const { controller, cache, written } = setup({ "count/configmaps": "3", secrets: "1", "count/deployments.apps": "1" });
  cache("configmaps").set({ metadata: { name: "x", namespace: "ns" } });
  cache("deployments").set({ metadata: { name: "d", namespace: "ns" } });
  await controller.sync("ns/q");
  expect(written.at(-1)!.used).toEqual({ "count/configmaps": "1", "count/deployments.apps": "1", secrets: "0" });
});

test("a cache not yet synced fails the sync (retried), writing nothing", async () => {
  const { controller, written } = setup({ pods: "1" }, false);
  await expect(controller.sync("ns/q")).rejects.toThrow();
  expect(written).toEqual([]);
});

test("a deleted quota is left alone", async () => {
  const { controller, written } = setup({ pods: "1" });
  await controller.sync("ns/gone");
  expect(written).toEqual([]);
});

test("trackedResources: compute names need pods, counts their kind", () => {
  expect(trackedResources({ "requests.cpu": "1", "count/configmaps": "1" }).map((r) => r.resource).sort()).toEqual(["configmaps", "pods"]);
});
