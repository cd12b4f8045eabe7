// Jobs and CronJobs with real pods: the scheduler binds them to a real agent, containerd runs
// them, and stock kubectl creates, waits on, reads and deletes them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Job } from "../src/apis/batch/job.ts";
import type { Pod } from "../src/apis/core/pod.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
beforeAll(async () => {
  // A one-second back-off keeps the failing job's retries quick.
  c = await startAgentCluster({ logPort: 0, serverOptions: { controllers: { jobBackoffBaseMs: 1000, workers: 2 }, scheduler: {} } });
}, 60_000);
afterAll(async () => {
  await c?.close();
}, 60_000);

const IMAGE = "local/busybox:1";

const kubectl = (...args: string[]) => c.server.kubectlOk(args);

const apply = (manifest: unknown) => c.server.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });

async function getJob(name: string): Promise<Job> {
  return (await (await c.server.api(`/apis/batch/v1/namespaces/default/jobs/${name}`)).json()) as Job;
}

async function jobPods(name: string): Promise<Pod[]> {
  const res = await c.server.api(`/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`batch.kubernetes.io/job-name=${name}`)}`);
  return ((await res.json()) as { items: Pod[] }).items;
}

function job(name: string, spec: Record<string, unknown>, command: string): Record<string, unknown> {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: { ...spec, template: { spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 1, containers: [{ name: "work", image: IMAGE, command: ["sh", "-c", command] }] } } },
  };
}

