// What the job controller knows about its pods (pkg/controller/job: utils, indexed_job_utils,
// pod_failure_policy, backoff_utils): the pod a job creates for an index, which pods finished
// and how, the pod failure policy's verdict, completedIndexes as interval strings, and the
// exponential back-off after failures.
import {
  isJobFinished,
  JOB_COMPLETION_INDEX,
  JOB_COMPLETION_INDEX_ENV,
  JOB_TRACKING_FINALIZER,
  type Job,
  type PodFailurePolicyRule,
} from "../apis/batch/job.ts";
import type { Pod, PodTemplateSpec } from "../apis/core/pod.ts";
import { compareStrings } from "../apis/compare.ts";

export const hasTrackingFinalizer = (pod: Pod): boolean => pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;

export const isPodFinished = (pod: Pod): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** The node stopped a deleted pod's containers (the agent's grace-0 confirmation). */
export const isPodTerminated = (pod: Pod): boolean => !!pod.metadata.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds === 0;

/**
 * isPodFailed: phase Failed; or a pod deleted before it succeeded, once its node stopped it (as
 * kubelet would report Failed) or — when replacements may start before the old pod is gone —
 * as soon as it is deleted. Pods a suspended job deleted are not failures.
 */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === "Failed") return true;
  if (pod.status?.phase === "Succeeded" || !pod.metadata.deletionTimestamp || job.spec?.suspend) return false;
  if (isPodTerminated(pod)) return true;
  return !job.spec?.podFailurePolicy && job.spec?.podReplacementPolicy !== "Failed";
}

/** The completion index of an Indexed job's pod, from its annotation (label as fallback). */
export function podIndex(pod: Pod): number | undefined {
  const v = pod.metadata.annotations?.[JOB_COMPLETION_INDEX] ?? pod.metadata.labels?.[JOB_COMPLETION_INDEX];
  if (v === undefined || !/^(0|[1-9][0-9]*)$/.test(v)) return undefined;
  return Number(v);
}

/**
 * An Indexed job's running pods that must go: no valid index, an index out of range or already
 * completed, or a second pod of one index (the older one stays).
 */
export function strayIndexedPods(active: Pod[], completed: Set<number>, completions: number): Pod[] {
  const seen = new Set<number>();
  const stray: Pod[] = [];
  const oldestFirst = [...active].sort((a, b) => compareStrings(a.metadata.creationTimestamp ?? "", b.metadata.creationTimestamp ?? ""));
  for (const pod of oldestFirst) {
    const ix = podIndex(pod);
    if (ix === undefined || ix >= completions || completed.has(ix) || seen.has(ix)) stray.push(pod);
    else seen.add(ix);
  }
  return stray;
}

/** The template of an Indexed job's pod: the index as annotation, label, env var and hostname. */
export function indexedTemplate(job: Job, template: PodTemplateSpec, index: number): PodTemplateSpec {
  const t = structuredClone(template);
  const meta = (t.metadata ??= {});
  meta.annotations = { ...meta.annotations, [JOB_COMPLETION_INDEX]: String(index) };
  meta.labels = { ...meta.labels, [JOB_COMPLETION_INDEX]: String(index) };
  const spec = t.spec!;
  spec.hostname ||= `${job.metadata.name}-${index}`;
  const env = { name: JOB_COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } };
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) c.env = [...(c.env ?? []).filter((e) => e.name !== JOB_COMPLETION_INDEX_ENV), env];
  return t;
}

/** Any job pod: the template plus the tracking finalizer that keeps it until it is counted. */
export function trackedTemplate(template: PodTemplateSpec): PodTemplateSpec {
  const t = structuredClone(template);
  const meta = (t.metadata ??= {});
  meta.finalizers = [...(meta.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER];
  return t;
}

/** When the pod finished: its last container's finishedAt, else its deletion, else `now`. */
export function finishTime(pod: Pod, now: Date): number {
  let latest = 0;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const at = s.state?.terminated?.finishedAt;
    if (at) latest = Math.max(latest, Date.parse(at));
  }
  if (latest) return latest;
  return pod.metadata.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : now.getTime();
}

export interface FailurePolicyVerdict {
  action: "FailJob" | "Ignore" | "Count";
  message?: string;
}

function matchExitCodes(pod: Pod, rule: PodFailurePolicyRule): string | undefined {
  const req = rule.onExitCodes!;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    if (req.containerName && s.name !== req.containerName) continue;
    const code = s.state?.terminated?.exitCode;
    // Only containers that failed count; a 0 exit code never matches.
    if (code === undefined || code === 0) continue;
    const inValues = req.values.includes(code);
    if (req.operator === "In" ? inValues : !inValues) return `Container ${s.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${code}`;
  }
  return undefined;
}

