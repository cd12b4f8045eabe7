import { expect, test } from "bun:test";
import type { Taint, Toleration } from "./scheduling.ts";
import { toleratedBy, toleratesTaint } from "./taints.ts";

const taint: Taint = { key: "dedicated", value: "gpu", effect: "NoSchedule" };

test.each<[string, Toleration, boolean]>([
  ["Equal with the same key, value and effect", { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }, true],
  ["Equal is the default operator", { key: "dedicated", value: "gpu" }, true],
  ["Equal with another value", { key: "dedicated", value: "cpu" }, false],
  ["Exists ignores the value", { key: "dedicated", operator: "Exists" }, true],
  ["an empty key with Exists tolerates every taint", { operator: "Exists" }, true],
  ["another key", { key: "other", operator: "Exists" }, false],
  ["another effect", { key: "dedicated", operator: "Exists", effect: "NoExecute" }, false],
  ["an empty effect matches every effect", { key: "dedicated", operator: "Exists", effect: "" }, true],
  ["an unknown operator tolerates nothing", { key: "dedicated", operator: "Lt" as "Equal", value: "gpu" }, false],
])("%s: %p", (_, toleration, want) => {
  expect(toleratesTaint(toleration, taint)).toBe(want);
});

test("toleratedBy: any toleration of the list will do", () => {
  expect(toleratedBy([{ key: "a", operator: "Exists" }, { key: "dedicated", value: "gpu" }], taint)).toBe(true);
  expect(toleratedBy([{ key: "a", operator: "Exists" }], taint)).toBe(false);
  expect(toleratedBy([], taint)).toBe(false);
});
