// batch/v1 Job: types, defaulting (SetDefaults_Job plus the selector the job strategy generates
// from the uid) and `kubectl get jobs` columns (pkg/printers printJob, 1.32).
import { objOf } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type LabelSelector, selectorString } from "../selector.ts";
import { type Printer, age, column, wide } from "../table.ts";
import { humanDuration } from "../duration.ts";
import type { ConditionStatus, PodTemplateSpec } from "../core/pod.ts";
import { containerCells, defaultTemplate } from "../apps/deployment.ts";

export const LABEL_CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
export const LABEL_LEGACY_CONTROLLER_UID = "controller-uid";
export const LABEL_JOB_NAME = "batch.kubernetes.io/job-name";
export const LABEL_LEGACY_JOB_NAME = "job-name";
export const JOB_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
export const JOB_COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX";
export const JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";
/** Set on Jobs a CronJob creates: the time the run was scheduled for. */
export const CRONJOB_SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp";

export type JobConditionType = "Complete" | "Failed" | "Suspended" | "FailureTarget" | "SuccessCriteriaMet";

export interface PodFailurePolicyOnExitCodesRequirement {
  containerName?: string;
  operator: "In" | "NotIn";
  values: number[];
}

export interface PodFailurePolicyOnPodConditionsPattern {
  type: string;
  status?: ConditionStatus;
}

export interface PodFailurePolicyRule {
  action: "FailJob" | "Ignore" | "Count" | "FailIndex";
  onExitCodes?: PodFailurePolicyOnExitCodesRequirement;
  onPodConditions?: PodFailurePolicyOnPodConditionsPattern[];
}

export interface JobSpec {
  parallelism?: number;
  completions?: number;
  activeDeadlineSeconds?: number;
  podFailurePolicy?: { rules: PodFailurePolicyRule[] };
  backoffLimit?: number;
  selector?: LabelSelector;
  manualSelector?: boolean;
  template: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: "NonIndexed" | "Indexed";
  suspend?: boolean;
  podReplacementPolicy?: "TerminatingOrFailed" | "Failed";
}

export interface JobCondition {
  type: JobConditionType;
  status: ConditionStatus;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface UncountedTerminatedPods {
  succeeded?: string[];
  failed?: string[];
}

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  uncountedTerminatedPods?: UncountedTerminatedPods;
  ready?: number;
}

export interface Job extends KubeObject {
  apiVersion?: "batch/v1";
  kind?: "Job";
  spec?: JobSpec;
  status?: JobStatus;
}

export function defaultJob(job: Job): void {
  const spec = objOf(job.spec);
  if (!spec) return;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? "Failed" : "TerminatingOrFailed";
  for (const rule of (objOf(spec.podFailurePolicy)?.rules as unknown[] | undefined) ?? []) {
    for (const p of (objOf(rule)?.onPodConditions as unknown[] | undefined) ?? []) {
      const pattern = objOf(p);
      if (pattern) pattern.status ??= "True";
    }
  }
  generateSelector(job);
  // A Job's pods must say how they end: an unset restartPolicy is refused, not defaulted to Always.
  const podSpec = objOf(objOf(spec.template)?.spec);
  const restartPolicy = podSpec?.restartPolicy;
  defaultTemplate(spec.template);
  if (podSpec && restartPolicy === undefined) delete podSpec.restartPolicy;
}

/**
 * generateSelectorIfNeeded: unless manualSelector, the selector is the job's uid and the
 * template carries the uid and name labels (the legacy unprefixed ones too, as 1.27+ still do).
 */
function generateSelector(job: Job): void {
  const spec = job.spec as unknown as Record<string, unknown>;
  if (spec.manualSelector === true || !job.metadata?.uid) return;
  const template = objOf(spec.template);
  if (!template) return;
  const meta = (objOf(template.metadata) ?? {}) as Record<string, unknown>;
  template.metadata = meta;
  const labels = (objOf(meta.labels) ?? {}) as Record<string, string>;
  meta.labels = labels;
  const uid = job.metadata.uid;
  labels[LABEL_LEGACY_CONTROLLER_UID] ??= uid;
  labels[LABEL_CONTROLLER_UID] ??= uid;
  if (job.metadata.name) {
    labels[LABEL_LEGACY_JOB_NAME] ??= job.metadata.name;
    labels[LABEL_JOB_NAME] ??= job.metadata.name;
  }
  spec.selector ??= { matchLabels: { [LABEL_CONTROLLER_UID]: uid } };
}

export const jobCondition = (job: Job, type: JobConditionType): JobCondition | undefined =>
  job.status?.conditions?.find((c) => c.type === type && c.status === "True");

/** Complete or Failed: the job will run no more pods. */
export const isJobFinished = (job: Job): JobCondition | undefined => jobCondition(job, "Complete") ?? jobCondition(job, "Failed");

function jobStatusCell(job: Job): string {
  if (jobCondition(job, "Complete")) return "Complete";
  if (jobCondition(job, "Failed")) return "Failed";
  if (job.metadata.deletionTimestamp) return "Terminating";
  if (jobCondition(job, "Suspended")) return "Suspended";
  if (jobCondition(job, "FailureTarget")) return "FailureTarget";
  if (jobCondition(job, "SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

function completionsCell(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const spec = job.spec;
  if (spec?.completions !== undefined) return `${succeeded}/${spec.completions}`;
  if (spec?.parallelism !== undefined && spec.parallelism > 1) return `${succeeded}/1 of ${spec.parallelism}`;
  return `${succeeded}/1`;
}

function durationCell(job: Job, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return "";
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(start));
}

export const jobPrinter: Printer<Job> = {
  columns: [
    column("Name"),
    column("Status", "Status of the job."),
    column("Completions", "The completion status of the job as a string (succeeded/total)"),
    column("Duration", "Time required to complete the job."),
    column("Age"),
    wide("Containers", "Names of each container in the template."),
    wide("Images", "Images referenced by each container in the template."),
    wide("Selector", "Selector for the pods of this job."),
  ],
  cells: (job, now) => [
    job.metadata.name ?? "",
    jobStatusCell(job),
    completionsCell(job),
    durationCell(job, now),
    age(job, now),
    ...containerCells(job.spec?.template),
    selectorString(job.spec?.selector),
  ],
};
