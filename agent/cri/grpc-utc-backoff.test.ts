// The CRI client's grpc-js back-off computes its end time in UTC (grpc-utc-backoff.ts): the
// wrap still finds grpc-js's methods, the end time is start + delay, and the timer still fires.
// (With the wrap off, the same assertions hold: they pin grpc-js's behaviour, not a new one.)
import { describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { useUtcBackoffDates } from "./grpc-utc-backoff.ts";

describe("useUtcBackoffDates", () => {
  test("finds BackoffTimeout's runTimer and reset in this grpc-js", () => {
    expect(useUtcBackoffDates()).toBe(true);
    expect(useUtcBackoffDates()).toBe(true); // once
  });

  test("the end time is the start plus the delay, and the callback runs", async () => {
    useUtcBackoffDates();
    let fired = 0;
    const b = new grpc.experimental.BackoffTimeout(() => fired++, { initialDelay: 20, jitter: 0, multiplier: 2 });
    const before = Date.now();
    b.runOnce();
    const end = b.getEndTime().getTime();
    expect(end).toBeGreaterThanOrEqual(before + 20);
    expect(end).toBeLessThanOrEqual(Date.now() + 20);
    expect(b.isRunning()).toBe(true);
    await Bun.sleep(60);
    expect(fired).toBe(1);
    expect(b.isRunning()).toBe(false);
  });

  test("reset while running goes through grpc-js's own reset, which re-times the timer", async () => {
    useUtcBackoffDates();
    let fired = 0;
    const b = new grpc.experimental.BackoffTimeout(() => fired++, { initialDelay: 10, jitter: 0, multiplier: 2 });
    b.runOnce(); // 10 ms
    b.runOnce(); // restarted: 20 ms
    const end = b.getEndTime().getTime();
    b.reset();
    // grpc-js's runTimer moves startTime itself (endTime is the same Date): reset() re-times from
    // that end plus the initial delay, so the new end is later, never earlier.
    expect(b.getEndTime().getTime()).toBeGreaterThan(end);
    expect(b.isRunning()).toBe(true);
    await Bun.sleep(150);
    expect(fired).toBe(1);
  });

  test("no local-time arithmetic: the dates it leaves behind answer getMilliseconds in UTC", () => {
    useUtcBackoffDates();
    const b = new grpc.experimental.BackoffTimeout(() => {}, { initialDelay: 1000 });
    b.runOnce();
    const end = b.getEndTime();
    expect(end.getMilliseconds()).toBe(end.getUTCMilliseconds());
    b.stop();
  });
});
