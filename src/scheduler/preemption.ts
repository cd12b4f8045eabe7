// kube-scheduler's DefaultPreemption PostFilter: a pod that fits nowhere may evict pods of lower
// priority. For each node, every lower-priority pod is taken off it (in the scorer, by forget —
// the same core that filters decides) and the pod must then fit; victims are then given back one
// by one from the most important down (reprieve), keeping only those it cannot do without. The
// node chosen is upstream's pickOneNodeForPreemption: fewest PodDisruptionBudget violations, then
// the lowest highest-victim priority, the lowest sum of priorities, the fewest victims. The
// scorer is left exactly as found (every forget is undone).
//
// PodDisruptionBudgets are respected where possible: victims whose eviction a budget forbids
// are reprieved first and count against a node (`DisruptionBudgets`; the scheduler reads the
// policy/v1 budgets from an informer, podDisruptionBudgets below).
import type { KubeObject } from "../apis/meta.ts";
import type { PodQuery, PodUsage, Scorer } from "./types.ts";
import { canIgnorePDB, pdbsCoveringPod } from "../apis/policy/disruption.ts";
import type { PodDisruptionBudget } from "../apis/policy/poddisruptionbudget.ts";
import type { Pod } from "../apis/core/pod.ts";

export const NO_VICTIMS = "No preemption victims found for incoming pod";
export const NOT_HELPFUL = "Preemption is not helpful for scheduling";
export const NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never.";
export const NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node.";

/** The DisruptionTarget condition kube-scheduler writes on a victim before deleting it. */
export const PREEMPTION_CONDITION = {
  type: "DisruptionTarget",
  status: "True" as const,
  reason: "PreemptionByScheduler",
  message: "DefaultPreemption: preempting to accommodate a higher priority pod",
};

export interface PlacedForPreemption {
  key: string;
  pod: KubeObject;
  node: string;
  usage: PodUsage;
  priority: number;
}

/** The seam for PodDisruptionBudgets: which of these victims a budget would not let go. */
export interface DisruptionBudgets {
  violating(victims: readonly KubeObject[]): Set<KubeObject>;
}

export const NO_DISRUPTION_BUDGETS: DisruptionBudgets = { violating: () => new Set() };

/**
 * PodDisruptionBudgets as kube-scheduler's preemption reads them (filterPodsWithPDBViolation):
 * each budget's disruptionsAllowed is spent victim by victim, in the order given, and a victim
 * that finds a covering budget already spent violates it. Pods the eviction API would let go
 * without a budget (finished, pending, already deleting) never do.
 */
export function podDisruptionBudgets(list: () => readonly PodDisruptionBudget[]): DisruptionBudgets {
  return {
    violating(victims) {
      const pdbs = list();
      const out = new Set<KubeObject>();
      if (pdbs.length === 0) return out;
      const allowed = new Map(pdbs.map((p) => [p, p.status?.disruptionsAllowed ?? 0]));
      for (const victim of victims) {
        const pod = victim as Pod;
        if (canIgnorePDB(pod)) continue;
        for (const pdb of pdbsCoveringPod(pod, pdbs)) {
          // Already counted as disrupted by an eviction in flight: no further spend.
          if (pdb.status?.disruptedPods?.[pod.metadata.name!]) continue;
          const left = allowed.get(pdb)! - 1;
          allowed.set(pdb, left);
          if (left < 0) out.add(victim);
        }
      }
      return out;
    },
  };
}

export interface PreemptionInput {
  scorer: Scorer;
  query: PodQuery;
  priority: number;
  nodes: readonly string[];
  /** Pods accounted on a node. */
  podsOn(node: string): PlacedForPreemption[];
  /** The pod-to-pod rules (anti-affinity, spread) on `node` with `removed` pods gone; undefined = no such rules. */
  otherRules?(node: string, removed: ReadonlySet<string>): boolean;
  budgets?: DisruptionBudgets;
}

