import { describe, expect, test } from "bun:test";
import type { Pod } from "../apis/core/pod.ts";
import type { Service } from "../apis/core/service.ts";
import { desiredSlices, sameSlice, sliceName } from "./endpointslice-build.ts";

const svc: Service = {
  metadata: { name: "web", namespace: "ns", uid: "svc-uid", labels: { team: "a" } },
  spec: { selector: { app: "web" }, clusterIP: "10.43.0.5", ipFamilies: ["IPv4"], ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] },
};

const pod = (name: string, ip: string, ready = true, deleting = false): Pod =>
  ({
    metadata: { name, namespace: "ns", uid: `${name}-uid`, labels: { app: "web" }, ...(deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}) },
    spec: { nodeName: "node-1", containers: [{ name: "c", image: "i" }] },
    status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  }) as Pod;

describe("desiredSlices", () => {
  test("one slice owned by the service, labelled, with conditions per endpoint", () => {
    const [slice, ...rest] = desiredSlices(svc, [pod("b", "10.244.0.3", false), pod("a", "10.244.0.2"), pod("c", "10.244.0.4", true, true)]);
    expect(rest).toEqual([]);
    expect(slice!.metadata.labels).toEqual({ team: "a", "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" });
    expect(slice!.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Service", name: "web", uid: "svc-uid", controller: true, blockOwnerDeletion: true }]);
    expect(slice!.addressType).toBe("IPv4");
    expect(slice!.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(slice!.endpoints.map((e) => [e.addresses[0], e.conditions, e.targetRef?.name, e.nodeName])).toEqual([
      ["10.244.0.2", { ready: true, serving: true, terminating: false }, "a", "node-1"],
      ["10.244.0.3", { ready: false, serving: false, terminating: false }, "b", "node-1"],
      ["10.244.0.4", { ready: false, serving: true, terminating: true }, "c", "node-1"],
    ]);
  });

  test("without endpoints, one empty placeholder", () => {
    const slices = desiredSlices(svc, []);
    expect(slices.map((s) => [s.metadata.name, s.endpoints, s.ports])).toEqual([[sliceName(svc, ""), [], undefined]]);
  });

  test("names are stable per service uid and port set", () => {
    const again = desiredSlices(svc, [pod("a", "10.244.0.2")])[0]!.metadata.name;
    expect(desiredSlices(svc, [pod("z", "10.244.0.9")])[0]!.metadata.name).toBe(again);
    expect(again).toMatch(/^web-[0-9a-z]{5}$/);
    expect(desiredSlices({ ...svc, metadata: { ...svc.metadata, uid: "other" } }, [pod("a", "10.244.0.2")])[0]!.metadata.name).not.toBe(again);
  });

  test("sameSlice sees a changed condition", () => {
    const [ready] = desiredSlices(svc, [pod("a", "10.244.0.2")]);
    const [unready] = desiredSlices(svc, [pod("a", "10.244.0.2", false)]);
    expect(sameSlice(ready!, structuredClone(ready!))).toBe(true);
    expect(sameSlice(ready!, unready!)).toBe(false);
  });
});
