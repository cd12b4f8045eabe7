// The job controller's sync against seeded caches, a fake clock and fake writers: no server.
import { describe, expect, test } from "bun:test";
import { JOB_TRACKING_FINALIZER, type Job, type JobSpec } from "../apis/batch/job.ts";
import { defaultJob } from "../apis/batch/job.ts";
import type { Pod } from "../apis/core/pod.ts";
import { ObjectCache } from "../client/index.ts";
import { JobController } from "./job.ts";
import { formatIndexes, parseIndexes, remainingBackoff } from "./job-pods.ts";

function setup(spec: Partial<JobSpec>) {
  const jobs = new ObjectCache<Job>();
  const pods = new ObjectCache<Pod>();
  let rv = 1;
  const job: Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "pi", namespace: "ns", uid: "job-uid", resourceVersion: String(rv) },
    spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } }, ...spec } as JobSpec,
  };
  defaultJob(job);
  jobs.set(job);
  let clock = Date.parse("2025-01-01T00:00:00Z");
  const deleted: string[] = [];
  const events: string[] = [];
  let seq = 0;
  const controller = new JobController({
    jobs,
    pods,
    podControl: {
      async createPod(namespace, template, _owner, ref, generateName) {
        const pod: Pod = {
          metadata: { name: `${generateName}${seq}`, uid: `pod-${seq++}`, namespace, labels: template.metadata?.labels, annotations: template.metadata?.annotations, finalizers: template.metadata?.finalizers, ownerReferences: [ref] },
          spec: structuredClone(template.spec!),
          status: { phase: "Pending" },
        };
        pods.set(pod);
        return pod;
      },
      async deletePod(ns, name) {
        deleted.push(name);
        const pod = pods.get(ns, name)!;
        pods.set({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(clock).toISOString() } });
      },
    },
    owners: { setOwnerReferences: async (_r, obj, refs) => ({ ...obj, metadata: { ...obj.metadata, ownerReferences: refs } }) },
    writer: {
      async writeStatus(j, status) {
        const stored = { ...structuredClone(j), status: structuredClone(status) };
        stored.metadata.resourceVersion = String(++rv);
        jobs.set(stored);
        return stored;
      },
      async removeFinalizer(pod) {
        const cur = pods.get(pod.metadata.namespace, pod.metadata.name!)!;
        pods.set({ ...cur, metadata: { ...cur.metadata, finalizers: cur.metadata.finalizers?.filter((f) => f !== JOB_TRACKING_FINALIZER) } });
      },
    },
    recorder: { event: (_o, _t, reason) => void events.push(reason) },
    now: () => new Date(clock),
  });
  const sync = () => controller.sync("ns/pi");
  const get = () => jobs.get("ns", "pi")!;
  const list = () => pods.list("ns");
  const active = () => list().filter((p) => !p.metadata.deletionTimestamp && !["Succeeded", "Failed"].includes(p.status?.phase ?? ""));
  /** The informer delivering the pods: expectations are met. */
  const observe = () =>
    list().forEach((p) => {
      controller.expectations.creationObserved("ns/pi");
      if (p.metadata.deletionTimestamp) controller.expectations.deletionObserved("ns/pi", `ns/${p.metadata.name}`);
    });
  const finish = (pod: Pod, phase: "Succeeded" | "Failed", exitCode = phase === "Succeeded" ? 0 : 1) =>
    pods.set({
      ...pod,
      status: { phase, containerStatuses: [{ name: "c", ready: false, restartCount: 0, image: "busybox", imageID: "", state: { terminated: { exitCode, finishedAt: new Date(clock).toISOString() } } }] },
    });
  const advance = (ms: number) => void (clock += ms);
  return { controller, sync, get, list, active, observe, finish, advance, deleted, events, pods, jobs };
}

const condition = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type);

