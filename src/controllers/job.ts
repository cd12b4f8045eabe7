// The job controller (pkg/controller/job): runs a Job's pods to completion. sync(key) claims the
// job's pods, records newly finished pods in status.uncountedTerminatedPods before removing
// their batch.kubernetes.io/job-tracking finalizer (so a restart mid-way never loses or
// double-counts a result), then counts them, decides whether the job is ending (pod failure
// policy, backoffLimit, activeDeadlineSeconds, completions), and creates or deletes pods:
// after failures only once the exponential back-off has passed.
import { isNotFound } from "../apis/errors.ts";
import { JOB_TRACKING_FINALIZER, isJobFinished, type Job, type JobStatus } from "../apis/batch/job.ts";
import type { Pod } from "../apis/core/pod.ts";
import { isPodReady } from "../apis/core/pod.ts";
import { selectorMatches } from "../apis/selector.ts";
import type { KubeClient, Lister } from "../client/index.ts";
import { objectKey, resourceFor } from "../client/index.ts";
import type { ControllerContext, EventRecorder, Running } from "../client/index.ts";
import { claimObjects, controllerRef, kubeOwnerPatcher, newControllerRef, ownerKeyOf, runController, type OwnerPatcher } from "./controller-utils.ts";
import { Expectations } from "./expectations.ts";
import {
  type BackoffRecord,
  DEFAULT_JOB_BACKOFF_MS,
  finishTime,
  classifyFinishedPods,
  formatIndexes,
  hasTrackingFinalizer,
  indexedTemplate,
  isPodFinished,
  isPodTerminated,
  MAX_JOB_BACKOFF_MS,
  parseIndexes,
  podIndex,
  remainingBackoff,
  strayIndexedPods,
  trackedTemplate,
} from "./job-pods.ts";
import {
  BACKOFF_LIMIT_EXCEEDED,
  COMPLETIONS_REACHED,
  completionsReached,
  conditionTrue,
  DEADLINE_EXCEEDED,
  deadlineRemaining,
  type Ending,
  endingOf,
  formatTime,
  normalizeJobStatus,
  sameJobStatus,
  setCondition,
  wantActive,
} from "./job-status.ts";
import { kubePodControl, type PodControl } from "./pod-control.ts";
import { podsToDelete } from "./replicaset-status.ts";
import { WorkQueue } from "../client/index.ts";

const PODS = resourceFor("Pod");

/** The writes the controller makes besides creating and deleting pods. */
export interface JobWriter {
  /** Replaces the job's status, conditional on its resourceVersion; resolves with the stored job. */
  writeStatus(job: Job, status: JobStatus): Promise<Job>;
  /** Removes the tracking finalizer from a pod (a pod already gone counts as done). */
  removeFinalizer(pod: Pod): Promise<void>;
}

export interface JobControllerDeps {
  jobs: Lister<Job>;
  pods: Lister<Pod>;
  podControl: PodControl;
  owners: OwnerPatcher;
  writer: JobWriter;
  recorder: EventRecorder;
  now: () => Date;
  /** Back-off after the first failure (kube: 10 s), doubling per failure up to backoffMaxMs (6 min). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class JobController {
  readonly queue = new WorkQueue<string>();
  readonly expectations: Expectations;
  private readonly backoff = new Map<string, BackoffRecord>();
  /** The resourceVersion of our last status write per job: an older cached job is stale. */
  private readonly written = new Map<string, number>();

  constructor(private readonly deps: JobControllerDeps) {
    this.expectations = new Expectations(() => deps.now().getTime());
  }

  async sync(key: string): Promise<void> {
    let job = this.deps.jobs.getByKey(key);
    if (!job) {
      this.expectations.delete(key);
      this.backoff.delete(key);
      this.written.delete(key);
      return;
    }
    // Our own status write has not reached the cache yet; its watch event brings the job back.
    if (Number(job.metadata.resourceVersion) < (this.written.get(key) ?? 0)) return;
    const ns = job.metadata.namespace!;
    const ref = newControllerRef(job, "batch/v1", "Job");
    const pods = isJobFinished(job)
      ? this.deps.pods.list(ns).filter((p) => controllerRef(p)?.uid === job!.metadata.uid)
      : await claimObjects(PODS, job, ref, job.spec?.selector, this.deps.pods.list(ns), this.deps.owners);
    job = await this.trackFinishedPods(key, job, pods);
    if (isJobFinished(job)) return;
    await this.reconcile(key, job, pods);
  }

