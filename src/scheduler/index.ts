// The scheduler core: one Scorer interface, two implementations (wasm and the plain-TS reference),
// plus the conversions from Kubernetes objects and the kube-scheduler style failure message.
export type {
  Allocatable, Decision, HostPort, NodeInfo, NodeSelectorRequirement, NodeSelectorTerm, PodQuery, PodUsage,
  PreferredSchedulingTerm, Rejections, Resources, ScoreWeights, Scorer, ScorerOptions, Taint, TaintEffect, Toleration,
} from "./types.ts";
export { DEFAULT_WEIGHTS, resolveOptions } from "./types.ts";
export { createTsScorer } from "./ts-scorer.ts";
export { createWasmScorer, type WasmScorerOptions } from "./wasm-scorer.ts";
export { SCHEDULER_WASM } from "./wasm-loader.ts";
export { nodeInfoFrom, podQueryFrom } from "./convert.ts";
export { type PodCondition, unschedulableCondition, unschedulableMessage } from "./reasons.ts";
export { startScheduler, type SchedulerOptions, type RunningScheduler, type SchedulerStats } from "./scheduler.ts";
export { runSchedulerCommand } from "./command.ts";
export { SchedulingQueue } from "./queue.ts";
export { SchedulerCache } from "./cache.ts";
