// The scheduler's command-line options, shared by `kubun server` (in-process scheduler) and
// `kubun scheduler`: the scoring profile, the score plugins' weights and how ties are broken.
//   --scoring binpack|spread   --score-weights fit=1,balanced=1,nodeAffinity=2,taintToleration=3
//   --tie-break first|random   --seed N (for random tie-breaks, to repeat a run)
import { DEFAULT_WEIGHTS, type ScoreWeights, type ScorerOptions } from "./types.ts";

export const SCHEDULER_FLAGS = {
  scoring: { type: "string" },
  "score-weights": { type: "string" },
  "tie-break": { type: "string" },
  seed: { type: "string" },
} as const;

export const SCHEDULER_USAGE = "[--scoring binpack|spread] [--score-weights fit=1,balanced=1,nodeAffinity=2,taintToleration=3] [--tie-break first|random] [--seed N]";

type FlagValues = { [K in keyof typeof SCHEDULER_FLAGS]?: string };

/** Scorer options from the flags; an Error naming the flag for a value that is not one. */
export function schedulerOptionsFromFlags(values: FlagValues): ScorerOptions {
  const opts: ScorerOptions = {};
  if (values.scoring !== undefined) {
    if (values.scoring !== "binpack" && values.scoring !== "spread") throw new Error(`--scoring is binpack or spread, got ${values.scoring}`);
    opts.scoring = values.scoring;
  }
  if (values["score-weights"] !== undefined) opts.weights = parseWeights(values["score-weights"]);
  if (values["tie-break"] !== undefined) {
    if (values["tie-break"] !== "first" && values["tie-break"] !== "random") throw new Error(`--tie-break is first or random, got ${values["tie-break"]}`);
    opts.tieBreak = values["tie-break"];
  }
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 1 || seed > 0xffffffff) throw new Error(`--seed is an integer 1..4294967295, got ${values.seed}`);
    opts.seed = seed;
  }
  return opts;
}

/** "fit=1,nodeAffinity=5": the weights named (the rest keep kube-scheduler's defaults). */
function parseWeights(text: string): Partial<ScoreWeights> {
  const weights: Partial<ScoreWeights> = {};
  for (const part of text.split(",")) {
    const [name, value, extra] = part.trim().split("=");
    if (!name || !Object.hasOwn(DEFAULT_WEIGHTS, name) || extra !== undefined) {
      throw new Error(`--score-weights takes name=weight pairs with names ${Object.keys(DEFAULT_WEIGHTS).join(", ")}; got "${part}"`);
    }
    const w = Number(value);
    if (value === undefined || value.trim() === "" || !Number.isInteger(w) || w < 0 || w > 100) {
      throw new Error(`--score-weights: the weight of ${name} is an integer 0..100, got "${value ?? ""}"`);
    }
    weights[name as keyof ScoreWeights] = w;
  }
  return weights;
}