function matchConditions(pod: Pod, rule: PodFailurePolicyRule): string | undefined {
  for (const pattern of rule.onPodConditions ?? []) {
    const c = pod.status?.conditions?.find((x) => x.type === pattern.type);
    if (c && c.status === (pattern.status ?? "True")) return `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${pattern.type}`;
  }
  return undefined;
}

/** matchPodFailurePolicy: the first rule that matches a failed pod decides; none: Count. */
export function matchPodFailurePolicy(job: Job, pod: Pod): FailurePolicyVerdict {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  for (const [i, rule] of rules.entries()) {
    const what = rule.onExitCodes ? matchExitCodes(pod, rule) : matchConditions(pod, rule);
    if (!what) continue;
    const action = rule.action === "FailIndex" ? "Count" : rule.action;
    return { action, message: `${what} matching ${rule.action} rule at index ${i}` };
  }
  return { action: "Count" };
}

/** "1,3-5,7" → [1,3,4,5,7]; garbage is skipped (the controller rewrites the field). */
export function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? "").split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

/** The compressed interval form Kubernetes writes: "0,2-4". */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** kube's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const DEFAULT_JOB_BACKOFF_MS = 10_000;
export const MAX_JOB_BACKOFF_MS = 360_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** How long until the next pod may start: base·2^(failures−1) after the last failure, capped. */
export function remainingBackoff(record: BackoffRecord | undefined, now: number, baseMs = DEFAULT_JOB_BACKOFF_MS, maxMs = MAX_JOB_BACKOFF_MS): number {
  if (!record || record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  const delay = Math.min(baseMs * 2 ** (record.failuresAfterLastSuccess - 1), maxMs);
  return Math.max(0, record.lastFailureTime + delay - now);
}

export interface FinishedPods {
  /** status.uncountedTerminatedPods after this sync: recorded before any finalizer goes. */
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  completed: Set<number>;
  /** Pods whose tracking finalizer may go once `uncounted` is written. */
  release: Pod[];
  newFailures: Pod[];
  newSuccess: boolean;
  /** A FailJob rule of the pod failure policy matched. */
  failJob?: { success: false; reason: string; message: string };
}

/**
 * Which pods finished since the last sync (they still carry the finalizer and are not yet
 * uncounted) and how each counts: a success (an Indexed job's only if its index is new), a
 * failure the pod failure policy counts, ignores or turns into failing the job, or nothing (a
 * suspended job's deleted pod).
 */
export function classifyFinishedPods(job: Job, pods: Pod[]): FinishedPods {
  const status = job.status ?? {};
  const uncounted = { succeeded: new Set(status.uncountedTerminatedPods?.succeeded), failed: new Set(status.uncountedTerminatedPods?.failed) };
  const indexed = job.spec?.completionMode === "Indexed";
  const completed = parseIndexes(status.completedIndexes);
  const out: FinishedPods = { uncounted, completed, release: [], newFailures: [], newSuccess: false };
  for (const pod of pods) {
    const uid = pod.metadata.uid!;
    if (!hasTrackingFinalizer(pod) || uncounted.succeeded.has(uid) || uncounted.failed.has(uid)) continue;
    if (pod.status?.phase === "Succeeded") {
      const ix = podIndex(pod);
      // A second success of an index already done is not counted again.
      if (!indexed || (ix !== undefined && ix < (job.spec?.completions ?? 0) && !completed.has(ix))) {
        uncounted.succeeded.add(uid);
        if (indexed) completed.add(ix!);
        out.newSuccess = true;
      }
      out.release.push(pod);
    } else if (isPodFailed(pod, job)) {
      const verdict = matchPodFailurePolicy(job, pod);
      if (verdict.action !== "Ignore") {
        uncounted.failed.add(uid);
        out.newFailures.push(pod);
      }
      if (verdict.action === "FailJob" && !out.failJob) out.failJob = { success: false, reason: "PodFailurePolicy", message: verdict.message! };
      out.release.push(pod);
    } else if (pod.metadata.deletionTimestamp && (job.spec?.suspend || isJobFinished(job) || isPodTerminated(pod))) {
      // Deleted and not a failure (a suspended job's pod): nothing to count, let it go.
      out.release.push(pod);
    }
  }
  return out;
}

