import { describe, expect, test } from "bun:test";
import { applyDefaults, toTable, validateObject } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";
import { retainAllocatedServiceFields } from "../strategies/service.ts";
import type { Service } from "./service.ts";

const services = findResource("", "v1", "services")!;

function svc(spec: Record<string, unknown> = {}): Record<string, any> {
  const s = { metadata: { name: "web", namespace: "default" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }], ...spec } };
  applyDefaults(services, s as KubeObject);
  return s;
}

describe("service defaults", () => {
  test("a ClusterIP service", () => {
    expect(svc().spec).toEqual({
      selector: { app: "web" },
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
      type: "ClusterIP",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      ipFamilyPolicy: "SingleStack",
      ipFamilies: ["IPv4"],
    });
  });

  test.each<[string, Record<string, unknown>, string, unknown]>([
    ["named targetPort kept", { ports: [{ port: 80, targetPort: "http" }] }, "ports", [{ port: 80, targetPort: "http", protocol: "TCP" }]],
    ["NodePort gets externalTrafficPolicy", { type: "NodePort" }, "externalTrafficPolicy", "Cluster"],
    ["ClientIP affinity gets its timeout", { sessionAffinity: "ClientIP" }, "sessionAffinityConfig", { clientIP: { timeoutSeconds: 10800 } }],
    ["LoadBalancer allocates node ports", { type: "LoadBalancer" }, "allocateLoadBalancerNodePorts", true],
    ["clusterIPs mirror clusterIP", { clusterIP: "10.43.0.10" }, "clusterIPs", ["10.43.0.10"]],
    ["IPv6 cluster IP picks the family", { clusterIP: "fd00::10" }, "ipFamilies", ["IPv6"]],
    ["ExternalName has no IP families", { type: "ExternalName", externalName: "example.com" }, "ipFamilies", undefined],
  ])("%s", (_, spec, field, want) => {
    expect(svc(spec).spec[field]).toEqual(want);
  });
});

describe("service validation", () => {
  test("valid services", () => {
    for (const spec of [{}, { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }, { clusterIP: "None", ports: [] }, { type: "ExternalName", externalName: "db.example.com", ports: [] }]) {
      expect(validateObject(services, svc(spec) as KubeObject)).toEqual([]);
    }
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ["no ports", { ports: [] }, "spec.ports", "Required value"],
    ["port out of range", { ports: [{ port: 0 }] }, "spec.ports[0].port", "must be between 1 and 65535, inclusive"],
    ["unnamed ports when several", { ports: [{ port: 80 }, { port: 81, name: "b" }] }, "spec.ports[0].name", "Required value"],
    ["duplicate port names", { ports: [{ port: 80, name: "a" }, { port: 81, name: "a" }] }, "spec.ports[1].name", "Duplicate value"],
    ["bad protocol", { ports: [{ port: 80, protocol: "ICMP" }] }, "spec.ports[0].protocol", "Unsupported value"],
    ["bad targetPort name", { ports: [{ port: 80, targetPort: "HTTP_PORT" }] }, "spec.ports[0].targetPort", "must contain only alpha-numeric characters"],
    ["bad type", { type: "Internal" }, "spec.type", 'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    ["nodePort on ClusterIP", { ports: [{ port: 80, nodePort: 30080 }] }, "spec.ports[0].nodePort", "may not be used when `type` is 'ClusterIP'"],
    ["nodePort out of range", { type: "NodePort", ports: [{ port: 80, nodePort: 8080 }] }, "spec.ports[0].nodePort", "The range of valid ports is 30000-32767"],
    ["bad clusterIP", { clusterIP: "10.43.0.300" }, "spec.clusterIPs[0]", "must be a valid IP address"],
    ["bad session affinity", { sessionAffinity: "Sticky" }, "spec.sessionAffinity", "Unsupported value"],
    ["ExternalName without a name", { type: "ExternalName", ports: [] }, "spec.externalName", "Required value"],
    ["bad selector", { selector: { app: "a b" } }, "spec.selector", "a valid label must be"],
    ["externalTrafficPolicy on ClusterIP", { externalTrafficPolicy: "Local" }, "spec.externalTrafficPolicy", "externally-accessible"],
  ])("%s", (_, spec, field, message) => {
    const causes = validateObject(services, svc(spec) as KubeObject);
    const cause = causes.find((c) => c.field === field);
    expect(cause, JSON.stringify(causes)).toBeDefined();
    expect(cause!.message).toContain(message);
  });

  test("service names are DNS-1035 labels", () => {
    const s = svc();
    s.metadata.name = "1web";
    expect(validateObject(services, s as KubeObject)[0]!.message).toContain("a DNS-1035 label");
  });

  test("the cluster IP can't change once allocated", () => {
    const old = svc({ clusterIP: "10.43.0.10" });
    const next = svc({ clusterIP: "10.43.0.11" });
    const causes = validateObject(services, next as KubeObject, old as KubeObject);
    expect(causes.map((c) => [c.field, c.message])).toContainEqual(["spec.clusterIP", 'Invalid value: "10.43.0.11": field is immutable']);
  });

  test("an update without the cluster IP keeps the allocated one", () => {
    const old = svc({ type: "NodePort", clusterIP: "10.43.0.10", ports: [{ port: 80, nodePort: 30080 }] });
    const next = svc({ type: "NodePort" });
    retainAllocatedServiceFields(next, old);
    expect(next.spec.clusterIP).toBe("10.43.0.10");
    expect(next.spec.ports[0].nodePort).toBe(30080);
    expect(validateObject(services, next as KubeObject, old as KubeObject)).toEqual([]);
  });
});

describe("service table", () => {
  const now = new Date("2026-01-01T00:00:30Z");
  const row = (s: Service) => toTable(services, [{ ...s, metadata: { ...s.metadata, creationTimestamp: "2026-01-01T00:00:00Z" } }], { now }).rows[0]!.cells;

  test.each<[string, Record<string, unknown>, unknown[]]>([
    ["ClusterIP", { clusterIP: "10.43.0.10" }, ["web", "ClusterIP", "10.43.0.10", "<none>", "80/TCP", "30s", "app=web"]],
    ["NodePort", { type: "NodePort", clusterIP: "10.43.0.10", ports: [{ port: 80, nodePort: 30080 }, { port: 443, name: "b", protocol: "UDP" }] }, ["web", "NodePort", "10.43.0.10", "<none>", "80:30080/TCP,443/UDP", "30s", "app=web"]],
    ["LoadBalancer pending", { type: "LoadBalancer", clusterIP: "10.43.0.10" }, ["web", "LoadBalancer", "10.43.0.10", "<pending>", "80/TCP", "30s", "app=web"]],
    ["headless without selector", { clusterIP: "None", ports: [], selector: undefined }, ["web", "ClusterIP", "None", "<none>", "<none>", "30s", "<none>"]],
    ["ExternalName", { type: "ExternalName", externalName: "db.example.com", ports: [] }, ["web", "ExternalName", "<none>", "db.example.com", "<none>", "30s", "app=web"]],
  ])("%s", (_, spec, want) => {
    expect(row(svc(spec) as Service)).toEqual(want);
  });
});
