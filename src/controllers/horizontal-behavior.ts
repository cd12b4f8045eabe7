// How the HPA turns a metric's recommendation into the replicas it sets
// (pkg/controller/podautoscaler/horizontal.go): without `behavior`, the highest recommendation
// of the downscale stabilization window and at most doubling (or 4) per step; with it, the
// scale-up and scale-down stabilization windows and the rate policies (Pods, Percent) over their
// periods, chosen by selectPolicy (Max, Min or Disabled). The recommendations and scale events
// it remembers live in memory, per HPA, as in kube-controller-manager: a restart forgets them.
import type { HPAScalingRules, HorizontalPodAutoscaler } from "../apis/autoscaling/hpa.ts";
import { defaultScaleDown, defaultScaleUp } from "../apis/autoscaling/hpa.ts";

export interface ConditionUpdate {
  type: "AbleToScale" | "ScalingActive" | "ScalingLimited";
  status: "True" | "False";
  reason: string;
  message: string;
}

type Recommendation = { replicas: number; atMs: number };
type ScaleEvent = { change: number; atMs: number; outdated: boolean };

const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

/** convertDesiredReplicasWithRules: min/max and the default rate limit (twice the current, at least 4). */
export function convertDesiredReplicasWithRules(current: number, desired: number, min: number, max: number): { replicas: number; reason: string; message: string } {
  const scaleUpLimit = Math.trunc(Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM));
  let maximum: number;
  let reason: string;
  let message: string;
  if (max > scaleUpLimit) {
    maximum = scaleUpLimit;
    reason = "ScaleUpLimit";
    message = "the desired replica count is increasing faster than the maximum scale rate";
  } else {
    maximum = max;
    reason = "TooManyReplicas";
    message = "the desired replica count is more than the maximum replica count";
  }
  if (desired < min) return { replicas: min, reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count" };
  if (desired > maximum) return { replicas: maximum, reason, message };
  return { replicas: desired, reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" };
}

/** Replicas added (or removed) by the events within the last periodSeconds. */
function changeInPeriod(periodSeconds: number, events: ScaleEvent[], nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  return events.filter((e) => e.atMs > cutoff).reduce((sum, e) => sum + e.change, 0);
}

export function scaleUpLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: HPAScalingRules, nowMs: number): number {
  if (rules.selectPolicy === "Disabled") return current;
  const pick = rules.selectPolicy === "Min" ? Math.min : Math.max;
  let result = rules.selectPolicy === "Min" ? Infinity : -Infinity;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, ups, nowMs) + changeInPeriod(p.periodSeconds, downs, nowMs);
    const proposed = p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

export function scaleDownLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: HPAScalingRules, nowMs: number): number {
  if (rules.selectPolicy === "Disabled") return current;
  // Scaling down, the smallest change (Min) is the highest count.
  const pick = rules.selectPolicy === "Min" ? Math.max : Math.min;
  let result = rules.selectPolicy === "Min" ? -Infinity : Infinity;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, ups, nowMs) + changeInPeriod(p.periodSeconds, downs, nowMs);
    const proposed = p.type === "Pods" ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

const longestPeriod = (rules: HPAScalingRules | undefined) => Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds));

/** The remembered recommendations and scale events of every HPA, by key, and the decisions on them. */
export class HorizontalState {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUps = new Map<string, ScaleEvent[]>();
  private readonly scaleDowns = new Map<string, ScaleEvent[]>();

