// The controller manager's flags that take a duration, spelled as kube-controller-manager's
// (--horizontal-pod-autoscaler-sync-period 15s, --horizontal-pod-autoscaler-downscale-stabilization 5m0s),
// shared by `kubun server` and `kubun controller-manager`.
import type { ControllerManagerOptions } from "./manager.ts";

export const CONTROLLER_MANAGER_FLAGS = {
  "horizontal-pod-autoscaler-sync-period": { type: "string" },
  "horizontal-pod-autoscaler-downscale-stabilization": { type: "string" },
} as const;

export const CONTROLLER_MANAGER_USAGE = "[--horizontal-pod-autoscaler-sync-period 15s] [--horizontal-pod-autoscaler-downscale-stabilization 5m0s]";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("15s", "5m0s", "1h30m", "500ms") in ms; an Error naming the flag otherwise. */
export function durationMs(flag: string, text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!text || parts.map((p) => p[0]).join("") !== text) throw new Error(`--${flag}: invalid duration ${JSON.stringify(text)} (e.g. 15s, 5m0s)`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

export function controllerManagerOptionsFromFlags(values: Partial<Record<keyof typeof CONTROLLER_MANAGER_FLAGS, string>>): ControllerManagerOptions {
  const out: ControllerManagerOptions = {};
  const sync = values["horizontal-pod-autoscaler-sync-period"];
  const down = values["horizontal-pod-autoscaler-downscale-stabilization"];
  if (sync !== undefined) out.hpaSyncPeriodMs = durationMs("horizontal-pod-autoscaler-sync-period", sync);
  if (down !== undefined) out.hpaDownscaleStabilizationMs = durationMs("horizontal-pod-autoscaler-downscale-stabilization", down);
  return out;
}
