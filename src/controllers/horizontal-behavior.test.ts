import { describe, expect, test } from "bun:test";
import type { HorizontalPodAutoscaler, HPAScalingRules } from "../apis/autoscaling/hpa.ts";
import { defaultHorizontalPodAutoscaler } from "../apis/autoscaling/hpa.ts";
import { convertDesiredReplicasWithRules, HorizontalState, scaleDownLimit, scaleUpLimit } from "./horizontal-behavior.ts";

const hpa = (spec: Partial<NonNullable<HorizontalPodAutoscaler["spec"]>> = {}): HorizontalPodAutoscaler => {
  const h = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "h", namespace: "ns" }, spec: { scaleTargetRef: { kind: "Deployment", name: "d" }, maxReplicas: 10, ...spec } } as HorizontalPodAutoscaler;
  defaultHorizontalPodAutoscaler(h);
  return h;
};

describe("convertDesiredReplicasWithRules (no behavior)", () => {
  test.each([
    [2, 3, 1, 10, 3, "DesiredWithinRange"],
    [1, 9, 1, 10, 4, "ScaleUpLimit"], // at most max(2×1, 4)
    [5, 20, 1, 8, 8, "TooManyReplicas"],
    [3, 0, 2, 10, 2, "TooFewReplicas"],
  ])("current %d, desired %d, min %d, max %d → %d (%s)", (current, desired, min, max, want, reason) => {
    const r = convertDesiredReplicasWithRules(current, desired, min, max);
    expect(r.replicas).toBe(want);
    expect(r.reason).toBe(reason);
  });
});

describe("scale rate policies", () => {
  const rules = (policies: HPAScalingRules["policies"], selectPolicy: HPAScalingRules["selectPolicy"] = "Max"): HPAScalingRules => ({ policies, selectPolicy });
  test.each([
    ["Max of Pods 4 and Percent 100 from 3", rules([{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }]), 3, 7],
    ["Min of the two", rules([{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }], "Min"), 3, 6],
    ["Percent rounds up", rules([{ type: "Percent", value: 10, periodSeconds: 15 }]), 3, 4],
    ["Disabled holds", rules([{ type: "Pods", value: 4, periodSeconds: 15 }], "Disabled"), 3, 3],
  ])("up: %s", (_n, r, current, want) => {
    expect(scaleUpLimit(current, [], [], r, 0)).toBe(want);
  });
  test.each([
    ["Percent 50 from 5 rounds down", rules([{ type: "Percent", value: 50, periodSeconds: 60 }]), 5, 2],
    ["Max picks the largest change", rules([{ type: "Pods", value: 1, periodSeconds: 60 }, { type: "Percent", value: 50, periodSeconds: 60 }]), 6, 3],
    ["Min picks the smallest change", rules([{ type: "Pods", value: 1, periodSeconds: 60 }, { type: "Percent", value: 50, periodSeconds: 60 }], "Min"), 6, 5],
    ["Disabled holds", rules([{ type: "Pods", value: 1, periodSeconds: 60 }], "Disabled"), 6, 6],
  ])("down: %s", (_n, r, current, want) => {
    expect(scaleDownLimit(current, [], [], r, 0)).toBe(want);
  });
  test("changes made within a policy's period count against it", () => {
    const r = rules([{ type: "Pods", value: 2, periodSeconds: 60 }]);
    // 2 pods were added 30 s ago: the period started at 3, so at most 5 now.
    expect(scaleUpLimit(5, [{ change: 2, atMs: 70_000, outdated: false }], [], r, 100_000)).toBe(5);
    // Added 90 s ago: outside the period.
    expect(scaleUpLimit(5, [{ change: 2, atMs: 10_000, outdated: false }], [], r, 100_000)).toBe(7);
  });
});

describe("HorizontalState without behavior", () => {
  test("a scale-down waits for the downscale stabilization window; a scale-up does not", () => {
    const s = new HorizontalState(60_000);
    const h = hpa();
    s.recordInitial("k", 4, 0);
    expect(s.normalize("k", h, 4, 1, 1, 10_000).replicas).toBe(4);
    const held = s.normalize("k", h, 4, 1, 1, 30_000);
    expect(held.replicas).toBe(4);
    expect(held.conditions[0]!.reason).toBe("ScaleDownStabilized");
    expect(s.normalize("k", h, 4, 1, 1, 70_000).replicas).toBe(1);
    expect(s.normalize("k", h, 1, 3, 1, 71_000).replicas).toBe(3);
  });
});

describe("HorizontalState with behavior", () => {
  test("scale-up stabilization takes the lowest recent recommendation; policies limit the step", () => {
    const s = new HorizontalState(300_000);
    const h = hpa({ behavior: { scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] } } });
    s.recordInitial("k", 1, 0);
    // Recommendations 1 (initial) then 5 within 60 s: stabilized at 1.
    const first = s.normalizeWithBehavior("k", h, 1, 5, 1, 10_000);
    expect(first.replicas).toBe(1);
    expect(first.conditions[0]!.reason).toBe("ScaleUpStabilized");
    // After the window only 5s remain: up, but by one pod per minute.
    const second = s.normalizeWithBehavior("k", h, 1, 5, 1, 75_000);
    expect(second.replicas).toBe(2);
    expect(second.conditions[1]).toMatchObject({ type: "ScalingLimited", status: "True", reason: "ScaleUpLimit" });
    s.storeScaleEvent("k", h, 1, 2, 75_000);
    expect(s.normalizeWithBehavior("k", h, 2, 5, 1, 80_000).replicas).toBe(2);
    expect(s.normalizeWithBehavior("k", h, 2, 5, 1, 140_000).replicas).toBe(3);
  });

  test("scale-down uses the controller's window when the HPA sets none, and selectPolicy Disabled never scales down", () => {
    const s = new HorizontalState(20_000);
    const h = hpa({ behavior: { scaleDown: { policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] } } });
    s.recordInitial("k", 4, 0);
    expect(s.normalizeWithBehavior("k", h, 4, 1, 1, 5_000).replicas).toBe(4);
    expect(s.normalizeWithBehavior("k", h, 4, 1, 1, 30_000).replicas).toBe(1);
    const disabled = hpa({ behavior: { scaleDown: { selectPolicy: "Disabled", stabilizationWindowSeconds: 0 } } });
    const d = new HorizontalState(0);
    d.recordInitial("k", 4, 0);
    const r = d.normalizeWithBehavior("k", disabled, 4, 1, 1, 1_000);
    expect(r.replicas).toBe(4);
    expect(r.conditions[1]!.reason).toBe("ScaleDownLimit");
  });
});
