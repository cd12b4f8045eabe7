import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import { gracePeriodSeconds, prepareForCreate, prepareForUpdate, readyToRemove } from "./rest.ts";
import { sameJson } from "./json-copy.ts";

const R = {
  pods: findResource("", "v1", "pods")!,
  services: findResource("", "v1", "services")!,
  namespaces: findResource("", "v1", "namespaces")!,
  deployments: findResource("apps", "v1", "deployments")!,
  configmaps: findResource("", "v1", "configmaps")!,
};
const obj = (o: object) => ({ metadata: { name: "x" }, ...o }) as KubeObject;

describe("prepareForCreate: the status each kind's strategy starts it with", () => {
  test.each([
    ["pods", { spec: {}, status: { phase: "Running" } }, { phase: "Pending" }, 1],
    ["services", { spec: {}, status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } }, { loadBalancer: {} }, 1],
    ["namespaces", { status: { phase: "Terminating" } }, { phase: "Active" }, undefined],
    ["deployments", { spec: {}, status: { replicas: 3 } }, {}, 1],
    ["configmaps", { data: {} }, undefined, undefined],
  ] as const)("%s", (resource, given, status, generation) => {
    const o = obj(structuredClone(given));
    prepareForCreate(R[resource], o);
    expect((o as { status?: object }).status).toEqual(status);
    expect(o.metadata.generation).toBe(generation);
  });
});

describe("prepareForUpdate", () => {
  test("a main-resource write keeps the stored status, except a namespace's", () => {
    const current = obj({ spec: { a: 1 }, status: { phase: "Running" } });
    expect((prepareForUpdate(R.pods, obj({ spec: { a: 1 }, status: { phase: "Failed" } }), current) as unknown as { status: object }).status).toEqual({ phase: "Running" });
    const ns = obj({ status: { phase: "Active" } });
    expect((prepareForUpdate(R.namespaces, obj({ status: { phase: "Terminating" } }), ns) as unknown as { status: object }).status).toEqual({ phase: "Terminating" });
  });

  test("a Service keeps its allocated cluster IP and drops node ports a type change leaves unused", () => {
    const current = obj({ spec: { type: "NodePort", clusterIP: "10.43.0.5", clusterIPs: ["10.43.0.5"], ports: [{ port: 80, nodePort: 30080 }] } });
    const next = prepareForUpdate(R.services, obj({ spec: { type: "ClusterIP", ports: [{ port: 80, nodePort: 30080 }] } }), current) as unknown as { spec: Record<string, any> };
    expect(next.spec.clusterIP).toBe("10.43.0.5");
    expect(next.spec.ports).toEqual([{ port: 80 }]);
  });

  // The status subresource takes the request's copy of the other parts only where they are still
  // as stored: any change, added key or reordering gives back the stored part.
  test.each([
    ["untouched", (n: any) => n],
    ["a label changed", (n: any) => ((n.metadata.labels.a = "2"), n)],
    ["a spec field added", (n: any) => ((n.spec.extra = 1), n)],
    ["spec keys reordered", (n: any) => ({ ...n, spec: { b: n.spec.b, a: n.spec.a } })],
    ["a top-level field added", (n: any) => ({ ...n, extra: { x: 1 } })],
    ["status moved to the front", (n: any) => ({ status: n.status, ...n })],
    ["spec removed", (n: any) => ((delete n.spec), n)],
    ["status removed", (n: any) => ((delete n.status), n)],
  ])("a /status write keeps the rest exactly as stored: %s", (_, change) => {
    const current = Object.freeze(JSON.parse('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","labels":{"a":"1"}},"spec":{"a":[1,{"b":2}],"b":"c"},"status":{"phase":"Pending"},"z":true}')) as KubeObject;
    const next = change({ ...JSON.parse(JSON.stringify(current)), status: { phase: "Running", podIP: "10.0.0.1" } });
    const want = { ...JSON.parse(JSON.stringify(current)), status: (next as any).status };
    const out = prepareForUpdate(R.pods, next, current, "status");
    expect(JSON.stringify(out)).toBe(JSON.stringify(want));
    // A private object: nothing of it is the stored object's or the request's status.
    expect((out as any).spec).not.toBe((current as any).spec);
    expect(out.metadata).not.toBe(current.metadata);
    if ((next as any).status) expect((out as any).status).not.toBe((next as any).status);
  });

  test("a /status write on an object stored without status appends it, as a spread would", () => {
    const current = JSON.parse('{"metadata":{"name":"x"},"spec":{}}') as KubeObject;
    const out = prepareForUpdate(R.pods, { ...JSON.parse(JSON.stringify(current)), status: { phase: "Running" } }, current, "status");
    expect(Object.keys(out)).toEqual(["metadata", "spec", "status"]);
  });
});

describe("sameJson: the same text JSON.stringify would write", () => {
  test.each([
    [{ a: 1, b: [1, { c: null }] }, { a: 1, b: [1, { c: null }] }, true],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, false],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [[1, 2], [1, 2, 3], false],
    [[], {}, false],
    [{ a: "1" }, { a: 1 }, false],
    [null, {}, false],
  ])("%j %j", (a, b, want) => {
    expect(sameJson(a, b)).toBe(want);
  });
});

describe("deletes", () => {
  test.each([
    ["a bound running pod waits its terminationGracePeriodSeconds", "pods", { spec: { nodeName: "n", terminationGracePeriodSeconds: 10 } }, undefined, 10],
    ["the request's grace period wins", "pods", { spec: { nodeName: "n" } }, 3, 3],
    ["an unbound pod goes at once", "pods", { spec: {} }, 30, 0],
    ["a finished pod goes at once", "pods", { spec: { nodeName: "n" }, status: { phase: "Succeeded" } }, undefined, 0],
    ["other kinds go at once", "configmaps", {}, 30, 0],
  ] as const)("%s", (_, resource, given, requested, want) => {
    expect(gracePeriodSeconds(R[resource], obj(given), requested)).toBe(want);
  });

  test("a namespace with spec.finalizers is not removed until they are cleared", () => {
    const deleting = { metadata: { name: "x", deletionTimestamp: "2025-01-01T00:00:00Z" } };
    expect(readyToRemove(R.namespaces, { ...deleting, spec: { finalizers: ["kubernetes"] } } as KubeObject)).toBe(false);
    expect(readyToRemove(R.namespaces, { ...deleting, spec: { finalizers: [] } } as KubeObject)).toBe(true);
    expect(readyToRemove(R.configmaps, deleting as KubeObject)).toBe(true);
  });
});
