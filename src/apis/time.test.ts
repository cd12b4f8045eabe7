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
