// The cronjob controller's sync with an injected clock: a day of schedules in milliseconds.
import { describe, expect, test } from "bun:test";
import { defaultCronJob, type CronJob, type CronJobSpec } from "../apis/batch/cronjob.ts";
import type { Job } from "../apis/batch/job.ts";
import { ObjectCache } from "../client/index.ts";
import { CronJobController } from "./cronjob.ts";

function setup(spec: Partial<CronJobSpec>, created = "2025-01-01T00:00:00Z") {
  const cronJobs = new ObjectCache<CronJob>();
  const jobs = new ObjectCache<Job>();
  const cj: CronJob = {
    metadata: { name: "report", namespace: "ns", uid: "cj-uid", creationTimestamp: created },
    spec: { schedule: "0 */6 * * *", timeZone: "UTC", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } }, ...spec } as CronJobSpec,
  };
  defaultCronJob(cj);
  cronJobs.set(cj);
  let clock = Date.parse(created);
  let uid = 0;
  const events: string[] = [];
  const deleted: string[] = [];
  const c = new CronJobController({
    cronJobs,
    jobs,
    control: {
      async createJob(job) {
        if (jobs.get("ns", job.metadata.name!)) throw Object.assign(new Error("exists"), { code: 409 });
        const stored = { ...job, metadata: { ...job.metadata, uid: `job-${uid++}`, creationTimestamp: new Date(clock).toISOString() } };
        jobs.set(stored);
        return stored;
      },
      async deleteJob(job) {
        deleted.push(job.metadata.name!);
        jobs.delete(`ns/${job.metadata.name}`);
      },
      async writeStatus(cj, status) {
        const stored = { ...cj, status: structuredClone(status) };
        cronJobs.set(stored);
        return stored;
      },
    },
    recorder: { event: (_o, _t, reason, message) => void events.push(`${reason}: ${message}`) },
    now: () => new Date(clock),
  });
  const get = () => cronJobs.get("ns", "report")!;
  const names = () => jobs.list("ns").map((j) => j.metadata.name!).sort();
  const finish = (name: string, type: "Complete" | "Failed") => {
    const j = jobs.get("ns", name)!;
    jobs.set({ ...j, status: { completionTime: type === "Complete" ? new Date(clock).toISOString().replace(/\.\d+Z/, "Z") : undefined, conditions: [{ type, status: "True", lastTransitionTime: new Date(clock).toISOString() }] } });
  };
  const at = (iso: string) => void (clock = Date.parse(iso));
  const sync = () => c.sync("ns/report");
  return { c, get, names, finish, at, sync, events, deleted, jobs, cronJobs };
}

const minutes = (iso: string) => Date.parse(iso) / 60_000;

describe("CronJob", () => {
  test("a day of a six-hourly schedule makes four jobs named after their minute", async () => {
    const h = setup({ concurrencyPolicy: "Allow", successfulJobsHistoryLimit: 10 });
    for (let hour = 0; hour < 24; hour++) {
      for (const minute of [0, 30]) {
        h.at(`2025-01-01T${String(hour).padStart(2, "0")}:${minute}:00Z`.replace(/:(\d):/, ":0$1:"));
        await h.sync();
      }
    }
    h.at("2025-01-02T00:00:00Z");
    await h.sync();
    expect(h.names()).toEqual(["06:00", "12:00", "18:00", "00:00"].map((t, i) => `report-${minutes(`2025-01-0${i === 3 ? 2 : 1}T${t}:00Z`)}`).sort());
    const job = h.jobs.get("ns", `report-${minutes("2025-01-01T06:00:00Z")}`)!;
    expect(job.metadata.annotations).toEqual({ "batch.kubernetes.io/cronjob-scheduled-timestamp": "2025-01-01T06:00:00Z" });
    expect(job.metadata.ownerReferences![0]).toMatchObject({ kind: "CronJob", name: "report", uid: "cj-uid", controller: true });
    expect(h.get().status!.lastScheduleTime).toBe("2025-01-02T00:00:00Z");
    expect(h.get().status!.active).toHaveLength(4);
  });

  test("the scheduled timestamp is written in the cronjob's zone", async () => {
    const h = setup({ schedule: "0 9 * * *", timeZone: "Europe/Paris" });
    h.at("2025-01-01T08:00:00Z");
    await h.sync();
    const [name] = h.names();
    expect(name).toBe(`report-${minutes("2025-01-01T08:00:00Z")}`);
    expect(h.jobs.get("ns", name!)!.metadata.annotations!["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBe("2025-01-01T09:00:00+01:00");
  });

  test("Forbid skips a run while one is active; a finished run sets lastSuccessfulTime", async () => {
    const h = setup({ concurrencyPolicy: "Forbid" });
    h.at("2025-01-01T06:00:00Z");
    await h.sync();
    h.at("2025-01-01T12:00:00Z");
    await h.sync();
    expect(h.names()).toHaveLength(1);
    expect(h.events.some((e) => e.startsWith("JobAlreadyActive"))).toBe(true);
    h.finish(h.names()[0]!, "Complete");
    h.at("2025-01-01T12:00:30Z");
    await h.sync();
    expect(h.get().status!.lastSuccessfulTime).toBe("2025-01-01T12:00:00Z");
    // The 12:00 run was missed while Forbid held; with no deadline it still runs once, late.
    expect(h.names()).toHaveLength(2);
  });

  test("Replace deletes the running job and starts the new one", async () => {
    const h = setup({ concurrencyPolicy: "Replace" });
    h.at("2025-01-01T06:00:00Z");
    await h.sync();
    const first = h.names()[0]!;
    h.at("2025-01-01T12:00:00Z");
    await h.sync();
    expect(h.deleted).toEqual([first]);
    expect(h.names()).toEqual([`report-${minutes("2025-01-01T12:00:00Z")}`]);
    expect(h.get().status!.active!.map((r) => r.name)).toEqual(h.names());
  });

  test("startingDeadlineSeconds: a run found too late is skipped", async () => {
    const h = setup({ startingDeadlineSeconds: 60 });
    h.at("2025-01-01T06:05:00Z");
    await h.sync();
    expect(h.names()).toEqual([]);
    h.at("2025-01-01T12:00:30Z");
    await h.sync();
    expect(h.names()).toEqual([`report-${minutes("2025-01-01T12:00:00Z")}`]);
  });

  test("missed start times: one catch-up run, and the event past 100", async () => {
    const h = setup({ schedule: "* * * * *" });
    h.at("2025-01-01T03:00:00Z");
    await h.sync();
    expect(h.names()).toEqual([`report-${minutes("2025-01-01T03:00:00Z")}`]);
    expect(h.events.some((e) => e.startsWith("TooManyMissedTimes: too many missed start times: 101"))).toBe(true);
  });

  test("suspend: nothing starts", async () => {
    const h = setup({ suspend: true });
    h.at("2025-01-01T06:00:00Z");
    await h.sync();
    expect(h.names()).toEqual([]);
  });

  test("history limits keep the newest finished jobs", async () => {
    const h = setup({ schedule: "0 * * * *", successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    for (let hour = 1; hour <= 5; hour++) {
      h.at(`2025-01-01T0${hour}:00:00Z`);
      await h.sync();
      h.at(`2025-01-01T0${hour}:10:00Z`);
      h.finish(`report-${minutes(`2025-01-01T0${hour}:00:00Z`)}`, hour === 2 || hour === 3 ? "Failed" : "Complete");
      await h.sync();
    }
    expect(h.names()).toEqual([3, 4, 5].map((hr) => `report-${minutes(`2025-01-01T0${hr}:00:00Z`)}`));
  });
});