describe("NonIndexed", () => {
  test("completions=3 parallelism=2 runs two at a time and completes after three successes", async () => {
    const h = setup({ completions: 3, parallelism: 2 });
    await h.sync();
    expect(h.active()).toHaveLength(2);
    const pod = h.active()[0]!;
    expect(pod.metadata.finalizers).toEqual([JOB_TRACKING_FINALIZER]);
    expect(pod.metadata.labels).toMatchObject({ "batch.kubernetes.io/job-name": "pi", "job-name": "pi", "controller-uid": "job-uid" });
    expect(h.get().status).toMatchObject({ active: 2, ready: 0, startTime: "2025-01-01T00:00:00Z" });

    h.observe();
    h.finish(pod, "Succeeded");
    await h.sync();
    expect(h.get().status).toMatchObject({ succeeded: 1, active: 2, uncountedTerminatedPods: {} });
    expect(h.pods.get("ns", pod.metadata.name!)!.metadata.finalizers).toEqual([]);

    h.observe();
    for (const p of h.active()) h.finish(p, "Succeeded");
    h.advance(5000);
    await h.sync();
    const job = h.get();
    expect(job.status).toMatchObject({ succeeded: 3, ready: 0, terminating: 0, completionTime: "2025-01-01T00:00:05Z" });
    expect(job.status!.active).toBeUndefined(); // omitempty, as Kubernetes writes it
    expect(condition(job, "SuccessCriteriaMet")).toMatchObject({ status: "True", reason: "CompletionsReached" });
    expect(condition(job, "Complete")).toMatchObject({ status: "True", reason: "CompletionsReached" });
    expect(h.list()).toHaveLength(3);
    expect(h.events).toContain("Completed");
  });

  test("a result recorded as uncounted before a restart is counted once its finalizer is gone", async () => {
    const h = setup({ completions: 2, parallelism: 1 });
    await h.sync();
    h.observe();
    const pod = h.active()[0]!;
    h.finish(pod, "Succeeded");
    const cur = h.pods.get("ns", pod.metadata.name!)!;
    h.pods.set({ ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    const job = h.get();
    h.jobs.set({ ...job, metadata: { ...job.metadata, resourceVersion: "100" }, status: { ...job.status, uncountedTerminatedPods: { succeeded: [pod.metadata.uid!] } } });
    await h.sync();
    expect(h.get().status).toMatchObject({ succeeded: 1, uncountedTerminatedPods: {} });
  });
});

describe("Indexed", () => {
  test("each pod carries its index (annotation, label, env, hostname) and completedIndexes grows", async () => {
    const h = setup({ completions: 3, parallelism: 3, completionMode: "Indexed" });
    await h.sync();
    const pods = h.active().sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    expect(pods.map((p) => p.metadata.annotations?.["batch.kubernetes.io/job-completion-index"])).toEqual(["0", "1", "2"]);
    expect(pods.map((p) => p.metadata.labels?.["batch.kubernetes.io/job-completion-index"])).toEqual(["0", "1", "2"]);
    expect(pods[1]!.metadata.name).toStartWith("pi-1-");
    expect(pods[1]!.spec!.hostname).toBe("pi-1");
    expect(pods[1]!.spec!.containers[0]!.env).toContainEqual({
      name: "JOB_COMPLETION_INDEX",
      valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
    });
    h.observe();
    h.finish(pods[0]!, "Succeeded");
    h.finish(pods[2]!, "Succeeded");
    await h.sync();
    expect(h.get().status).toMatchObject({ succeeded: 2, completedIndexes: "0,2", active: 1 });
    h.finish(pods[1]!, "Failed");
    await h.sync();
    // Index 1 failed: its replacement waits out the back-off, then runs index 1 again.
    expect(h.active()).toHaveLength(0);
    h.advance(10_000);
    await h.sync();
    expect(h.active().map((p) => p.metadata.annotations?.["batch.kubernetes.io/job-completion-index"])).toEqual(["1"]);
  });

  test("a pod still running for an index that already completed is deleted", async () => {
    const h = setup({ completions: 2, parallelism: 2, completionMode: "Indexed" });
    await h.sync();
    h.observe();
    const [zero] = h.active().sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    h.pods.set({ ...structuredClone(zero!), metadata: { ...structuredClone(zero!.metadata), name: "pi-0-twin", uid: "twin" } });
    h.finish(zero!, "Succeeded");
    await h.sync();
    expect(h.get().status!.completedIndexes).toBe("0");
    expect(h.deleted).toEqual(["pi-0-twin"]);
  });

  test.each([
    ["0,2-4,7", [0, 2, 3, 4, 7]],
    ["", []],
    ["1-3", [1, 2, 3]],
  ])("completedIndexes %p", (s, indexes) => {
    expect([...parseIndexes(s)]).toEqual(indexes);
    expect(formatIndexes(indexes)).toBe(s);
  });
});

describe("failures", () => {
  test("backoffLimit: failures wait out a doubling back-off, then the job fails", async () => {
    const h = setup({ completions: 1, backoffLimit: 1 });
    await h.sync();
    h.observe();
    h.finish(h.active()[0]!, "Failed");
    await h.sync();
    expect(h.get().status).toMatchObject({ failed: 1, ready: 0 });
    h.advance(9_000);
    await h.sync();
    expect(h.active()).toHaveLength(0);
    h.advance(1_000);
    await h.sync();
    expect(h.active()).toHaveLength(1);
    h.observe();
    h.finish(h.active()[0]!, "Failed");
    await h.sync();
    const job = h.get();
    expect(job.status!.failed).toBe(2);
    expect(condition(job, "FailureTarget")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded" });
    expect(condition(job, "Failed")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" });
    expect(job.status!.completionTime).toBeUndefined();
  });

  test.each([
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [10, 360_000],
  ])("after %p failures the back-off is %p ms", (failures, ms) => {
    expect(remainingBackoff({ failuresAfterLastSuccess: failures, lastFailureTime: 0 }, 0)).toBe(ms);
  });

  test("podFailurePolicy FailJob on an exit code fails the job at once and stops the other pods", async () => {
    const h = setup({
      completions: 2,
      parallelism: 2,
      podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [42] } }] },
    });
    await h.sync();
    h.observe();
    const [a, b] = h.active();
    h.finish(a!, "Failed", 42);
    await h.sync();
    expect(condition(h.get(), "FailureTarget")).toMatchObject({ reason: "PodFailurePolicy", message: `Container c for pod ns/${a!.metadata.name} failed with exit code 42 matching FailJob rule at index 0` });
    expect(h.deleted).toEqual([b!.metadata.name!]);
    expect(condition(h.get(), "Failed")).toBeUndefined();
    // The node stops the deleted pod: now nothing runs and the job is Failed.
    const cur = h.pods.get("ns", b!.metadata.name!)!;
    h.pods.set({ ...cur, metadata: { ...cur.metadata, deletionGracePeriodSeconds: 0 } });
    await h.sync();
    expect(condition(h.get(), "Failed")).toMatchObject({ reason: "PodFailurePolicy" });
    expect(h.get().status!.failed).toBe(2);
  });

  test("podFailurePolicy Ignore on DisruptionTarget: the pod is replaced and not counted", async () => {
    const h = setup({ completions: 1, backoffLimit: 0, podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] }] } });
    await h.sync();
    h.observe();
    const pod = h.active()[0]!;
    h.pods.set({ ...pod, status: { phase: "Failed", conditions: [{ type: "DisruptionTarget", status: "True" }] } });
    await h.sync();
    expect(h.get().status!.failed ?? 0).toBe(0);
    expect(condition(h.get(), "FailureTarget")).toBeUndefined();
    expect(h.active()).toHaveLength(1);
  });

  test("activeDeadlineSeconds: past the deadline the pods go and the job fails with DeadlineExceeded", async () => {
    const h = setup({ completions: 1, activeDeadlineSeconds: 30 });
    await h.sync();
    h.observe();
    h.advance(30_000);
    await h.sync();
    expect(condition(h.get(), "FailureTarget")).toMatchObject({ reason: "DeadlineExceeded" });
    expect(h.deleted).toHaveLength(1);
  });
});

