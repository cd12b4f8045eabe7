import { describe, expect, test } from "bun:test";
import { quantityMilli, quantityValue } from "./quantity.ts";

describe("quantityMilli (cpu)", () => {
  test.each([
    ["100m", 100], ["1", 1000], ["1.5", 1500], ["2k", 2_000_000], ["0.5m", 1], ["250u", 1], ["1e3", 1_000_000],
    [2, 2000], ["0", 0], ["+3", 3000],
  ] as const)("%p -> %p", (q, want) => expect(quantityMilli(q)).toBe(want));
});

describe("quantityValue (bytes, counts)", () => {
  test.each([
    ["1Gi", 2 ** 30], ["500Mi", 500 * 2 ** 20], ["128974848", 128974848], ["129e6", 129_000_000], ["1.5Gi", 1.5 * 2 ** 30],
    ["2k", 2000], ["1M", 1_000_000], ["110", 110], ["100m", 1], ["1Ti", 2 ** 40], ["0.5Ki", 512],
  ] as const)("%p -> %p", (q, want) => expect(quantityValue(q)).toBe(want));

  test.each(["", "abc", "1.2.3", "1Qi", "--1", "m"])("rejects %p", (q) => {
    expect(() => quantityValue(q)).toThrow(/invalid quantity/);
  });
});
