// Score plugin formulas, integer-exact like kube-scheduler's (0..100 per plugin). The wasm module
// repeats them in wasm/assembly/scheduler.ts; both must produce the same integers.

export const MAX_NODE_SCORE = 100;

/** floor(a / b) for non-negative safe integers, exact even where a / b rounds up to an integer. */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** NodeResourcesFit LeastAllocated for one resource (spread). */
export function leastAllocated(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return floorDiv((allocatable - requested) * MAX_NODE_SCORE, allocatable);
}

/** NodeResourcesFit MostAllocated for one resource (bin packing). */
export function mostAllocated(requested: number, allocatable: number): number {
  if (allocatable <= 0) return 0;
  // Pods without requests count the non-zero defaults, which can overshoot allocatable.
  const r = requested > allocatable ? allocatable : requested;
  return floorDiv(r * MAX_NODE_SCORE, allocatable);
}

export interface ResourcePair {
  cpu: number;
  memory: number;
}

/** NodeResourcesFit score: equal-weight mean over cpu and memory that the node has at all. */
export function fitScore(requested: ResourcePair, allocatable: ResourcePair, most: boolean): number {
  const one = most ? mostAllocated : leastAllocated;
  let sum = 0;
  let weights = 0;
  if (allocatable.cpu > 0) { sum += one(requested.cpu, allocatable.cpu); weights++; }
  if (allocatable.memory > 0) { sum += one(requested.memory, allocatable.memory); weights++; }
  return weights === 0 ? 0 : floorDiv(sum, weights);
}

/** NodeResourcesBalancedAllocation: 100 × (1 − std of the cpu and memory fractions). */
export function balancedScore(requested: ResourcePair, allocatable: ResourcePair): number {
  if (allocatable.cpu <= 0 || allocatable.memory <= 0) return MAX_NODE_SCORE;
  const fc = Math.min(requested.cpu / allocatable.cpu, 1);
  const fm = Math.min(requested.memory / allocatable.memory, 1);
  const std = Math.abs((fc - fm) / 2);
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** DefaultNormalizeScore: scale to 0..100 by the maximum; reversed for "fewer is better". */
export function normalize(raw: number, max: number, reverse: boolean): number {
  if (max === 0) return reverse ? MAX_NODE_SCORE : 0;
  const score = floorDiv(MAX_NODE_SCORE * raw, max);
  return reverse ? MAX_NODE_SCORE - score : score;
}
