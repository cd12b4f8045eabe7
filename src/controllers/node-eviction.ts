// When a pod on a node with NoExecute taints must go (the taint eviction controller's rule): at
// once if a taint is not tolerated, after the shortest tolerationSeconds of the tolerations in
// use otherwise, never if they tolerate it forever.
import type { Pod, Taint, Toleration } from "../apis/index.ts";
import { toleratesTaint } from "../apis/core/taints.ts";

/**
 * The time (ms) to evict `pod`, or undefined to leave it. Tolerations count from the earliest
 * taint's timeAdded (now when the taint carries none). `maxTolerationSeconds` caps a bounded
 * tolerationSeconds (the 300 s admission default is long for tests); unbounded ones stay so.
 */
export function evictionTime(pod: Pod, taints: readonly Taint[], now: number, maxTolerationSeconds?: number): number | undefined {
  const noExecute = taints.filter((t) => t.effect === "NoExecute");
  if (noExecute.length === 0) return undefined;
  const tolerations: Toleration[] = pod.spec?.tolerations ?? [];
  const used: Toleration[] = [];
  for (const taint of noExecute) {
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return now;
    used.push(...matching);
  }
  const limits = used
    .map((t) => t.tolerationSeconds)
    .filter((s): s is number => s !== undefined)
    .map((s) => Math.min(s, maxTolerationSeconds ?? s));
  if (limits.length === 0) return undefined;
  const seconds = Math.max(0, Math.min(...limits));
  const added = noExecute.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : now)).filter((t) => !Number.isNaN(t));
  return Math.min(now, ...added) + seconds * 1000;
}
