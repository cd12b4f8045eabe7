import { describe, expect, test } from "bun:test";
import { balancedScore, fitScore, floorDiv, leastAllocated, mostAllocated, normalize } from "./scores.ts";

const GI = 2 ** 30;

describe("NodeResourcesFit", () => {
  test.each([
    { name: "least: empty node", fn: leastAllocated, req: 0, alloc: 4000, want: 100 },
    { name: "least: quarter used", fn: leastAllocated, req: 1000, alloc: 4000, want: 75 },
    { name: "least: rounds down", fn: leastAllocated, req: 1, alloc: 3, want: 66 },
    { name: "least: over allocatable", fn: leastAllocated, req: 5000, alloc: 4000, want: 0 },
    { name: "most: quarter used", fn: mostAllocated, req: 1000, alloc: 4000, want: 25 },
    { name: "most: over allocatable caps at 100", fn: mostAllocated, req: 5000, alloc: 4000, want: 100 },
    { name: "most: nothing allocatable", fn: mostAllocated, req: 5, alloc: 0, want: 0 },
  ])("$name", ({ fn, req, alloc, want }) => expect(fn(req, alloc)).toBe(want));

  test.each([
    { most: false, want: 62 }, // (75 + 50) / 2
    { most: true, want: 37 }, // (25 + 50) / 2
  ])("cpu and memory averaged (most=$most)", ({ most, want }) => {
    expect(fitScore({ cpu: 1000, memory: 4 * GI }, { cpu: 4000, memory: 8 * GI }, most)).toBe(want);
  });
});

describe("NodeResourcesBalancedAllocation", () => {
  test.each([
    { name: "equal fractions", cpu: 1000, mem: 2 * GI, want: 100 },
    { name: "cpu 50%, memory 0%", cpu: 2000, mem: 0, want: 75 },
    { name: "fractions capped at 1", cpu: 8000, mem: 0, want: 50 },
  ])("$name", ({ cpu, mem, want }) => {
    expect(balancedScore({ cpu, memory: mem }, { cpu: 4000, memory: 8 * GI })).toBe(want);
  });
});

describe("DefaultNormalizeScore", () => {
  test.each([
    { raw: 5, max: 10, reverse: false, want: 50 },
    { raw: 1, max: 3, reverse: false, want: 33 },
    { raw: 0, max: 0, reverse: false, want: 0 },
    { raw: 1, max: 3, reverse: true, want: 67 },
    { raw: 0, max: 0, reverse: true, want: 100 },
  ])("normalize($raw, $max, reverse=$reverse) = $want", ({ raw, max, reverse, want }) => {
    expect(normalize(raw, max, reverse)).toBe(want);
  });
});

test("floorDiv is exact where the float quotient rounds up", () => {
  const b = 2 ** 50 + 1;
  expect(floorDiv(3 * b - 1, b)).toBe(2);
  expect(floorDiv(3 * b, b)).toBe(3);
});
