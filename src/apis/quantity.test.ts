import { describe, expect, test } from "bun:test";
import { QuantityError, bytesOf, compareQuantities, cpuMillis, formatQuantity, isQuantity, parseQuantity, quantityMilliValue, quantityValue } from "./quantity.ts";

describe("parseQuantity", () => {
  test.each([
    ["100m", 100, 1],
    ["0.1", 100, 1],
    [".5", 500, 1],
    ["1", 1000, 1],
    ["2", 2000, 2],
    [2, 2000, 2],
    [0.25, 250, 1],
    ["1.5m", 2, 1], // rounds up, as MilliValue does
    ["1e3", 1_000_000, 1000],
    ["1E-3", 1, 1],
    ["1k", 1_000_000, 1000],
    ["1Ki", 1_024_000, 1024],
    ["1Mi", 1_048_576_000, 1_048_576],
    ["1Gi", 1_073_741_824_000, 1_073_741_824],
    ["1.5Gi", 1_610_612_736_000, 1_610_612_736],
    ["128974848", 128_974_848_000, 128_974_848],
    ["129e6", 129_000_000_000, 129_000_000],
    ["123Mi", 128_974_848_000, 128_974_848],
    ["500n", 1, 1],
    ["10u", 1, 1],
    ["1M", 1_000_000_000, 1_000_000],
    ["0", 0, 0],
    ["+1", 1000, 1],
    ["+3", 3000, 3],
    ["2k", 2_000_000, 2000],
    ["250u", 1, 1],
    ["1Ti", 1_099_511_627_776_000, 1_099_511_627_776],
    ["0.5Ki", 512_000, 512],
    ["110", 110_000, 110],
    ["1e1000", Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], // capped, as ParseQuantity caps at int64
  ])("%p is %p milli, %p whole", (q, milli, whole) => {
    expect(quantityMilliValue(q)).toBe(milli);
    expect(quantityValue(q)).toBe(whole);
  });

  // As resource.ParseQuantity: no surrounding whitespace; exponents past 1000 are no resource
  // anyone has, and would make BigInt build numbers of any size.
  test.each(["", "abc", "1.2.3", "1Kb", "1 Gi", " 1", "1 ", "1e", "Mi", "m", "--1", "1i", "1Qi", "1e1.5", "1e1001"])("rejects %p", (q) => {
    expect(() => parseQuantity(q)).toThrow(QuantityError);
    expect(isQuantity(q)).toBe(false);
  });

  test("rejects what is not a string or number", () => {
    expect(isQuantity(null)).toBe(false);
    expect(isQuantity({})).toBe(false);
    expect(isQuantity(Number.NaN)).toBe(false);
  });

  test("negative quantities parse (validation rejects them) and round away from zero", () => {
    expect(quantityMilliValue("-100m")).toBe(-100);
    expect(quantityMilliValue("-1.5m")).toBe(-2);
    expect(quantityValue("-0.5")).toBe(-1);
    expect(quantityValue("-1e1000")).toBe(-Number.MAX_SAFE_INTEGER);
  });

  test("a parsed quantity and its text give the same values", () => {
    expect(quantityValue(parseQuantity("1.5Gi"))).toBe(quantityValue("1.5Gi"));
    expect(quantityMilliValue(parseQuantity("1.5m"))).toBe(quantityMilliValue("1.5m"));
  });
});

describe("helpers", () => {
  test.each([
    ["100m", "200m", -1],
    ["0.5", "500m", 0],
    ["1Gi", "1G", 1],
    ["1000Mi", "1Gi", -1],
    [1, "1000m", 0],
  ])("compare %p with %p is %p", (a, b, want) => {
    expect(compareQuantities(a, b)).toBe(want as -1 | 0 | 1);
  });

  test("cpuMillis and bytesOf treat a missing quantity as zero", () => {
    expect(cpuMillis(undefined)).toBe(0);
    expect(cpuMillis("250m")).toBe(250);
    expect(bytesOf(undefined)).toBe(0);
    expect(bytesOf("64Mi")).toBe(67_108_864);
  });

  test.each([
    ["0.5", "500m"],
    ["1000", "1k"],
    ["1500", "1500"],
    ["1024Mi", "1Gi"],
    ["1536Mi", "1536Mi"],
    ["0.5Gi", "512Mi"],
    ["100m", "100m"],
    ["0", "0"],
    ["-1", "-1"],
  ])("formatQuantity(%p) is %p", (q, want) => {
    expect(formatQuantity(q)).toBe(want);
  });
});