  /**
   * Counts pods that finished since the last sync: first into uncountedTerminatedPods (written),
   * then their finalizers go, then into succeeded/failed. Returns the job as last written.
   */
  private async trackFinishedPods(key: string, job: Job, pods: Pod[]): Promise<Job> {
    const status: JobStatus = structuredClone(job.status ?? {});
    const { uncounted, completed, release, newFailures, newSuccess, failJob } = classifyFinishedPods(job, pods);
    const indexed = job.spec?.completionMode === "Indexed";
    if (failJob && !endingOf(status)) setCondition(status, "FailureTarget", "True", failJob.reason, failJob.message, this.deps.now());
    if (indexed) status.completedIndexes = formatIndexes(completed);
    status.uncountedTerminatedPods = { succeeded: [...uncounted.succeeded], failed: [...uncounted.failed] };
    if (!sameJobStatus(job.status, status)) job = await this.writeStatus(key, job, status);
    this.recordBackoff(key, newSuccess, newFailures);

    const results = await Promise.allSettled(release.map((p) => this.deps.writer.removeFinalizer(p)));
    const released = new Set(release.filter((_, i) => results[i]!.status === "fulfilled").map((p) => p.metadata.uid!));
    // Uncounted pods whose finalizer is gone (now, or before a restart) or that no longer exist are counted.
    const present = new Map(pods.map((p) => [p.metadata.uid!, p]));
    const gone = (uid: string) => released.has(uid) || !present.has(uid) || !hasTrackingFinalizer(present.get(uid)!);
    const next: JobStatus = structuredClone(job.status ?? {});
    const counted = { succeeded: [...uncounted.succeeded].filter(gone), failed: [...uncounted.failed].filter(gone) };
    next.succeeded = (next.succeeded ?? 0) + counted.succeeded.length;
    next.failed = (next.failed ?? 0) + counted.failed.length;
    next.uncountedTerminatedPods = {
      succeeded: [...uncounted.succeeded].filter((u) => !gone(u)),
      failed: [...uncounted.failed].filter((u) => !gone(u)),
    };
    if (!sameJobStatus(job.status, next)) job = await this.writeStatus(key, job, next);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    return job;
  }

  private recordBackoff(key: string, success: boolean, failures: Pod[]): void {
    const now = this.deps.now();
    const record = this.backoff.get(key) ?? { failuresAfterLastSuccess: 0 };
    if (success) record.failuresAfterLastSuccess = 0;
    for (const pod of failures) {
      record.failuresAfterLastSuccess++;
      record.lastFailureTime = Math.max(record.lastFailureTime ?? 0, finishTime(pod, now));
    }
    this.backoff.set(key, record);
  }

