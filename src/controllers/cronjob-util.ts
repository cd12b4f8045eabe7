// The pure half of the cronjob controller (pkg/controller/cronjob/utils.go): which scheduled
// time is due, how many were missed, when to wake next, the Job for a scheduled time, and which
// finished jobs fall outside the history limits.
import { CRONJOB_SCHEDULED_TIMESTAMP, isJobFinished, jobCondition, type Job } from "../apis/batch/job.ts";
import type { CronJob } from "../apis/batch/cronjob.ts";
import { type CronSchedule, localTimeZone, nextTime } from "../apis/batch/cron.ts";
import { newControllerRef } from "./controller-utils.ts";

/** More missed start times than this and the controller says so (and still runs the latest). */
export const MAX_MISSED_SCHEDULES = 100;

export const timeZoneOf = (cj: CronJob): string => cj.spec?.timeZone ?? localTimeZone();

export interface DueTime {
  /** The most recent scheduled time not yet run, at or before now. */
  scheduled?: number;
  /** How many scheduled times were missed since the last run (or the deadline window). */
  missed: number;
}

/**
 * mostRecentScheduleTime: the schedule's times after the last run (or the cronjob's creation),
 * but no earlier than startingDeadlineSeconds ago, up to now.
 */
export function dueTime(cj: CronJob, schedule: CronSchedule, now: number): DueTime {
  const tz = timeZoneOf(cj);
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? "") || now;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
  let scheduled: number | undefined;
  let missed = 0;
  for (let t = nextTime(schedule, earliest, tz); t !== undefined && t <= now; t = nextTime(schedule, t, tz)) {
    scheduled = t;
    missed++;
    // Past the limit only the count matters; a year of minutes is not worth walking.
    if (missed > MAX_MISSED_SCHEDULES) {
      scheduled = lastBefore(schedule, t, now, tz);
      break;
    }
  }
  return { scheduled, missed };
}

/** The latest scheduled time in (from, now], stepping back from now hour by hour. */
function lastBefore(schedule: CronSchedule, from: number, now: number, tz: string): number {
  for (let start = now - 3_600_000; start >= from; start -= 3_600_000) {
    let last: number | undefined;
    for (let t = nextTime(schedule, start, tz); t !== undefined && t <= now; t = nextTime(schedule, t, tz)) last = t;
    if (last !== undefined) return last;
  }
  let last = from;
  for (let t = nextTime(schedule, from, tz); t !== undefined && t <= now; t = nextTime(schedule, t, tz)) last = t;
  return last;
}

/** Kubernetes names a scheduled job after its time in minutes since the epoch. */
export const jobNameFor = (cj: CronJob, scheduled: number): string => `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;

/** RFC 3339 with the zone's offset, as Go's time.Format(time.RFC3339) in the cronjob's location. */
export function formatInZone(ms: number, tz: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  const offsetMin = Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
  const base = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  if (offsetMin === 0) return `${base}Z`;
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** getJobFromTemplate2: the Job a cronjob runs for one scheduled time. */
export function jobFromTemplate(cj: CronJob, scheduled: number): Job {
  const template = structuredClone(cj.spec!.jobTemplate);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata.namespace,
      labels: { ...template.metadata?.labels },
      annotations: { ...template.metadata?.annotations, [CRONJOB_SCHEDULED_TIMESTAMP]: formatInZone(scheduled, timeZoneOf(cj)) },
      ownerReferences: [newControllerRef(cj, "batch/v1", "CronJob")],
    },
    spec: template.spec,
  };
}

/** When a finished job ended (for ordering the history). */
const endTime = (job: Job): number =>
  Date.parse(job.status?.completionTime ?? isJobFinished(job)?.lastTransitionTime ?? job.status?.startTime ?? job.metadata.creationTimestamp ?? "") || 0;

/** Finished jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest first. */
export function jobsOverHistoryLimit(cj: CronJob, jobs: Job[]): Job[] {
  const out: Job[] = [];
  const pick = (list: Job[], limit: number | undefined) => {
    if (limit === undefined || limit === null) return;
    const sorted = [...list].sort((a, b) => endTime(a) - endTime(b));
    out.push(...sorted.slice(0, Math.max(0, sorted.length - limit)));
  };
  pick(jobs.filter((j) => jobCondition(j, "Complete")), cj.spec?.successfulJobsHistoryLimit);
  pick(jobs.filter((j) => jobCondition(j, "Failed")), cj.spec?.failedJobsHistoryLimit);
  return out;
}
