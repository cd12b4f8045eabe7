import { describe, expect, test } from "bun:test";
import { nextTime, parseSchedule } from "./cron.ts";

const next = (spec: string, after: string, tz = "UTC") => {
  const t = nextTime(parseSchedule(spec), Date.parse(after), tz);
  return t === undefined ? undefined : new Date(t).toISOString();
};

describe("nextTime", () => {
  test.each([
    ["* * * * *", "2025-03-01T10:00:30Z", "2025-03-01T10:01:00.000Z"],
    ["*/15 * * * *", "2025-03-01T10:01:00Z", "2025-03-01T10:15:00.000Z"],
    ["5/20 * * * *", "2025-03-01T10:30:00Z", "2025-03-01T10:45:00.000Z"],
    ["0 9-17/4 * * *", "2025-03-01T14:00:00Z", "2025-03-01T17:00:00.000Z"],
    ["30 2 * * MON-FRI", "2025-03-01T00:00:00Z", "2025-03-03T02:30:00.000Z"],
    ["0 0 1,15 * *", "2025-03-02T00:00:00Z", "2025-03-15T00:00:00.000Z"],
    ["0 0 29 FEB *", "2025-03-01T00:00:00Z", "2028-02-29T00:00:00.000Z"],
    // Day of month and day of week both restricted: either matches.
    ["0 0 13 * FRI", "2025-06-01T00:00:00Z", "2025-06-06T00:00:00.000Z"],
    ["@hourly", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00.000Z"],
    ["@daily", "2025-03-01T10:00:00Z", "2025-03-02T00:00:00.000Z"],
    ["@weekly", "2025-03-01T10:00:00Z", "2025-03-02T00:00:00.000Z"],
    ["@monthly", "2025-03-01T10:00:00Z", "2025-04-01T00:00:00.000Z"],
    ["@yearly", "2025-03-01T10:00:00Z", "2026-01-01T00:00:00.000Z"],
  ])("%s after %s is %s", (spec, after, want) => {
    expect(next(spec, after)).toBe(want);
  });

  test("wall-clock time in an IANA zone, across a DST change", () => {
    // 09:00 in New York is 14:00Z in winter and 13:00Z in summer (DST began 2025-03-09).
    expect(next("0 9 * * *", "2025-03-08T15:00:00Z", "America/New_York")).toBe("2025-03-09T13:00:00.000Z");
    expect(next("0 9 * * *", "2025-03-07T15:00:00Z", "America/New_York")).toBe("2025-03-08T14:00:00.000Z");
    // 02:30 does not exist on the spring-forward day: the next run is the day after.
    expect(next("30 2 * * *", "2025-03-09T05:00:00Z", "America/New_York")).toBe("2025-03-10T06:30:00.000Z");
    expect(next("0 0 * * *", "2025-06-01T12:00:00Z", "Asia/Kolkata")).toBe("2025-06-01T18:30:00.000Z");
  });
});

describe("parseSchedule refuses", () => {
  test.each([
    ["* * * *", "expected exactly 5 fields"],
    ["60 * * * *", "above maximum (59)"],
    ["* * 0 * *", "below minimum (1)"],
    ["*/0 * * * *", "step of range should be a positive number"],
    ["5-1 * * * *", "beyond end of range"],
    ["@fortnightly", "unrecognized descriptor"],
    ["@every 5m", "@every is not supported"],
    ["a * * * *", "failed to parse int"],
  ])("%p", (spec, message) => {
    expect(() => parseSchedule(spec)).toThrow(message);
  });
});