  /** Decides the job's state from its counted pods, and starts or stops pods to match. */
  private async reconcile(key: string, job: Job, pods: Pod[]): Promise<void> {
    const now = this.deps.now();
    const spec = job.spec!;
    const status: JobStatus = structuredClone(job.status ?? {});
    const unfinished = pods.filter((p) => !isPodFinished(p) && !isPodTerminated(p));
    const active = unfinished.filter((p) => !p.metadata.deletionTimestamp);
    const terminating = unfinished.length - active.length;
    const succeeded = status.succeeded ?? 0;
    const failed = status.failed ?? 0;
    const completed = parseIndexes(status.completedIndexes);
    const pendingUncounted = (status.uncountedTerminatedPods?.succeeded?.length ?? 0) + (status.uncountedTerminatedPods?.failed?.length ?? 0);

    let ending = endingOf(status);
    let requeueMs: number | undefined;
    if (!ending && !spec.suspend) {
      if (conditionTrue(status, "Suspended")) {
        // Resuming restarts the activeDeadlineSeconds clock.
        setCondition(status, "Suspended", "False", "JobResumed", "Job resumed", now);
        status.startTime = formatTime(now);
        this.deps.recorder.event(job, "Normal", "Resumed", "Job resumed");
      }
      status.startTime ??= formatTime(now);
      // pastBackoffLimitOnFailure: with OnFailure the node restarts containers in place; their restarts count.
      const limit = spec.backoffLimit ?? 6;
      const restarts = spec.template.spec?.restartPolicy === "OnFailure" ? active.reduce((n, p) => n + podRestarts(p), 0) : 0;
      const pastOnFailure = restarts > 0 && restarts >= limit;
      const remaining = deadlineRemaining(job, status.startTime, now);
      if (failed > limit || pastOnFailure) ending = BACKOFF_LIMIT_EXCEEDED;
      else if (remaining !== undefined && remaining <= 0) ending = DEADLINE_EXCEEDED;
      else if (completionsReached(job, succeeded, completed.size, active.length)) ending = COMPLETIONS_REACHED;
      else if (remaining !== undefined) requeueMs = remaining;
      if (ending) setCondition(status, ending.success ? "SuccessCriteriaMet" : "FailureTarget", "True", ending.reason, ending.message, now);
    }

    let toDelete: Pod[] = [];
    let created = 0;
    if (ending) {
      toDelete = active;
      // Complete or Failed only once no pod of the job runs and every result is counted.
      if (unfinished.length === 0 && pendingUncounted === 0) this.finish(job, status, ending, now);
    } else if (spec.suspend) {
      toDelete = active;
      if (setCondition(status, "Suspended", "True", "JobSuspended", "Job suspended", now)) this.deps.recorder.event(job, "Normal", "Suspended", "Job suspended");
    } else {
      if (spec.activeDeadlineSeconds !== undefined && requeueMs === undefined) requeueMs = spec.activeDeadlineSeconds * 1000;
      // With podReplacementPolicy Failed a replacement waits for the terminating pod to be gone.
      const inUse = spec.podReplacementPolicy === "Failed" ? unfinished.length : active.length;
      const indexesInUse = new Set([...completed, ...active.map(podIndex).filter((i) => i !== undefined)]);
      const pending = Array.from({ length: spec.completions ?? 0 }, (_, i) => i).filter((i) => !indexesInUse.has(i));
      const want = wantActive(job, succeeded, spec.completionMode === "Indexed" ? pending.length + active.length : 0);
      const stray = spec.completionMode === "Indexed" ? strayIndexedPods(active, completed, spec.completions ?? 0) : [];
      if (stray.length) toDelete = stray;
      else if (active.length > want) toDelete = podsToDelete(active, active.length - want);
      else if (want > inUse && this.expectations.satisfied(key)) {
        const wait = remainingBackoff(this.backoff.get(key), now.getTime(), this.deps.backoffBaseMs ?? DEFAULT_JOB_BACKOFF_MS, this.deps.backoffMaxMs ?? MAX_JOB_BACKOFF_MS);
        if (wait > 0) requeueMs = Math.min(requeueMs ?? Infinity, wait);
        else created = await this.createPods(key, job, want - inUse, pending);
      }
    }
    if (toDelete.length && this.expectations.satisfied(key)) await this.deletePods(key, job, toDelete);

    status.active = active.length - toDelete.length + created;
    status.ready = active.filter((p) => isPodReady(p) && !toDelete.includes(p)).length;
    status.terminating = terminating + toDelete.length;
    if (!sameJobStatus(job.status, status)) await this.writeStatus(key, job, status);
    if (requeueMs !== undefined) this.queue.addAfter(key, Math.max(requeueMs, 0) + 1);
  }

  private finish(job: Job, status: JobStatus, ending: Ending, now: Date): void {
    setCondition(status, ending.success ? "Complete" : "Failed", "True", ending.reason, ending.message, now);
    if (ending.success) status.completionTime = formatTime(now);
    if (ending.success) this.deps.recorder.event(job, "Normal", "Completed", "Job completed");
    else this.deps.recorder.event(job, "Warning", ending.reason, ending.message);
  }

