// The endpoints and endpoint slice controllers' sync over seeded caches and a recording writer.
import { describe, expect, test } from "bun:test";
import type { Endpoints } from "../apis/core/endpoints.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { Service } from "../apis/core/service.ts";
import type { EndpointSlice } from "../apis/discovery/endpointslice.ts";
import type { KubeObject } from "../apis/meta.ts";
import { ObjectCache } from "../client/index.ts";
import { EndpointsController } from "./endpoints.ts";
import { EndpointSliceController } from "./endpointslice.ts";
import type { ObjectWriter } from "./endpoints-util.ts";

class RecordingWriter<T extends KubeObject> implements ObjectWriter<T> {
  readonly calls: [string, string][] = [];
  constructor(private readonly cache: ObjectCache<T>) {}
  async create(obj: T) {
    this.calls.push(["create", obj.metadata.name!]);
    this.cache.set({ ...obj, metadata: { ...obj.metadata, resourceVersion: "1" } });
  }
  async update(obj: T) {
    this.calls.push(["update", obj.metadata.name!]);
    this.cache.set(obj);
  }
  async delete(namespace: string, name: string) {
    this.calls.push(["delete", name]);
    this.cache.delete(`${namespace}/${name}`);
  }
}

const svc = (name: string, selector?: Record<string, string>): Service => ({
  metadata: { name, namespace: "ns", uid: `${name}-uid` },
  spec: { selector, clusterIP: "10.43.0.9", ipFamilies: ["IPv4"], ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
});

const pod = (name: string, ip: string, ready: boolean): Pod =>
  ({
    metadata: { name, namespace: "ns", uid: `${name}-uid`, labels: { app: "web" } },
    spec: { containers: [{ name: "c", image: "i" }] },
    status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  }) as Pod;

function setup() {
  const services = new ObjectCache<Service>();
  const pods = new ObjectCache<Pod>();
  const endpoints = new ObjectCache<Endpoints>();
  const slices = new ObjectCache<EndpointSlice>();
  const epWriter = new RecordingWriter(endpoints);
  const sliceWriter = new RecordingWriter(slices);
  return {
    services,
    pods,
    endpoints,
    slices,
    epWriter,
    sliceWriter,
    ep: new EndpointsController({ services, pods, endpoints, writer: epWriter }),
    sl: new EndpointSliceController({ services, pods, slices, writer: sliceWriter }),
  };
}

describe("EndpointsController.sync", () => {
  test("creates once, writes again only when a pod's readiness changes", async () => {
    const t = setup();
    t.services.set(svc("web", { app: "web" }));
    t.pods.set(pod("a", "10.244.0.2", false));
    await t.ep.sync("ns/web");
    await t.ep.sync("ns/web");
    expect(t.epWriter.calls).toEqual([["create", "web"]]);
    expect(t.endpoints.get("ns", "web")?.subsets?.[0]?.notReadyAddresses?.[0]?.ip).toBe("10.244.0.2");
    t.pods.set(pod("a", "10.244.0.2", true));
    await t.ep.sync("ns/web");
    expect(t.epWriter.calls).toEqual([["create", "web"], ["update", "web"]]);
    expect(t.endpoints.get("ns", "web")?.subsets?.[0]?.addresses?.[0]?.ip).toBe("10.244.0.2");
  });

  test("a service without a selector keeps the endpoints its owner wrote", async () => {
    const t = setup();
    t.services.set(svc("manual"));
    t.endpoints.set({ metadata: { name: "manual", namespace: "ns" }, subsets: [{ addresses: [{ ip: "192.168.1.1" }] }] } as Endpoints);
    await t.ep.sync("ns/manual");
    expect(t.epWriter.calls).toEqual([]);
  });

  test("a deleted service's endpoints are deleted", async () => {
    const t = setup();
    t.endpoints.set({ metadata: { name: "gone", namespace: "ns" }, subsets: [] } as Endpoints);
    await t.ep.sync("ns/gone");
    expect(t.epWriter.calls).toEqual([["delete", "gone"]]);
  });

  test("pod handlers enqueue the services selecting the pod", () => {
    const t = setup();
    t.services.set(svc("web", { app: "web" }));
    t.services.set(svc("db", { app: "db" }));
    t.services.set(svc("manual"));
    t.ep.podHandler.onAdd!(pod("a", "10.244.0.2", true));
    expect(t.ep.queue.len()).toBe(1);
  });
});

describe("EndpointSliceController.sync", () => {
  test("creates the slice, updates it on readiness, deletes a stale one", async () => {
    const t = setup();
    t.services.set(svc("web", { app: "web" }));
    t.slices.set({ metadata: { name: "web-stale", namespace: "ns", labels: { "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" } }, addressType: "IPv4", endpoints: [] });
    t.pods.set(pod("a", "10.244.0.2", false));
    await t.sl.sync("ns/web");
    const name = t.sliceWriter.calls.find(([verb]) => verb === "create")![1];
    expect(t.sliceWriter.calls.sort()).toEqual([["create", name], ["delete", "web-stale"]]);
    await t.sl.sync("ns/web");
    expect(t.sliceWriter.calls.length).toBe(2);
    t.pods.set(pod("a", "10.244.0.2", true));
    await t.sl.sync("ns/web");
    expect(t.sliceWriter.calls.at(-1)).toEqual(["update", name]);
    expect(t.slices.get("ns", name)?.endpoints[0]?.conditions).toEqual({ ready: true, serving: true, terminating: false });
  });
});
