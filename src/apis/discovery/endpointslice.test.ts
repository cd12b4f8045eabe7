import { expect, test } from "bun:test";
import { applyDefaults, toTable, validateObject } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";

const slices = findResource("discovery.k8s.io", "v1", "endpointslices")!;

function slice(extra: Record<string, unknown> = {}): Record<string, any> {
  const s = {
    metadata: { name: "web-abc", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.42.0.5"], conditions: { ready: true }, nodeName: "n1" }],
    ports: [{ name: "http", port: 8080 }],
    ...extra,
  };
  applyDefaults(slices, s as KubeObject);
  return s;
}

test("defaults port protocol; a slice is valid", () => {
  expect(slice().ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
  expect(validateObject(slices, slice() as KubeObject)).toEqual([]);
});

test.each<[string, Record<string, unknown>, string, string]>([
  ["no address type", { addressType: undefined }, "addressType", "Required value"],
  ["bad address type", { addressType: "IPv5" }, "addressType", "Unsupported value"],
  ["endpoint without addresses", { endpoints: [{ addresses: [] }] }, "endpoints[0].addresses", "must contain at least 1 address"],
  ["IPv6 address in an IPv4 slice", { endpoints: [{ addresses: ["fd00::1"] }] }, "endpoints[0].addresses[0]", "must be a valid IPv4 address"],
  ["loopback address", { endpoints: [{ addresses: ["127.0.0.1"] }] }, "endpoints[0].addresses[0]", "loopback"],
  ["duplicate port names", { ports: [{ name: "a", port: 1 }, { name: "a", port: 2 }] }, "ports[1].name", "Duplicate value"],
  ["bad protocol", { ports: [{ name: "a", port: 1, protocol: "QUIC" }] }, "ports[0].protocol", "Unsupported value"],
  ["ready not a bool", { endpoints: [{ addresses: ["10.42.0.5"], conditions: { ready: "yes" } }] }, "endpoints[0].conditions.ready", "must be a boolean"],
])("%s", (_, extra, field, message) => {
  const causes = validateObject(slices, slice(extra) as KubeObject);
  expect(causes.find((c) => c.field === field)?.message, JSON.stringify(causes)).toContain(message);
});

test("the address type is immutable", () => {
  const causes = validateObject(slices, slice({ addressType: "FQDN", endpoints: [{ addresses: ["web.example.com"] }] }) as KubeObject, slice() as KubeObject);
  expect(causes.map((c) => c.field)).toEqual(["addressType"]);
});

test.each<[string, Record<string, unknown>, unknown[]]>([
  ["one endpoint", {}, ["web-abc", "IPv4", "8080", "10.42.0.5", "5s"]],
  ["nothing yet", { endpoints: [], ports: [] }, ["web-abc", "IPv4", "<unset>", "<unset>", "5s"]],
  [
    "many",
    { ports: [{ name: "a", port: 1 }, { name: "b", port: 2 }, { name: "c" }, { name: "d", port: 4 }], endpoints: [{ addresses: ["10.0.0.1", "10.0.0.2"] }, { addresses: ["10.0.0.3", "10.0.0.4"] }] },
    ["web-abc", "IPv4", "1,2,c + 1 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...", "5s"],
  ],
])("table: %s", (_, extra, want) => {
  expect(toTable(slices, [slice(extra) as KubeObject], { now: new Date("2026-01-01T00:00:05Z") }).rows[0]!.cells).toEqual(want);
});