describe("suspend", () => {
  test("suspending deletes the running pods; resuming restarts the clock", async () => {
    const h = setup({ completions: 1, activeDeadlineSeconds: 60 });
    await h.sync();
    h.observe();
    const job = h.get();
    h.jobs.set({ ...job, metadata: { ...job.metadata, resourceVersion: "50" }, spec: { ...job.spec!, suspend: true } });
    await h.sync();
    expect(h.deleted).toHaveLength(1);
    expect(condition(h.get(), "Suspended")).toMatchObject({ status: "True", reason: "JobSuspended" });
    // The deleted pod is not a failure.
    h.observe();
    await h.sync();
    expect(h.get().status!.failed ?? 0).toBe(0);
    h.advance(120_000);
    const suspended = h.get();
    h.jobs.set({ ...suspended, metadata: { ...suspended.metadata, resourceVersion: "60" }, spec: { ...suspended.spec!, suspend: false } });
    await h.sync();
    expect(condition(h.get(), "Suspended")).toMatchObject({ status: "False", reason: "JobResumed" });
    expect(h.get().status!.startTime).toBe("2025-01-01T00:02:00Z");
    expect(condition(h.get(), "FailureTarget")).toBeUndefined();
    expect(h.active()).toHaveLength(1);
  });
});

test("restartPolicy OnFailure: container restarts count against backoffLimit", async () => {
  const h = setup({ completions: 1, backoffLimit: 2, template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "c", image: "busybox" }] } } });
  await h.sync();
  h.observe();
  const pod = h.active()[0]!;
  const restarted = (n: number) =>
    h.pods.set({ ...pod, status: { phase: "Running", containerStatuses: [{ name: "c", ready: false, restartCount: n, image: "busybox", imageID: "", state: { running: {} } }] } });
  restarted(1);
  await h.sync();
  expect(condition(h.get(), "FailureTarget")).toBeUndefined();
  restarted(2);
  await h.sync();
  expect(condition(h.get(), "FailureTarget")).toMatchObject({ reason: "BackoffLimitExceeded" });
  expect(h.deleted).toEqual([pod.metadata.name!]);
});