export interface PreemptionResult {
  node?: string;
  victims: PlacedForPreemption[];
  /** Why no node was found, as the "preemption: ..." part of the FailedScheduling message. */
  message?: string;
}

interface Candidate {
  node: string;
  victims: PlacedForPreemption[];
  violations: number;
}

export function findPreemption(input: PreemptionInput): PreemptionResult {
  const { scorer } = input;
  const budgets = input.budgets ?? NO_DISRUPTION_BUDGETS;
  const candidates: Candidate[] = [];
  const failures: Record<string, number> = {};
  for (const node of input.nodes) {
    const index = scorer.nodeIndex(node);
    if (index === undefined) continue;
    const query = { ...input.query, nodeName: node };
    const on = input.podsOn(node);
    const fits = (removed: ReadonlySet<string>) => scorer.schedule(query).node === node && (input.otherRules?.(node, removed) ?? true);
    const lower = on.filter((p) => p.priority < input.priority);
    const removed = new Set<string>();
    for (const p of lower) {
      scorer.forget(p.usage, index);
      removed.add(p.key);
    }
    if (!fits(removed)) {
      for (const p of lower) scorer.assume(p.usage, index);
      // Would an empty node do? If not, no eviction anywhere helps here (upstream: UnschedulableAndUnresolvable).
      const higher = on.filter((p) => p.priority >= input.priority);
      for (const p of higher) scorer.forget(p.usage, index);
      const helpful = fits(new Set(on.map((p) => p.key)));
      for (const p of higher) scorer.assume(p.usage, index);
      const why = helpful ? NO_VICTIMS : NOT_HELPFUL;
      failures[why] = (failures[why] ?? 0) + 1;
      continue;
    }
    // Reprieve: PDB-protected victims first, then the rest, each from the most important down.
    const protectedSet = budgets.violating(lower.map((p) => p.pod));
    const byImportance = (a: PlacedForPreemption, b: PlacedForPreemption) => b.priority - a.priority;
    const order = [...lower.filter((p) => protectedSet.has(p.pod)).sort(byImportance), ...lower.filter((p) => !protectedSet.has(p.pod)).sort(byImportance)];
    const victims: PlacedForPreemption[] = [];
    let violations = 0;
    for (const p of order) {
      scorer.assume(p.usage, index);
      removed.delete(p.key);
      if (fits(removed)) continue;
      scorer.forget(p.usage, index);
      removed.add(p.key);
      victims.push(p);
      if (protectedSet.has(p.pod)) violations++;
    }
    for (const p of victims) scorer.assume(p.usage, index);
    if (victims.length === 0) {
      // It fits without evicting anything (the cluster changed since the attempt): nothing to do here.
      failures[NO_VICTIMS] = (failures[NO_VICTIMS] ?? 0) + 1;
      continue;
    }
    candidates.push({ node, victims, violations });
  }
  if (!candidates.length) {
    const entries = Object.entries(failures).map(([r, n]) => `${n} ${r}`).sort();
    return { victims: [], message: `0/${input.nodes.length} nodes are available: ${entries.join(", ")}.` };
  }
  const best = candidates.reduce((a, b) => (better(b, a) ? b : a));
  return { node: best.node, victims: best.victims };
}

const maxPriority = (c: Candidate) => Math.max(...c.victims.map((v) => v.priority));
// Upstream adds MaxInt32+1 to each priority so that negative ones still sum as "more is worse".
const prioritySum = (c: Candidate) => c.victims.reduce((s, v) => s + v.priority + 2147483648, 0);

/** pickOneNodeForPreemption's order. */
function better(a: Candidate, b: Candidate): boolean {
  if (a.violations !== b.violations) return a.violations < b.violations;
  if (maxPriority(a) !== maxPriority(b)) return maxPriority(a) < maxPriority(b);
  if (prioritySum(a) !== prioritySum(b)) return prioritySum(a) < prioritySum(b);
  return a.victims.length < b.victims.length;
}
