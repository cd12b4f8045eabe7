import { describe, expect, test } from "bun:test";
import { compile, isCompileError, toCel } from "./index.ts";

const run = (expr: string, self: unknown) => {
  const p = compile(expr, ["self"]);
  if (isCompileError(p)) throw new Error(p.error);
  const r = p.run({ self: toCel(self) });
  return "error" in r ? `error: ${r.error}` : r.value;
};

describe("Kubernetes CEL libraries", () => {
  test.each([
    ["self.isSorted()", [1, 2, 2, 5], true],
    ["self.isSorted()", ["b", "a"], false],
    ["self.sum()", [1, 2, 3], 6n],
    ["self.min()", [3, 1, 2], 1n],
    ["self.max()", ["a", "c", "b"], "c"],
    ["self.indexOf(2)", [1, 2, 2], 1n],
    ["self.lastIndexOf(2)", [1, 2, 2], 2n],
    ["self.find('[0-9]+')", "abc 123 def 456", "123"],
    ["self.findAll('[0-9]+')", "abc 123 def 456", ["123", "456"]],
    ["self.matches('^[a-z]+$')", "abc", true],
    ["self.upperAscii()", "abc", "ABC"],
    ["self.split(',').size()", "a,b,c", 3n],
    ["self.x + 1", { x: 1 }, 2n],
    ["has(self.x) && !has(self.y)", { x: 1 }, true],
  ])("%s on %j", (expr, self, want) => {
    const got = run(expr, self);
    expect(Array.isArray(want) ? [...(got as Iterable<unknown>)] : got).toEqual(want);
  });

  test("errors are values: a missing field, an empty list, a backtracking regex", () => {
    expect(String(run("self.y > 1", { x: 1 }))).toStartWith("error:");
    expect(String(run("self.min()", []))).toStartWith("error:");
    expect(String(run("self.find('(a+)+$')", "aaaa"))).toStartWith("error:");
    expect(String(run("self.find('(?=a)')", "aaaa"))).toStartWith("error:");
  });

  test("the cost rule: nested comprehensions are refused at compile time", () => {
    expect(compile("self.all(x, self.exists(y, x == y))", ["self"])).toEqual({ error: "estimated rule cost exceeds budget: comprehensions (all, exists, map, filter) may not be nested" });
    expect(isCompileError(compile("self.all(x, x > 0) && self.exists(y, y == 2)", ["self"]))).toBe(false);
  });

  test("variables the expression reads", () => {
    const p = compile("self.a == oldSelf.a", ["self", "oldSelf"]);
    expect(isCompileError(p) ? [] : [...p.variables].sort()).toEqual(["oldSelf", "self"]);
  });
});
