import { expect, test } from "bun:test";
import { controllerManagerOptionsFromFlags, durationMs } from "./cli-options.ts";

test.each([
  ["15s", 15_000],
  ["5m0s", 300_000],
  ["1h30m", 5_400_000],
  ["500ms", 500],
  ["1.5s", 1_500],
])("durationMs(%p) = %p", (text, ms) => {
  expect(durationMs("flag", text)).toBe(ms);
});

test.each(["", "15", "five minutes", "5m 0s"])("durationMs(%p) names the flag", (text) => {
  expect(() => durationMs("horizontal-pod-autoscaler-sync-period", text)).toThrow("--horizontal-pod-autoscaler-sync-period: invalid duration");
});

test("the HPA flags become controller-manager options", () => {
  expect(controllerManagerOptionsFromFlags({ "horizontal-pod-autoscaler-sync-period": "2s", "horizontal-pod-autoscaler-downscale-stabilization": "30s" })).toEqual({
    hpaSyncPeriodMs: 2_000,
    hpaDownscaleStabilizationMs: 30_000,
  });
  expect(controllerManagerOptionsFromFlags({})).toEqual({});
});