describe("Job", () => {
  test("completions=3 parallelism=2 runs three pods that each log a result, then is Complete", async () => {
    const r = await apply(job("three", { completions: 3, parallelism: 2 }, "echo result-$(hostname); sleep 1"));
    expect(r.stderr).toBe("");
    expect(await kubectl("wait", "--for=condition=complete", "job/three", "--timeout=60s")).toContain("condition met");
    const done = await getJob("three");
    expect(done.status).toMatchObject({ succeeded: 3, ready: 0, terminating: 0, uncountedTerminatedPods: {} });
    expect(done.status!.active).toBeUndefined();
    expect(done.status!.completionTime).toBeString();
    expect(done.status!.conditions!.map((x) => x.type)).toEqual(["SuccessCriteriaMet", "Complete"]);
    const pods = await jobPods("three");
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.status?.phase === "Succeeded" && !p.metadata.finalizers?.length)).toBe(true);
    const logs = await Promise.all(pods.map((p) => kubectl("logs", p.metadata.name!)));
    expect(logs.sort()).toEqual(pods.map((p) => `result-${p.metadata.name}\n`).sort());
    expect(await kubectl("logs", "job/three")).toStartWith("result-three-");
    const table = await kubectl("get", "jobs", "three");
    expect(table.split("\n")[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(table.split("\n")[1]).toMatch(/^three\s+Complete\s+3\/3\s+\d+s\s+\d+s$/);
  }, 90_000);

  test("an Indexed job's pods see their JOB_COMPLETION_INDEX", async () => {
    await apply(job("indexed", { completions: 3, parallelism: 3, completionMode: "Indexed" }, "echo index=$JOB_COMPLETION_INDEX"));
    await kubectl("wait", "--for=condition=complete", "job/indexed", "--timeout=60s");
    expect((await getJob("indexed")).status!.completedIndexes).toBe("0-2");
    const pods = await jobPods("indexed");
    const seen = await Promise.all(
      pods.map(async (p) => [p.metadata.annotations!["batch.kubernetes.io/job-completion-index"], (await kubectl("logs", p.metadata.name!)).trim()]),
    );
    expect(seen.sort()).toEqual([
      ["0", "index=0"],
      ["1", "index=1"],
      ["2", "index=2"],
    ]);
  }, 90_000);

  test("a failing job retries after a back-off and fails with BackoffLimitExceeded", async () => {
    await apply(job("fails", { backoffLimit: 1 }, "exit 3"));
    expect(await kubectl("wait", "--for=condition=failed", "job/fails", "--timeout=60s")).toContain("condition met");
    const failed = await getJob("fails");
    expect(failed.status!.failed).toBe(2);
    expect(failed.status!.conditions!.find((x) => x.type === "Failed")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded" });
    expect(await kubectl("get", "jobs", "fails", "--no-headers")).toMatch(/^fails\s+Failed\s+0\/1\s/);
  }, 90_000);

  test("kubectl create job, then delete job takes its pods with it", async () => {
    expect(await kubectl("create", "job", "quick", `--image=${IMAGE}`, "--", "sh", "-c", "echo hello from job")).toBe("job.batch/quick created\n");
    await kubectl("wait", "--for=condition=complete", "job/quick", "--timeout=60s");
    expect(await kubectl("logs", "job/quick")).toBe("hello from job\n");
    expect(await kubectl("delete", "job", "quick")).toBe('job.batch "quick" deleted\n');
    await waitFor("the job's pods gone", async () => (await jobPods("quick")).length === 0);
  }, 90_000);

  test("suspending stops the running pod without counting a failure; resuming starts a new one", async () => {
    await apply(job("pausable", {}, "sleep 3600"));
    const first = await waitFor("a running pod", async () => (await jobPods("pausable")).find((p) => p.status?.phase === "Running"));
    await kubectl("patch", "job", "pausable", "--type=merge", "-p", '{"spec":{"suspend":true}}');
    await waitFor("the pod gone", async () => (await jobPods("pausable")).length === 0, { timeoutMs: 60_000 });
    const suspended = await getJob("pausable");
    expect(suspended.status!.conditions!.find((x) => x.type === "Suspended")).toMatchObject({ status: "True", reason: "JobSuspended" });
    expect(suspended.status!.failed).toBeUndefined();
    expect(await kubectl("get", "jobs", "pausable", "--no-headers")).toMatch(/^pausable\s+Suspended\s/);
    await kubectl("patch", "job", "pausable", "--type=merge", "-p", '{"spec":{"suspend":false}}');
    const second = await waitFor("a new running pod", async () => (await jobPods("pausable")).find((p) => p.status?.phase === "Running"));
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    expect((await getJob("pausable")).status!.conditions!.find((x) => x.type === "Suspended")).toMatchObject({ status: "False", reason: "JobResumed" });
    await kubectl("delete", "job", "pausable", "--wait=false");
  }, 120_000);

  test("ttlSecondsAfterFinished: 0 deletes the finished job and its pods", async () => {
    await apply(job("short-lived", { ttlSecondsAfterFinished: 0 }, "true"));
    await waitFor("the job deleted", async () => (await c.server.api("/apis/batch/v1/namespaces/default/jobs/short-lived")).status === 404, { timeoutMs: 60_000 });
    await waitFor("its pods deleted", async () => (await jobPods("short-lived")).length === 0);
  }, 90_000);

  test("bad input is a 422 naming the field", async () => {
    const r = await apply({ ...job("bad", { parallelism: -1 }, "true"), spec: { parallelism: -1, template: { spec: { restartPolicy: "Always", containers: [{ name: "c", image: IMAGE }] } } } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.parallelism: Invalid value: -1");
    expect(r.stderr).toContain('spec.template.spec.restartPolicy: Unsupported value: "Always"');
  });
});

describe("CronJob", () => {
  test("kubectl create cronjob with * * * * * runs a real job within the minute", async () => {
    expect(await kubectl("create", "cronjob", "tick", `--image=${IMAGE}`, "--schedule=* * * * *", "--", "sh", "-c", "echo tick")).toBe("cronjob.batch/tick created\n");
    const job = await waitFor(
      "a job of the cronjob completes",
      async () => {
        const res = await c.server.api("/apis/batch/v1/namespaces/default/jobs");
        const items = ((await res.json()) as { items: Job[] }).items;
        return items.find((j) => j.metadata.ownerReferences?.[0]?.name === "tick" && j.status?.conditions?.some((x) => x.type === "Complete"));
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(job.metadata.name).toMatch(/^tick-\d+$/);
    expect(job.metadata.annotations!["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBeString();
    expect(await kubectl("logs", `job/${job.metadata.name}`)).toBe("tick\n");
    // The controller notices the finished job: lastSuccessfulTime and LAST SCHEDULE fill in.
    await waitFor("lastSuccessfulTime", async () => {
      const cj = (await (await c.server.api("/apis/batch/v1/namespaces/default/cronjobs/tick")).json()) as { status?: { lastSuccessfulTime?: string } };
      return cj.status?.lastSuccessfulTime;
    });
    const row = (await kubectl("get", "cronjobs", "tick")).split("\n");
    expect(row[0]).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    expect(row[1]).toMatch(/^tick\s+\* \* \* \* \*\s+<none>\s+False\s+\d\s+\d+s\s+\d+s$/);
    await kubectl("patch", "cronjob", "tick", "-p", '{"spec":{"suspend":true}}');
  }, 120_000);

  test("kubectl create job --from=cronjob runs the template now", async () => {
    expect(await kubectl("create", "job", "by-hand", "--from=cronjob/tick")).toBe("job.batch/by-hand created\n");
    await kubectl("wait", "--for=condition=complete", "job/by-hand", "--timeout=60s");
    const job = await getJob("by-hand");
    expect(job.metadata.annotations?.["cronjob.kubernetes.io/instantiate"]).toBe("manual");
    expect(await kubectl("logs", "job/by-hand")).toBe("tick\n");
  }, 90_000);

  test("a bad schedule is a 422 naming spec.schedule", async () => {
    const r = await c.server.kubectl(["create", "cronjob", "bad", `--image=${IMAGE}`, "--schedule=every minute"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.schedule: Invalid value: "every minute"');
  });
});

