import { describe, expect, test } from "bun:test";
import type { Pod } from "../apis/core/pod.ts";
import type { Service } from "../apis/core/service.ts";
import { buildSubsets } from "./endpoints-subsets.ts";
import { findPort, podEndpointsChanged, shouldPodBeInEndpoints } from "./endpoints-util.ts";

const svc = (spec: Partial<NonNullable<Service["spec"]>> = {}): Service => ({
  metadata: { name: "web", namespace: "ns", uid: "svc-uid" },
  spec: { selector: { app: "web" }, clusterIP: "10.43.0.5", ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }], ...spec },
});

function pod(name: string, ip: string | undefined, opts: { ready?: boolean; labels?: Record<string, string>; httpPort?: number; deleting?: boolean; phase?: string } = {}): Pod {
  return {
    metadata: { name, namespace: "ns", uid: `${name}-uid`, labels: opts.labels ?? { app: "web" }, ...(opts.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}) },
    spec: { nodeName: "node-1", containers: [{ name: "c", image: "i", ports: [{ name: "http", containerPort: opts.httpPort ?? 8080, protocol: "TCP" }] }] },
    status: { phase: opts.phase ?? "Running", podIP: ip, conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] },
  } as Pod;
}

describe("findPort", () => {
  test.each([
    ["named, found", { port: 80, targetPort: "http", protocol: "TCP" }, 8080],
    ["named, other protocol", { port: 80, targetPort: "http", protocol: "UDP" }, undefined],
    ["named, missing", { port: 80, targetPort: "metrics", protocol: "TCP" }, undefined],
    ["number", { port: 80, targetPort: 9090, protocol: "TCP" }, 9090],
    ["defaults to the port", { port: 80, protocol: "TCP" }, 80],
  ] as const)("%s", (_name, port, want) => expect(findPort(pod("a", "10.244.0.2"), port as never)).toBe(want));
});

describe("shouldPodBeInEndpoints", () => {
  test.each([
    ["running with an IP", pod("a", "10.244.0.2"), false, true],
    ["no IP yet", pod("a", undefined), false, false],
    ["succeeded", pod("a", "10.244.0.2", { phase: "Succeeded" }), true, false],
    ["terminating, excluded", pod("a", "10.244.0.2", { deleting: true }), false, false],
    ["terminating, included", pod("a", "10.244.0.2", { deleting: true }), true, true],
  ] as const)("%s", (_name, p, includeTerminating, want) => expect(shouldPodBeInEndpoints(p, includeTerminating)).toBe(want));
});

describe("buildSubsets", () => {
  test("ready pods under addresses, unready under notReadyAddresses, sorted, with targetRef and nodeName", () => {
    const pods = [pod("b", "10.244.0.3"), pod("a", "10.244.0.2"), pod("c", "10.244.0.4", { ready: false }), pod("other", "10.244.0.9", { labels: { app: "db" } }), pod("pending", undefined)];
    expect(buildSubsets(svc(), pods)).toEqual([
      {
        addresses: [
          { ip: "10.244.0.2", nodeName: "node-1", targetRef: { kind: "Pod", namespace: "ns", name: "a", uid: "a-uid" } },
          { ip: "10.244.0.3", nodeName: "node-1", targetRef: { kind: "Pod", namespace: "ns", name: "b", uid: "b-uid" } },
        ],
        notReadyAddresses: [{ ip: "10.244.0.4", nodeName: "node-1", targetRef: { kind: "Pod", namespace: "ns", name: "c", uid: "c-uid" } }],
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
    ]);
  });

  test("pods resolving a named port differently land in different subsets", () => {
    const subsets = buildSubsets(svc(), [pod("a", "10.244.0.2"), pod("b", "10.244.0.3", { httpPort: 9000 })]);
    expect(subsets.map((s) => [s.addresses?.map((a) => a.ip), s.ports?.[0]?.port])).toEqual([
      [["10.244.0.2"], 8080],
      [["10.244.0.3"], 9000],
    ]);
  });

  test("a pod that serves none of the ports is left out", () => {
    expect(buildSubsets(svc({ ports: [{ port: 80, protocol: "TCP", targetPort: "metrics" }] }), [pod("a", "10.244.0.2")])).toEqual([]);
  });

  test("publishNotReadyAddresses puts unready pods under addresses", () => {
    const [subset] = buildSubsets(svc({ publishNotReadyAddresses: true }), [pod("a", "10.244.0.2", { ready: false })]);
    expect(subset?.addresses?.map((a) => a.ip)).toEqual(["10.244.0.2"]);
    expect(subset?.notReadyAddresses).toBeUndefined();
  });

  test("a headless service without ports still lists addresses", () => {
    expect(buildSubsets(svc({ clusterIP: "None", ports: [] }), [pod("a", "10.244.0.2")])).toEqual([
      { addresses: [{ ip: "10.244.0.2", nodeName: "node-1", targetRef: { kind: "Pod", namespace: "ns", name: "a", uid: "a-uid" } }] },
    ]);
  });
});

describe("podEndpointsChanged", () => {
  test("readiness, IP and labels count; a status heartbeat does not", () => {
    const base = pod("a", "10.244.0.2");
    const heartbeat = structuredClone(base);
    heartbeat.status!.startTime = "2024-01-01T00:00:00Z";
    expect(podEndpointsChanged(base, heartbeat)).toBe(false);
    expect(podEndpointsChanged(base, pod("a", "10.244.0.2", { ready: false }))).toBe(true);
    expect(podEndpointsChanged(base, pod("a", "10.244.0.7"))).toBe(true);
    expect(podEndpointsChanged(base, pod("a", "10.244.0.2", { labels: { app: "web", v: "2" } }))).toBe(true);
  });
});
