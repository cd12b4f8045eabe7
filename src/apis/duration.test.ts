import { expect, test } from "bun:test";
import { humanDuration, timestampSince } from "./duration.ts";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test.each([
  [-3 * s, "<invalid>"],
  [-1.5 * s, "0s"],
  [0, "0s"],
  [5 * s, "5s"],
  [119 * s, "119s"],
  [2 * m, "2m"],
  [3 * m + 20 * s, "3m20s"],
  [9 * m + 59 * s, "9m59s"],
  [10 * m + 30 * s, "10m"],
  [179 * m, "179m"],
  [3 * h, "3h"],
  [3 * h + 5 * m, "3h5m"],
  [7 * h + 59 * m, "7h59m"],
  [8 * h + 30 * m, "8h"],
  [47 * h, "47h"],
  [2 * d, "2d"],
  [2 * d + 4 * h, "2d4h"],
  [7 * d + 23 * h, "7d23h"],
  [8 * d + 5 * h, "8d"],
  [729 * d, "729d"],
  [2 * 365 * d, "2y"],
  [3 * 365 * d + 10 * d, "3y10d"],
  [9 * 365 * d + 10 * d, "9y"],
])("humanDuration(%p ms) is %p", (ms, want) => {
  expect(humanDuration(ms)).toBe(want);
});

test("timestampSince measures from the given clock", () => {
  const now = new Date("2026-01-02T00:00:00Z");
  expect(timestampSince("2026-01-01T19:00:00Z", now)).toBe("5h");
  expect(timestampSince(undefined, now)).toBe("<unknown>");
  expect(timestampSince("yesterday", now)).toBe("<unknown>");
});