  /** @param downscaleStabilizationMs --horizontal-pod-autoscaler-downscale-stabilization (default 5 min). */
  constructor(private readonly downscaleStabilizationMs = 300_000) {}

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUps.delete(key);
    this.scaleDowns.delete(key);
  }

  /** recordInitialRecommendation: the current count is the first thing the window holds. */
  recordInitial(key: string, current: number, nowMs: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: current, atMs: nowMs }]);
  }

  private record(key: string, replicas: number, nowMs: number, isOld: (r: Recommendation) => boolean): void {
    const list = this.recommendations.get(key) ?? [];
    let oldIndex = -1;
    list.forEach((r, i) => {
      if (isOld(r)) oldIndex = i;
    });
    const entry = { replicas, atMs: nowMs };
    if (oldIndex >= 0) list[oldIndex] = entry;
    else list.push(entry);
    this.recommendations.set(key, list);
  }

  /** normalizeDesiredReplicas: without behavior. */
  normalize(key: string, hpa: HorizontalPodAutoscaler, current: number, desired: number, min: number, nowMs: number): { replicas: number; conditions: ConditionUpdate[] } {
    const cutoff = nowMs - this.downscaleStabilizationMs;
    let stabilized = desired;
    for (const r of this.recommendations.get(key) ?? []) if (r.atMs > cutoff && r.replicas > stabilized) stabilized = r.replicas;
    this.record(key, desired, nowMs, (r) => r.atMs < cutoff);
    const conditions: ConditionUpdate[] = [
      stabilized !== desired
        ? { type: "AbleToScale", status: "True", reason: "ScaleDownStabilized", message: "recent recommendations were higher than current one, applying the highest recent recommendation" }
        : { type: "AbleToScale", status: "True", reason: "ReadyForNewScale", message: "recommended size matches current size" },
    ];
    const out = convertDesiredReplicasWithRules(current, stabilized, min, hpa.spec!.maxReplicas);
    conditions.push({ type: "ScalingLimited", status: out.replicas === stabilized ? "False" : "True", reason: out.reason, message: out.message });
    return { replicas: out.replicas, conditions };
  }

  /** normalizeDesiredReplicasWithBehaviors. */
  normalizeWithBehavior(key: string, hpa: HorizontalPodAutoscaler, current: number, desired: number, min: number, nowMs: number): { replicas: number; conditions: ConditionUpdate[] } {
    const up = hpa.spec!.behavior!.scaleUp ?? defaultScaleUp();
    const down: HPAScalingRules = { ...(hpa.spec!.behavior!.scaleDown ?? defaultScaleDown()) };
    down.stabilizationWindowSeconds ??= this.downscaleStabilizationMs / 1000;
    const upWindow = up.stabilizationWindowSeconds ?? 0;
    const downWindow = down.stabilizationWindowSeconds;
    // stabilizeRecommendationWithBehaviors
    const upCutoff = nowMs - upWindow * 1000;
    const downCutoff = nowMs - downWindow * 1000;
    const obsoleteCutoff = nowMs - Math.max(upWindow, downWindow) * 1000;
    let upRec = desired;
    let downRec = desired;
    for (const r of this.recommendations.get(key) ?? []) {
      if (r.atMs > upCutoff) upRec = Math.min(r.replicas, upRec);
      if (r.atMs > downCutoff) downRec = Math.max(r.replicas, downRec);
    }
    let stabilized = current;
    if (stabilized < upRec) stabilized = upRec;
    if (stabilized > downRec) stabilized = downRec;
    this.record(key, desired, nowMs, (r) => r.atMs < obsoleteCutoff);
    const conditions: ConditionUpdate[] = [];
    if (stabilized !== desired) {
      conditions.push(
        desired >= current
          ? { type: "AbleToScale", status: "True", reason: "ScaleUpStabilized", message: "recent recommendations were lower than current one, applying the lowest recent recommendation" }
          : { type: "AbleToScale", status: "True", reason: "ScaleDownStabilized", message: "recent recommendations were higher than current one, applying the highest recent recommendation" },
      );
    } else conditions.push({ type: "AbleToScale", status: "True", reason: "ReadyForNewScale", message: "recommended size matches current size" });

    // convertDesiredReplicasWithBehaviorRate
    const max = hpa.spec!.maxReplicas;
    const ups = this.scaleUps.get(key) ?? [];
    const downs = this.scaleDowns.get(key) ?? [];
    let replicas = stabilized;
    let reason = "DesiredWithinRange";
    let message = "the desired count is within the acceptable range";
    if (stabilized > current) {
      const limit = Math.max(scaleUpLimit(current, ups, downs, up, nowMs), current);
      let maximum = max;
      if (maximum > limit) {
        maximum = limit;
        reason = "ScaleUpLimit";
        message = "the desired replica count is increasing faster than the maximum scale rate";
      } else {
        reason = "TooManyReplicas";
        message = "the desired replica count is more than the maximum replica count";
      }
      if (stabilized > maximum) replicas = maximum;
      else [reason, message] = ["DesiredWithinRange", "the desired count is within the acceptable range"];
    } else if (stabilized < current) {
      const limit = Math.min(scaleDownLimit(current, ups, downs, down, nowMs), current);
      let minimum = min;
      if (minimum < limit) {
        minimum = limit;
        reason = "ScaleDownLimit";
        message = "the desired replica count is decreasing faster than the maximum scale rate";
      } else {
        reason = "TooFewReplicas";
        message = "the desired replica count is less than the minimum replica count";
      }
      if (stabilized < minimum) replicas = minimum;
      else [reason, message] = ["DesiredWithinRange", "the desired count is within the acceptable range"];
    }
    conditions.push({ type: "ScalingLimited", status: replicas === stabilized ? "False" : "True", reason, message });
    return { replicas, conditions };
  }

  /** storeScaleEvent: what the rate policies count; only kept for HPAs with a behavior. */
  storeScaleEvent(key: string, hpa: HorizontalPodAutoscaler, previous: number, next: number, nowMs: number): void {
    const behavior = hpa.spec?.behavior;
    if (!behavior) return;
    const upward = next > previous;
    const map = upward ? this.scaleUps : this.scaleDowns;
    const rules = upward ? behavior.scaleUp : behavior.scaleDown;
    const events = map.get(key) ?? [];
    const cutoff = nowMs - longestPeriod(rules) * 1000;
    for (const e of events) if (e.atMs < cutoff) e.outdated = true;
    const entry = { change: Math.abs(next - previous), atMs: nowMs, outdated: false };
    const old = events.findLastIndex((e) => e.outdated);
    if (old >= 0) events[old] = entry;
    else events.push(entry);
    map.set(key, events);
  }
}
