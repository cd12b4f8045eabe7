// Levels and their evaluation: a level's checks are its own plus every lower level's, minus
// those its checks override, run in check-ID order so messages list violations as upstream does.
import { baselineChecks } from "./baseline.ts";
import { restrictedChecks } from "./restricted.ts";
import type { Check, CheckedMetadata, CheckedPodSpec, Violation } from "./types.ts";

export const LEVELS = ["privileged", "baseline", "restricted"] as const;
export type Level = (typeof LEVELS)[number];

const byId = (a: Check, b: Check) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function checksFor(level: Level): Check[] {
  if (level === "privileged") return [];
  const all = level === "baseline" ? baselineChecks : [...baselineChecks, ...restrictedChecks];
  const overridden = new Set(all.flatMap((c) => c.overrides ?? []));
  return all.filter((c) => !overridden.has(c.id)).sort(byId);
}

const CHECKS: Record<Level, Check[]> = { privileged: [], baseline: checksFor("baseline"), restricted: checksFor("restricted") };

/** The violations of a pod (or template) against `level`, in upstream's order. */
export function evaluatePod(level: Level, meta: CheckedMetadata, spec: CheckedPodSpec | undefined): Violation[] {
  const s = spec && typeof spec === "object" ? spec : {};
  return CHECKS[level].map((c) => c.check(meta ?? {}, s)).filter((v) => v !== undefined);
}

/** "reason (detail), reason (detail)": the list in upstream's forbidden and warning texts. */
export const violationList = (vs: readonly Violation[]) => vs.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(", ");
