import { describe, expect, test } from "bun:test";
import { compareStrings } from "./compare.ts";

describe("compareStrings", () => {
  test("sorts as Go does, byte by byte: capitals and '_' before lower case, no locale", () => {
    // Go: sort.Strings([]string{"b", "a", "B", "_", "a-1", "a.1"}) → [B _ a a-1 a.1 b]
    expect(["b", "a", "B", "_", "a-1", "a.1"].sort(compareStrings)).toEqual(["B", "_", "a", "a-1", "a.1", "b"]);
    // The ICU collator would put "a" before "B".
    expect(["a", "B"].sort((x, y) => x.localeCompare(y))).toEqual(["a", "B"]);
  });

  test("equal strings compare 0, and the order is antisymmetric", () => {
    expect(compareStrings("pod", "pod")).toBe(0);
    expect(compareStrings("pod-a", "pod-b")).toBe(-1);
    expect(compareStrings("pod-b", "pod-a")).toBe(1);
  });
});
