import { describe, expect, test } from "bun:test";
import type { EndpointSlice } from "../apis/discovery/endpointslice.ts";
import type { Service } from "../apis/index.ts";
import { CLASS_IN, RCODE, TYPE } from "./message.ts";
import { answerQuestion, staticDirectory } from "./records.ts";

const svc = (name: string, spec: Service["spec"]): Service => ({ metadata: { name, namespace: "default" }, spec });
const slice = (service: string, endpoints: EndpointSlice["endpoints"], ports: EndpointSlice["ports"] = []): EndpointSlice => ({
  metadata: { name: `${service}-abc`, namespace: "default", labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  endpoints,
  ports,
});

const dir = staticDirectory(
  [
    svc("web", { clusterIP: "10.43.0.20", ports: [{ name: "http", port: 80, protocol: "TCP" }] }),
    svc("db", { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] }),
    svc("ext", { type: "ExternalName", externalName: "db.example.com" }),
  ],
  [
    slice("db", [
      { addresses: ["10.42.0.5"], hostname: "db-0", conditions: { ready: true } },
      { addresses: ["10.42.0.6"], conditions: { ready: true } },
      { addresses: ["10.42.0.7"], conditions: { ready: false } },
    ], [{ name: "pg", port: 5432, protocol: "TCP" }]),
  ],
);

type Want = [rcode: number, data: unknown[]] | undefined;
const ask = (name: string, type: number) => {
  const a = answerQuestion({ name, type, class: CLASS_IN }, dir);
  return a && ([a.rcode, a.answers.map((r) => r.data)] as Want);
};

describe("cluster DNS records", () => {
  test.each<[string, string, number, Want]>([
    ["a ClusterIP service", "web.default.svc.cluster.local", TYPE.A, [RCODE.NOERROR, [{ type: TYPE.A, address: "10.43.0.20" }]]],
    ["names are case-insensitive, trailing dot allowed", "WEB.default.svc.cluster.local.", TYPE.A, [RCODE.NOERROR, [{ type: TYPE.A, address: "10.43.0.20" }]]],
    ["AAAA of an IPv4 service is empty, not NXDOMAIN", "web.default.svc.cluster.local", TYPE.AAAA, [RCODE.NOERROR, []]],
    ["a headless service: its ready endpoints", "db.default.svc.cluster.local", TYPE.A, [RCODE.NOERROR, [{ type: TYPE.A, address: "10.42.0.5" }, { type: TYPE.A, address: "10.42.0.6" }]]],
    ["a headless endpoint by hostname", "db-0.db.default.svc.cluster.local", TYPE.A, [RCODE.NOERROR, [{ type: TYPE.A, address: "10.42.0.5" }]]],
    ["a headless endpoint by dashed address", "10-42-0-6.db.default.svc.cluster.local", TYPE.A, [RCODE.NOERROR, [{ type: TYPE.A, address: "10.42.0.6" }]]],
    ["SRV of a named port", "_http._tcp.web.default.svc.cluster.local", TYPE.SRV, [RCODE.NOERROR, [{ type: TYPE.SRV, priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local" }]]],
    ["SRV of a headless service: one per endpoint", "_pg._tcp.db.default.svc.cluster.local", TYPE.SRV, [RCODE.NOERROR, [
      { type: TYPE.SRV, priority: 0, weight: 100, port: 5432, target: "db-0.db.default.svc.cluster.local" },
      { type: TYPE.SRV, priority: 0, weight: 100, port: 5432, target: "10-42-0-6.db.default.svc.cluster.local" },
    ]]],
    ["SRV of an unknown port", "_nope._tcp.web.default.svc.cluster.local", TYPE.SRV, [RCODE.NXDOMAIN, []]],
    ["ExternalName is a CNAME", "ext.default.svc.cluster.local", TYPE.A, [RCODE.NOERROR, [{ type: TYPE.CNAME, target: "db.example.com" }]]],
    ["a pod name", "10-42-0-9.default.pod.cluster.local", TYPE.A, [RCODE.NOERROR, [{ type: TYPE.A, address: "10.42.0.9" }]]],
    ["an unknown service", "nope.default.svc.cluster.local", TYPE.A, [RCODE.NXDOMAIN, []]],
    ["an unknown name in the domain", "web.cluster.local", TYPE.A, [RCODE.NXDOMAIN, []]],
    ["the svc subdomain exists", "default.svc.cluster.local", TYPE.A, [RCODE.NOERROR, []]],
    ["PTR of a ClusterIP", "20.0.43.10.in-addr.arpa", TYPE.PTR, [RCODE.NOERROR, [{ type: TYPE.PTR, target: "web.default.svc.cluster.local" }]]],
    ["PTR of a headless endpoint", "5.0.42.10.in-addr.arpa", TYPE.PTR, [RCODE.NOERROR, [{ type: TYPE.PTR, target: "db-0.db.default.svc.cluster.local" }]]],
    ["PTR of another address goes upstream", "1.2.0.192.in-addr.arpa", TYPE.PTR, undefined],
    ["a name outside the domain goes upstream", "example.com", TYPE.A, undefined],
  ])("%s", (_name, name, type, want) => {
    expect(ask(name, type)).toEqual(want);
  });

  test("negative answers carry the zone's SOA", () => {
    const a = answerQuestion({ name: "nope.default.svc.cluster.local", type: TYPE.A, class: CLASS_IN }, dir)!;
    expect(a.authorities.map((r) => [r.name, r.data.type])).toEqual([["cluster.local", TYPE.SOA]]);
  });

  test("another cluster domain", () => {
    const a = answerQuestion({ name: "web.default.svc.example.internal", type: TYPE.A, class: CLASS_IN }, dir, "example.internal");
    expect(a?.answers.map((r) => r.data)).toEqual([{ type: TYPE.A, address: "10.43.0.20" }]);
  });
});
