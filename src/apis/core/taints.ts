// Whether a toleration lets a pod stay on (or be placed on) a tainted node: core/v1's
// Toleration.ToleratesTaint, shared by the scheduler's TaintToleration filter and the node
// lifecycle controller's NoExecute eviction, so both read a toleration the same way.
import type { Taint, Toleration } from "./scheduling.ts";

type TaintLike = Pick<Taint, "key" | "value" | "effect">;
type TolerationLike = Pick<Toleration, "key" | "operator" | "value" | "effect">;

/** v1.Toleration.ToleratesTaint: an empty effect or key matches any; Exists ignores the value. */
export function toleratesTaint(t: TolerationLike, taint: TaintLike): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? "Equal") {
    case "Equal": return (t.value ?? "") === (taint.value ?? "");
    case "Exists": return true;
    default: return false;
  }
}

/** v1helper.TolerationsTolerateTaint: some toleration of the list tolerates the taint. */
export function toleratedBy(tolerations: readonly TolerationLike[], taint: TaintLike): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}

/** The first NoSchedule/NoExecute taint no toleration tolerates, in node order (TaintToleration's filter). */
export function firstUntoleratedTaint<T extends TaintLike>(taints: readonly T[], tolerations: readonly TolerationLike[]): T | undefined {
  return taints.find((taint) => taint.effect !== "PreferNoSchedule" && !toleratedBy(tolerations, taint));
}
