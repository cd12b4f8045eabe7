import { expect, test } from "bun:test";
import { type LabelSelector, formatLabels, mapSelectorMatches, selectorMatches, selectorString } from "./selector.ts";

const labels = { app: "web", tier: "front" };

test.each<[string, LabelSelector | undefined, boolean]>([
  ["matchLabels hit", { matchLabels: { app: "web" } }, true],
  ["matchLabels miss", { matchLabels: { app: "db" } }, false],
  ["empty selects all", {}, true],
  ["missing selects none", undefined, false],
  ["In", { matchExpressions: [{ key: "tier", operator: "In", values: ["front", "back"] }] }, true],
  ["NotIn", { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["front"] }] }, false],
  ["NotIn on absent key", { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, true],
  ["Exists", { matchExpressions: [{ key: "app", operator: "Exists" }] }, true],
  ["DoesNotExist", { matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, false],
  ["all must hold", { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["back"] }] }, false],
])("%s", (_, selector, want) => {
  expect(selectorMatches(selector, labels)).toBe(want);
});

test("map selectors need every pair", () => {
  expect(mapSelectorMatches({ app: "web" }, labels)).toBe(true);
  expect(mapSelectorMatches({ app: "web", x: "y" }, labels)).toBe(false);
  expect(mapSelectorMatches({}, undefined)).toBe(true);
});

test("selectorString prints requirements sorted by key, as kubectl does", () => {
  const sel: LabelSelector = {
    matchLabels: { tier: "front", app: "web" },
    matchExpressions: [
      { key: "env", operator: "In", values: ["prod", "dev"] },
      { key: "zz", operator: "DoesNotExist" },
      { key: "b", operator: "Exists" },
    ],
  };
  expect(selectorString(sel)).toBe("app=web,b,env in (dev,prod),tier=front,!zz");
  expect(selectorString(undefined)).toBe("");
});

test("formatLabels", () => {
  expect(formatLabels({ b: "2", a: "1" })).toBe("a=1,b=2");
  expect(formatLabels({})).toBe("<none>");
});
