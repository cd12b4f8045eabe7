import { expect, test } from "bun:test";
import { orderMergedList } from "./list-order.ts";

const same = (x: unknown) => x;

// merged, order (the patch), serverOrder (the live list), want
test.each([
  [["a", "b", "c"], ["b"], ["a", "b", "c"], ["a", "b", "c"]],
  [["a", "b", "d"], ["d"], ["a", "b"], ["d", "a", "b"]],
  [["a", "b", "c"], ["c", "a"], ["a", "b", "c"], ["b", "c", "a"]],
  [["b", "c", "a", "d"], ["a", "b", "d"], ["b", "c", "a"], ["c", "a", "b", "d"]],
  [["x", "y"], [], ["y", "x"], ["y", "x"]],
  [[], ["a"], [], []],
])("merged %j ordered by patch %j over live %j", (merged, order, serverOrder, want) => {
  expect(orderMergedList(merged, order, serverOrder, same)).toEqual(want);
});

test("items are told apart by the identity function", () => {
  const merged = [{ name: "a", v: 1 }, { name: "b", v: 2 }];
  const out = orderMergedList(merged, [{ name: "b" }, { name: "a" }], merged, (item) => (item as { name: string }).name);
  expect(out).toEqual([{ name: "b", v: 2 }, { name: "a", v: 1 }]);
});
