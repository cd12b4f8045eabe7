// The cronjob controller (pkg/controller/cronjob, the v2 controller): sync(key) reconciles
// status.active with the jobs the cronjob owns, starts the job for the most recent scheduled
// time that has not run (honouring suspend, startingDeadlineSeconds and concurrencyPolicy),
// trims the finished jobs past the history limits, and asks the queue to wake it at the next
// scheduled time. The clock is injected, so tests walk through a day of schedules instantly.
import { isAlreadyExists, isConflict, isNotFound } from "../apis/errors.ts";
import type { CronJob, CronJobStatus } from "../apis/batch/cronjob.ts";
import { type CronSchedule, nextTime, parseSchedule } from "../apis/batch/cron.ts";
import { isJobFinished, jobCondition, type Job } from "../apis/batch/job.ts";
import type { KubeClient, Lister } from "../client/index.ts";
import { objectKey, resourceFor } from "../client/index.ts";
import type { ControllerContext, EventRecorder, Running } from "../client/index.ts";
import { controllerRef, runController } from "./controller-utils.ts";
import { dueTime, jobFromTemplate, jobNameFor, jobsOverHistoryLimit, MAX_MISSED_SCHEDULES, timeZoneOf } from "./cronjob-util.ts";
import { formatTime } from "./job-status.ts";
import { WorkQueue } from "../client/index.ts";

const JOBS = resourceFor("Job");

/** The API writes of the controller. */
export interface CronJobControl {
  createJob(job: Job): Promise<Job>;
  deleteJob(job: Job): Promise<void>;
  writeStatus(cj: CronJob, status: CronJobStatus): Promise<CronJob>;
}

export interface CronJobControllerDeps {
  cronJobs: Lister<CronJob>;
  jobs: Lister<Job>;
  control: CronJobControl;
  recorder: EventRecorder;
  now: () => Date;
}

const jobRef = (job: Job) => ({ kind: "Job", namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: "batch/v1", resourceVersion: job.metadata.resourceVersion });

export class CronJobController {
  readonly queue = new WorkQueue<string>();

  constructor(private readonly deps: CronJobControllerDeps) {}

  async sync(key: string): Promise<void> {
    const cj = this.deps.cronJobs.getByKey(key);
    if (!cj) return;
    const jobs = this.deps.jobs.list(cj.metadata.namespace).filter((j) => controllerRef(j)?.uid === cj.metadata.uid);
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    this.reconcileActive(cj, status, jobs);
    let wake: number | undefined;
    if (!cj.metadata.deletionTimestamp) wake = await this.schedule(cj, status, jobs);
    if (!Bun.deepEquals(JSON.parse(JSON.stringify(cj.status ?? {})), JSON.parse(JSON.stringify(status)))) await this.deps.control.writeStatus(cj, status);
    await this.cleanupFinished(cj, jobs);
    if (wake !== undefined) this.queue.addAfter(key, Math.max(wake - this.deps.now().getTime(), 0) + 1);
  }

