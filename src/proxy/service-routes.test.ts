import { describe, expect, test } from "bun:test";
import type { EndpointSlice } from "../apis/discovery/endpointslice.ts";
import type { Service } from "../apis/index.ts";
import { portEndpoints, serviceRoutes, sliceServiceKey } from "./service-routes.ts";

const svc = (spec: Service["spec"]): Service => ({ metadata: { name: "web", namespace: "default" }, spec });
const slice = (endpoints: EndpointSlice["endpoints"], ports: EndpointSlice["ports"], addressType: EndpointSlice["addressType"] = "IPv4"): EndpointSlice => ({
  metadata: { name: "web-x", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
  addressType,
  endpoints,
  ports,
});
const ready = (ip: string, r?: boolean) => ({ addresses: [ip], conditions: r === undefined ? {} : { ready: r } });

describe("service routes", () => {
  test.each<[string, Service, string[][]]>([
    ["a ClusterIP service listens on its ClusterIP", svc({ clusterIP: "10.43.0.20", ports: [{ port: 80, protocol: "TCP" }] }), [["TCP", "10.43.0.20", "80"]]],
    [
      "a NodePort service also listens on every node address and loopback",
      svc({ type: "NodePort", clusterIP: "10.43.0.20", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] }),
      [["TCP", "10.43.0.20", "80"], ["TCP", "192.0.2.2", "30080"], ["TCP", "127.0.0.1", "30080"]],
    ],
    ["UDP ports are served", svc({ clusterIP: "10.43.0.20", ports: [{ port: 53, protocol: "UDP" }] }), [["UDP", "10.43.0.20", "53"]]],
    ["SCTP ports are not", svc({ clusterIP: "10.43.0.20", ports: [{ port: 9, protocol: "SCTP" }] }), []],
    ["headless services get no listener", svc({ clusterIP: "None", ports: [{ port: 80 }] }), []],
    ["ExternalName services get no listener", svc({ type: "ExternalName", externalName: "x.example.com" }), []],
    ["a service without a ClusterIP yet waits", svc({ ports: [{ port: 80 }] }), []],
  ])("%s", (_name, service, want) => {
    const listen = serviceRoutes(service, [], ["192.0.2.2"]).flatMap((r) => r.listen.map((a) => [a.protocol, a.hostname, String(a.port)]));
    expect(listen).toEqual(want);
  });

  test("routes are keyed by namespace, name, port and protocol", () => {
    const routes = serviceRoutes(svc({ clusterIP: "10.43.0.20", ports: [{ port: 53, protocol: "UDP", name: "dns" }, { port: 53, protocol: "TCP", name: "dns-tcp" }] }), [], []);
    expect(routes.map((r) => r.key)).toEqual(["default/web:53/UDP", "default/web:53/TCP"]);
  });

  test.each<[string, EndpointSlice[], string[]]>([
    ["ready and unknown-readiness endpoints, at the slice port", [slice([ready("10.42.0.5", true), ready("10.42.0.6"), ready("10.42.0.7", false)], [{ name: "http", port: 8080, protocol: "TCP" }])], ["10.42.0.5:8080", "10.42.0.6:8080"]],
    ["endpoints over several slices, without duplicates", [slice([ready("10.42.0.5")], [{ name: "http", port: 8080 }]), slice([ready("10.42.0.5"), ready("10.42.0.8")], [{ name: "http", port: 8080 }])], ["10.42.0.5:8080", "10.42.0.8:8080"]],
    ["a slice without the port's name contributes nothing", [slice([ready("10.42.0.5")], [{ name: "metrics", port: 9090 }])], []],
    ["IPv6 slices are skipped", [slice([ready("fd00::5")], [{ name: "http", port: 8080 }], "IPv6")], []],
  ])("endpoints: %s", (_name, slices, want) => {
    expect(portEndpoints({ name: "http", port: 80, protocol: "TCP" }, slices).map((e) => `${e.ip}:${e.port}`)).toEqual(want);
  });

  test.each<[string, Service["spec"], { clientIP: boolean; timeoutSeconds: number }]>([
    ["no affinity", { clusterIP: "10.43.0.20", ports: [{ port: 80 }] }, { clientIP: false, timeoutSeconds: 10800 }],
    ["ClientIP with its timeout", { clusterIP: "10.43.0.20", sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80 }] }, { clientIP: true, timeoutSeconds: 60 }],
  ])("affinity: %s", (_name, spec, want) => {
    expect(serviceRoutes(svc(spec), [], [])[0]!.affinity).toEqual(want);
  });

  test("a slice names its service by label", () => {
    expect(sliceServiceKey(slice([], []))).toBe("default/web");
    expect(sliceServiceKey({ ...slice([], []), metadata: { name: "x", namespace: "default" } })).toBeUndefined();
  });
});
