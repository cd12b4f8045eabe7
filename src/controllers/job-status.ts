// The pure half of the job controller: job conditions as Kubernetes 1.32 writes them (the
// interim FailureTarget / SuccessCriteriaMet first, Failed / Complete once no pod runs), when a
// job's work is done, how many pods it wants running, and the deadline clock.
import type { Job, JobCondition, JobConditionType, JobStatus } from "../apis/batch/job.ts";

import { formatTime } from "../apis/time.ts";

export { formatTime };

/** A copy of the conditions with `type` set; an unchanged status keeps its transition time. */
export function setCondition(status: JobStatus, type: JobConditionType, cstatus: "True" | "False", reason: string, message: string, now: Date): boolean {
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === type);
  if (existing && existing.status === cstatus && existing.reason === reason && existing.message === message) return false;
  const at = formatTime(now);
  const next: JobCondition = { type, status: cstatus, lastProbeTime: at, lastTransitionTime: existing?.status === cstatus ? existing.lastTransitionTime ?? at : at, reason, message };
  if (existing) Object.assign(existing, next);
  else conditions.push(next);
  return true;
}

export const conditionTrue = (status: JobStatus | undefined, type: JobConditionType): JobCondition | undefined =>
  status?.conditions?.find((c) => c.type === type && c.status === "True");

/** Why and how the job is ending, once decided: carried from the interim to the final condition. */
export interface Ending {
  success: boolean;
  reason: string;
  message: string;
}

export function endingOf(status: JobStatus | undefined): Ending | undefined {
  const failure = conditionTrue(status, "FailureTarget") ?? conditionTrue(status, "Failed");
  if (failure) return { success: false, reason: failure.reason ?? "", message: failure.message ?? "" };
  const success = conditionTrue(status, "SuccessCriteriaMet") ?? conditionTrue(status, "Complete");
  if (success) return { success: true, reason: success.reason ?? "CompletionsReached", message: success.message ?? "" };
  return undefined;
}

export const COMPLETIONS_REACHED: Ending = { success: true, reason: "CompletionsReached", message: "Reached expected number of succeeded pods" };
export const BACKOFF_LIMIT_EXCEEDED: Ending = { success: false, reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
export const DEADLINE_EXCEEDED: Ending = { success: false, reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };

/** The job did all its work: every index, every completion, or (no completions) one success and nothing running. */
export function completionsReached(job: Job, succeeded: number, completedIndexes: number, active: number): boolean {
  const completions = job.spec?.completions;
  if (job.spec?.completionMode === "Indexed") return completedIndexes >= (completions ?? 0);
  if (completions === undefined || completions === null) return succeeded > 0 && active === 0;
  return succeeded >= completions;
}

/** Pods the job wants running now (NonIndexed: capped by what is left to complete). */
export function wantActive(job: Job, succeeded: number, pendingIndexes: number): number {
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = job.spec?.completions;
  if (job.spec?.completionMode === "Indexed") return Math.min(parallelism, pendingIndexes);
  if (completions === undefined || completions === null) return succeeded > 0 ? 0 : parallelism;
  return Math.max(0, Math.min(parallelism, completions - succeeded));
}

/** Milliseconds until activeDeadlineSeconds runs out (≤ 0: past it); undefined without a deadline. */
export function deadlineRemaining(job: Job, startTime: string | undefined, now: Date): number | undefined {
  const deadline = job.spec?.activeDeadlineSeconds;
  if (deadline === undefined || deadline === null || !startTime) return undefined;
  return Date.parse(startTime) + deadline * 1000 - now.getTime();
}

/**
 * The status as Kubernetes serialises it: active/succeeded/failed are omitempty ints, the
 * uncounted lists omitempty (ready and terminating are pointers and stay, zero or not).
 */
export function normalizeJobStatus(status: JobStatus): JobStatus {
  const s: JobStatus = JSON.parse(JSON.stringify(status));
  for (const f of ["active", "succeeded", "failed"] as const) if (!s[f]) delete s[f];
  const u = s.uncountedTerminatedPods;
  if (u) {
    if (!u.succeeded?.length) delete u.succeeded;
    if (!u.failed?.length) delete u.failed;
  }
  return s;
}

/** Whether a write would change anything. */
export function sameJobStatus(a: JobStatus | undefined, b: JobStatus): boolean {
  return Bun.deepEquals(normalizeJobStatus(a ?? {}), normalizeJobStatus(b));
}