  /** Resolves with the number created; throws (after the others finished) if any create failed. */
  private async createPods(key: string, job: Job, count: number, pendingIndexes: number[]): Promise<number> {
    const indexed = job.spec!.completionMode === "Indexed";
    const n = indexed ? Math.min(count, pendingIndexes.length) : count;
    if (n <= 0) return 0;
    this.expectations.expectCreations(key, n);
    const ref = newControllerRef(job, "batch/v1", "Job");
    const template = trackedTemplate(job.spec!.template);
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => {
        const ix = pendingIndexes[i]!;
        const t = indexed ? indexedTemplate(job, template, ix) : template;
        const name = indexed ? `${job.metadata.name}-${ix}-` : `${job.metadata.name}-`;
        return this.deps.podControl.createPod(job.metadata.namespace!, t, job, ref, name);
      }),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length) {
      this.expectations.lowerCreations(key, failed.length);
      throw failed[0]!.reason;
    }
    return n;
  }

  private async deletePods(key: string, job: Job, pods: Pod[]): Promise<void> {
    this.expectations.expectDeletions(key, pods.map((p) => objectKey(p.metadata)));
    const results = await Promise.allSettled(
      pods.map((p) =>
        this.deps.podControl.deletePod(job.metadata.namespace!, p.metadata.name!, job).catch((err) => {
          this.expectations.deletionObserved(key, objectKey(p.metadata));
          throw err;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  private async writeStatus(key: string, job: Job, status: JobStatus): Promise<Job> {
    const stored = await this.deps.writer.writeStatus(job, normalizeJobStatus(status));
    this.written.set(key, Number(stored.metadata.resourceVersion));
    return stored;
  }

  /** The job (uid-checked) that controls a pod, as a queue key. */
  jobKeyOf(pod: Pod): string | undefined {
    return ownerKeyOf(pod, "Job", this.deps.jobs);
  }

  /** Orphans with a matching selector may be adopted. */
  matchingJobKeys(pod: Pod): string[] {
    return this.deps.jobs
      .list(pod.metadata.namespace)
      .filter((j) => !isJobFinished(j) && selectorMatches(j.spec?.selector, pod.metadata.labels))
      .map((j) => objectKey(j.metadata));
  }
}

function podRestarts(pod: Pod): number {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

export function kubeJobWriter(client: KubeClient): JobWriter {
  return {
    async writeStatus(job, status) {
      // Conditional on the resourceVersion we decided on: a stale cache gets a 409 and a retry.
      return client.updateStatus(resourceFor("Job"), { ...job, status });
    },
    async removeFinalizer(pod) {
      const i = pod.metadata.finalizers?.indexOf(JOB_TRACKING_FINALIZER) ?? -1;
      if (i < 0) return;
      const path = `/metadata/finalizers/${i}`;
      try {
        await client.patch(PODS, pod.metadata.namespace, pod.metadata.name!, [{ op: "test", path, value: JOB_TRACKING_FINALIZER }, { op: "remove", path }], "json");
      } catch (err) {
        if (isNotFound(err)) return;
        // The list moved under us (422 from the failed test): remove by a fresh read next time.
        throw err;
      }
    },
  };
}

export interface JobControllerOptions {
  workers?: number;
  /** Shortens the failure back-off (tests); kube's is 10 s doubling up to 6 min. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** Wires the controller to the shared informers; a pod with the finalizer and no job loses it (orphans). */
export function startJobController(ctx: ControllerContext, opts: JobControllerOptions = {}): Running {
  const jobInformer = ctx.informers.informerFor<Job>("Job");
  const podInformer = ctx.informers.informerFor<Pod>("Pod");
  const writer = kubeJobWriter(ctx.client);
  const c = new JobController({
    jobs: jobInformer.lister,
    pods: podInformer.lister,
    podControl: kubePodControl(ctx.client, ctx.recorder("job-controller")),
    owners: kubeOwnerPatcher(ctx.client),
    writer,
    recorder: ctx.recorder("job-controller"),
    now: ctx.now,
    backoffBaseMs: opts.backoffBaseMs,
    backoffMaxMs: opts.backoffMaxMs,
  });
  const orphans = new WorkQueue<string>();
  const podChanged = (pod: Pod, old?: Pod) => {
    const key = c.jobKeyOf(pod);
    if (pod.metadata.deletionTimestamp && key) c.expectations.deletionObserved(key, objectKey(pod.metadata));
    else if (!old && key) c.expectations.creationObserved(key);
    if (key) c.queue.add(key);
    else if (!controllerRef(pod)) c.matchingJobKeys(pod).forEach((k) => c.queue.add(k));
    if (!key && hasTrackingFinalizer(pod)) orphans.add(objectKey(pod.metadata));
    const oldKey = old && c.jobKeyOf(old);
    if (oldKey && oldKey !== key) c.queue.add(oldKey);
  };
  const removers = [
    jobInformer.addEventHandler({
      onAdd: (job) => c.queue.add(objectKey(job.metadata)),
      onUpdate: (_old, job) => c.queue.add(objectKey(job.metadata)),
      onDelete: (job) => {
        c.queue.add(objectKey(job.metadata));
        for (const pod of podInformer.lister.list(job.metadata.namespace)) {
          if (controllerRef(pod)?.uid === job.metadata.uid && hasTrackingFinalizer(pod)) orphans.add(objectKey(pod.metadata));
        }
      },
    }),
    podInformer.addEventHandler({
      onAdd: (pod) => podChanged(pod),
      onUpdate: (old, pod) => podChanged(pod, old),
      onDelete: (pod) => {
        const key = c.jobKeyOf(pod);
        if (!key) return;
        c.expectations.deletionObserved(key, objectKey(pod.metadata));
        c.queue.add(key);
      },
    }),
  ];
  const releaseOrphan = async (key: string) => {
    const pod = podInformer.lister.getByKey(key);
    if (pod && hasTrackingFinalizer(pod) && !c.jobKeyOf(pod)) await writer.removeFinalizer(pod);
  };
  const main = runController(ctx.informers, c.queue, opts.workers ?? 5, (key) => c.sync(key), removers);
  const orphanWorkers = runController(ctx.informers, orphans, 1, releaseOrphan, []);
  return { stop: () => Promise.all([main.stop(), orphanWorkers.stop()]).then(() => undefined) };
}
