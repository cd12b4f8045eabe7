import { describe, expect, test } from "bun:test";
import { CidrAllocator, formatCidr, parseCidr } from "./node-cidr.ts";

describe("parseCidr / formatCidr", () => {
  test.each([
    ["10.42.0.0/16", "10.42.0.0/16"],
    ["10.42.7.9/24", "10.42.7.0/24"],
    ["192.168.1.128/25", "192.168.1.128/25"],
  ])("%s → %s", (cidr, want) => {
    expect(formatCidr(parseCidr(cidr))).toBe(want);
  });
  test.each(["10.42.0.0", "300.1.1.1/8", "10.0.0.0/33", "fd00::/64"])("rejects %s", (cidr) => {
    expect(() => parseCidr(cidr)).toThrow();
  });
});

describe("CidrAllocator", () => {
  test("hands out the lowest free /24, skipping ones in use, and reuses released ones", () => {
    const a = new CidrAllocator("10.42.0.0/16", 24);
    expect(a.occupy("10.42.1.0/24", "existing")).toBe(true);
    expect(a.allocate("n0")).toBe("10.42.0.0/24");
    expect(a.allocate("n2")).toBe("10.42.2.0/24");
    expect(a.allocate("n0")).toBe("10.42.0.0/24"); // a node keeps its subnet
    a.release("n0");
    expect(a.allocate("n3")).toBe("10.42.0.0/24");
  });
  test("refuses CIDRs that are outside the range or held by another node", () => {
    const a = new CidrAllocator("10.42.0.0/16", 24);
    expect(a.occupy("10.43.0.0/24", "x")).toBe(false);
    expect(a.occupy("10.42.5.0/24", "x")).toBe(true);
    expect(a.occupy("10.42.5.0/24", "y")).toBe(false);
    expect(a.holders("10.42.5.0/24", "y")).toEqual(["x"]);
    expect(a.holders("10.42.5.0/24", "x")).toEqual([]);
  });
  test("a CIDR of another size takes every subnet it overlaps (an agent's --pod-cidr need not be a /24)", () => {
    const a = new CidrAllocator("10.42.0.0/16", 24);
    expect(a.occupy("10.42.0.128/25", "narrow")).toBe(true);
    expect(a.occupy("10.42.2.0/23", "wide")).toBe(true);
    // Partly outside the cluster CIDR: the part inside is taken.
    expect(a.occupy("10.41.255.0/23", "edge")).toBe(false); // 10.42.0.0/24 is narrow's
    expect(a.holders("10.42.0.0/16")).toEqual(["narrow", "wide"]);
    expect([a.allocate("n1"), a.allocate("n2")]).toEqual(["10.42.1.0/24", "10.42.4.0/24"]);
    a.release("wide");
    expect(a.allocate("n3")).toBe("10.42.2.0/24");
  });
  test("runs out", () => {
    const a = new CidrAllocator("10.0.0.0/30", 31);
    expect([a.allocate("a"), a.allocate("b"), a.allocate("c")]).toEqual(["10.0.0.0/31", "10.0.0.2/31", undefined]);
  });
});