  /** Drops finished and vanished jobs from status.active; records the last success. */
  private reconcileActive(cj: CronJob, status: CronJobStatus, jobs: Job[]): void {
    const byUid = new Map(jobs.map((j) => [j.metadata.uid, j]));
    const active = status.active ?? [];
    for (const j of jobs) {
      if (!active.some((r) => r.uid === j.metadata.uid) && !isJobFinished(j)) {
        this.deps.recorder.event(cj, "Warning", "UnexpectedJob", `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      }
    }
    status.active = active.filter((ref) => {
      const j = byUid.get(ref.uid);
      if (!j) {
        this.deps.recorder.event(cj, "Normal", "MissingJob", `Active job went missing: ${ref.name}`);
        return false;
      }
      const finished = isJobFinished(j);
      if (!finished) return true;
      this.deps.recorder.event(cj, "Normal", "SawCompletedJob", `Saw completed job: ${j.metadata.name}, condition: ${finished.type}`);
      const done = jobCondition(j, "Complete") && j.status?.completionTime;
      if (done && (!status.lastSuccessfulTime || Date.parse(status.lastSuccessfulTime) < Date.parse(done))) status.lastSuccessfulTime = done;
      return false;
    });
    if (status.active.length === 0) delete status.active;
  }

  /** Starts the due job, if any; returns when to look again (the next scheduled time). */
  private async schedule(cj: CronJob, status: CronJobStatus, jobs: Job[]): Promise<number | undefined> {
    let schedule: CronSchedule;
    try {
      schedule = parseSchedule(cj.spec!.schedule);
      new Intl.DateTimeFormat("en-US", { timeZone: timeZoneOf(cj) });
    } catch (err) {
      // Validation refuses these; an object stored before would otherwise loop. Nothing to retry.
      this.deps.recorder.event(cj, "Warning", "UnparseableSchedule", `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${(err as Error).message}`);
      return undefined;
    }
    if (cj.spec!.suspend) return undefined;
    const now = this.deps.now().getTime();
    const tz = timeZoneOf(cj);
    const next = nextTime(schedule, now, tz);
    const { scheduled, missed } = dueTime(cj, schedule, now);
    if (scheduled === undefined) return next;
    if (missed > MAX_MISSED_SCHEDULES) {
      this.deps.recorder.event(cj, "Warning", "TooManyMissedTimes", `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const deadline = cj.spec!.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
      this.deps.recorder.event(cj, "Warning", "MissSchedule", `Missed scheduled time to start a job: ${new Date(scheduled).toISOString()}`);
      return next;
    }
    const name = jobNameFor(cj, scheduled);
    if (status.active?.some((r) => r.name === name) || jobs.some((j) => j.metadata.name === name)) return next;
    const running = (status.active ?? []).length;
    if (cj.spec!.concurrencyPolicy === "Forbid" && running > 0) {
      this.deps.recorder.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
      return next;
    }
    if (cj.spec!.concurrencyPolicy === "Replace" && running > 0) {
      for (const ref of status.active ?? []) {
        const j = jobs.find((x) => x.metadata.uid === ref.uid);
        if (!j) continue;
        await this.deps.control.deleteJob(j);
        this.deps.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${j.metadata.name}`);
      }
      delete status.active;
    }
    let created: Job;
    try {
      created = await this.deps.control.createJob(jobFromTemplate(cj, scheduled));
      this.deps.recorder.event(cj, "Normal", "SuccessfulCreate", `Created job ${created.metadata.name}`);
    } catch (err) {
      if (!(isConflict(err) || isAlreadyExists(err))) {
        this.deps.recorder.event(cj, "Warning", "FailedCreate", `Error creating job: ${(err as Error).message}`);
        throw err;
      }
      // Created before a restart (or by a lagging cache's twin): the informer will bring it.
      return next;
    }
    status.active = [...(status.active ?? []), jobRef(created)];
    status.lastScheduleTime = formatTime(scheduled);
    return next;
  }

  /** Deletes finished jobs beyond the history limits, oldest first. */
  private async cleanupFinished(cj: CronJob, jobs: Job[]): Promise<void> {
    for (const j of jobsOverHistoryLimit(cj, jobs)) {
      await this.deps.control.deleteJob(j);
      this.deps.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${j.metadata.name}`);
    }
  }

  enqueueOwner(job: Job): void {
    const ref = controllerRef(job);
    if (ref?.kind === "CronJob") this.queue.add(objectKey({ namespace: job.metadata.namespace, name: ref.name }));
  }
}

export function kubeCronJobControl(client: KubeClient): CronJobControl {
  return {
    createJob: (job) => client.create(JOBS, job.metadata.namespace, job),
    async deleteJob(job) {
      try {
        await client.delete(JOBS, job.metadata.namespace, job.metadata.name!, { propagationPolicy: "Background", preconditions: { uid: job.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err) && !(isConflict(err) || isAlreadyExists(err))) throw err;
      }
    },
    writeStatus: (cj, status) => client.updateStatus(resourceFor("CronJob"), { ...cj, status }),
  };
}

export function startCronJobController(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const cjInformer = ctx.informers.informerFor<CronJob>("CronJob");
  const jobInformer = ctx.informers.informerFor<Job>("Job");
  const c = new CronJobController({
    cronJobs: cjInformer.lister,
    jobs: jobInformer.lister,
    control: kubeCronJobControl(ctx.client),
    recorder: ctx.recorder("cronjob-controller"),
    now: ctx.now,
  });
  const removers = [
    cjInformer.addEventHandler({ onAdd: (cj) => c.queue.add(objectKey(cj.metadata)), onUpdate: (_o, cj) => c.queue.add(objectKey(cj.metadata)) }),
    jobInformer.addEventHandler({ onAdd: (j) => c.enqueueOwner(j), onUpdate: (_o, j) => c.enqueueOwner(j), onDelete: (j) => c.enqueueOwner(j) }),
  ];
  return runController(ctx.informers, c.queue, opts.workers ?? 5, (key) => c.sync(key), removers);
}
