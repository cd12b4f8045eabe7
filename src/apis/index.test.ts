import { expect, test } from "bun:test";
import { applyDefaults, toTable, validateObject, validateStatusUpdate } from "./index.ts";
import type { KubeObject } from "./meta.ts";
import { RESOURCES, type ResourceInfo } from "./registry.ts";

const other: ResourceInfo = { ...RESOURCES[0]!, group: "example.com", kind: "Widget", resource: "widgets", namespaced: true };

test("kinds without a printer print NAME and AGE", () => {
  const table = toTable(other, [{ metadata: { name: "w", creationTimestamp: "2026-01-01T00:00:00Z" } }], { now: new Date("2026-01-01T00:10:00Z") });
  expect(table.columnDefinitions.map((c) => c.name)).toEqual(["Name", "Age"]);
  expect(table.rows[0]!.cells).toEqual(["w", "10m"]);
});

test("kinds without rules still get metadata validation", () => {
  expect(validateObject(other, { metadata: { name: "w", namespace: "default" } })).toEqual([]);
  expect(validateObject(other, { metadata: { name: "W", namespace: "default" } }).map((c) => c.field)).toEqual(["metadata.name"]);
});

// Every served kind must survive any shape of input: causes, never exceptions.
const garbage: unknown[] = [
  null,
  "x",
  42,
  [],
  { metadata: "x" },
  { metadata: { name: 5, labels: "a", annotations: [1], finalizers: "f", ownerReferences: {} } },
  { metadata: { name: "a", namespace: "b" }, spec: "s", status: 7, data: [], subsets: {}, endpoints: "e", ports: 1, involvedObject: 3 },
  { metadata: { name: "a", namespace: "b" }, spec: { selector: "x", template: [], ports: [null, 3], containers: {}, taints: "t", strategy: 1 } },
  { metadata: { name: "a", namespace: "b" }, spec: { template: { metadata: 1, spec: { containers: [{ resources: { limits: [] } }] } }, replicas: "1" } },
];

test.each(RESOURCES.map((r) => [r.resource, r] as const))("%s: garbage gives causes, not exceptions", (_, r) => {
  for (const input of garbage) {
    const obj = structuredClone(input) as KubeObject;
    expect(() => applyDefaults(r, obj)).not.toThrow();
    expect(Array.isArray(validateObject(r, obj))).toBe(true);
    expect(Array.isArray(validateObject(r, obj, structuredClone(input) as KubeObject))).toBe(true);
    expect(Array.isArray(validateStatusUpdate(r, obj, structuredClone(input) as KubeObject))).toBe(true);
  }
});

test.each(RESOURCES.map((r) => [r.resource, r] as const))("%s: a bare object prints a row with one cell per column", (_, r) => {
  const table = toTable(r, [{ metadata: { name: "x" } }], { now: new Date() });
  expect(table.rows[0]!.cells.length).toBe(table.columnDefinitions.length);
});
