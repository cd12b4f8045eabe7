import { expect, test } from "bun:test";
import { formatMicroTime, formatTime } from "./time.ts";

test.each([
  [new Date("2025-03-04T05:06:07.890Z"), "2025-03-04T05:06:07Z", "2025-03-04T05:06:07.890000Z"],
  [Date.parse("2025-03-04T05:06:07Z"), "2025-03-04T05:06:07Z", "2025-03-04T05:06:07.000000Z"],
  [0, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"],
])("%p is Time %p and MicroTime %p", (t, time, micro) => {
  expect(formatTime(t)).toBe(time);
  expect(formatMicroTime(t)).toBe(micro);
});

test("formatTime's remembered second gives each time its own second, before 1970 and past the last date too", () => {
  const seconds = [1741064767, 1741064767, 1741064768, 1741064767, -1, 0, -2];
  for (const s of seconds) {
    for (const ms of [0, 1, 999]) {
      const t = s * 1000 + ms;
      expect(formatTime(t)).toBe(`${new Date(t).toISOString().slice(0, 19)}Z`);
      expect(formatTime(new Date(t))).toBe(`${new Date(t).toISOString().slice(0, 19)}Z`);
    }
  }
  expect(formatTime(8.64e15)).toBe(`${new Date(8.64e15).toISOString().slice(0, 19)}Z`);
  expect(() => formatTime(8.64e15 + 1)).toThrow(RangeError);
  expect(() => formatTime(NaN)).toThrow(RangeError);
});
