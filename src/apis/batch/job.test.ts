import { describe, expect, test } from "bun:test";
import { applyDefaults, toTable, validateObject } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";

const jobs = findResource("batch", "v1", "jobs")!;

function job(spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = { restartPolicy: "Never" }): Record<string, any> {
  const j = {
    metadata: { name: "pi", namespace: "default", uid: "u-1", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { template: { spec: { containers: [{ name: "pi", image: "busybox" }], ...podSpec } }, ...spec },
  };
  applyDefaults(jobs, j as KubeObject);
  return j;
}

const fields = (obj: Record<string, any>, old?: Record<string, any>) => validateObject(jobs, obj as KubeObject, old as KubeObject).map((c) => `${c.field}: ${c.reason}`);

describe("job defaults", () => {
  test("counts, mode, the generated selector and the template's labels", () => {
    const j = job();
    expect(j.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: "NonIndexed", suspend: false, podReplacementPolicy: "TerminatingOrFailed" });
    expect(j.spec.selector).toEqual({ matchLabels: { "batch.kubernetes.io/controller-uid": "u-1" } });
    expect(j.spec.template.metadata.labels).toEqual({ "controller-uid": "u-1", "batch.kubernetes.io/controller-uid": "u-1", "job-name": "pi", "batch.kubernetes.io/job-name": "pi" });
    expect(fields(j)).toEqual([]);
  });

  test("parallelism alone leaves completions unset (a work queue)", () => {
    expect(job({ parallelism: 3 }).spec.completions).toBeUndefined();
  });

  test("manualSelector keeps the user's selector and labels", () => {
    const j = job({ manualSelector: true, selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "i" }] } } });
    expect(j.spec.template.metadata.labels).toEqual({ app: "x" });
    expect(fields(j)).toEqual([]);
  });
});

describe("job validation", () => {
  test.each<[string, Record<string, any>, string[]]>([
    ["restartPolicy Always", job({}, { restartPolicy: "Always" }), ["spec.template.spec.restartPolicy: FieldValueNotSupported"]],
    ["restartPolicy unset", job({}, {}), ["spec.template.spec.restartPolicy: FieldValueRequired"]],
    ["negative parallelism", job({ parallelism: -1 }), ["spec.parallelism: FieldValueInvalid"]],
    ["negative backoffLimit", job({ backoffLimit: -2 }), ["spec.backoffLimit: FieldValueInvalid"]],
    ["Indexed without completions", job({ completionMode: "Indexed", parallelism: 2 }), ["spec.completions: FieldValueRequired"]],
    ["unknown completionMode", job({ completionMode: "Sometimes" }), ["spec.completionMode: FieldValueNotSupported"]],
    ["successPolicy is not implemented", job({ successPolicy: { rules: [] } }), ["spec.successPolicy: FieldValueForbidden"]],
    ["podFailurePolicy needs restartPolicy Never", job({ podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [1] } }] } }, { restartPolicy: "OnFailure" }), ["spec.template.spec.restartPolicy: FieldValueInvalid"]],
    ["exit code 0 with In", job({ podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [0, 1] } }] } }), ["spec.podFailurePolicy.rules[0].onExitCodes.values[0]: FieldValueInvalid"]],
    ["a rule with neither match", job({ podFailurePolicy: { rules: [{ action: "Ignore" }] } }), ["spec.podFailurePolicy.rules[0]: FieldValueInvalid"]],
    ["an unknown action", job({ podFailurePolicy: { rules: [{ action: "Retry", onPodConditions: [{ type: "DisruptionTarget" }] }] } }), ["spec.podFailurePolicy.rules[0].action: FieldValueNotSupported"]],
    ["manual selector not matching", job({ manualSelector: true, selector: { matchLabels: { app: "y" } } }), ["spec.template.metadata.labels: FieldValueInvalid"]],
  ])("%s", (_name, j, want) => {
    expect(fields(j)).toEqual(want);
  });

  test("the template, completions and selector are immutable; parallelism is not", () => {
    const old = job({ completions: 3 });
    const next = structuredClone(old);
    next.spec.parallelism = 5;
    expect(fields(next, old)).toEqual([]);
    next.spec.completions = 4;
    next.spec.template.spec.containers[0].image = "other";
    expect(fields(next, old)).toEqual(["spec.completions: FieldValueInvalid", "spec.template: FieldValueInvalid"]);
  });

  test("a suspended job that never started may change where its pods go, and nothing else of the template", () => {
    const old = job({ suspend: true });
    const next = structuredClone(old);
    next.spec.template.spec.nodeSelector = { zone: "b" };
    next.spec.template.metadata.labels.extra = "x";
    expect(fields(next, old)).toEqual([]);
    next.spec.template.spec.containers[0].image = "other";
    expect(fields(next, old)).toEqual(["spec.template: FieldValueInvalid"]);
    const started: Record<string, any> = { ...old, status: { startTime: "2026-01-01T00:00:00Z" } };
    const placed = structuredClone(started);
    placed.spec.template.spec.nodeSelector = { zone: "b" };
    expect(fields(placed, started)).toEqual(["spec.template: FieldValueInvalid"]);
  });
});

test("kubectl get jobs: STATUS, COMPLETIONS, DURATION", () => {
  const done = job({ completions: 3 });
  done.status = { succeeded: 3, startTime: "2026-01-01T00:00:00Z", completionTime: "2026-01-01T00:00:42Z", conditions: [{ type: "Complete", status: "True" }] };
  const queue = job({ parallelism: 2 });
  queue.status = { startTime: "2026-01-01T00:00:00Z" };
  const table = toTable(jobs, [done, queue] as KubeObject[], { now: new Date("2026-01-01T00:01:00Z") });
  expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(["Name", "Status", "Completions", "Duration", "Age"]);
  expect(table.rows.map((r) => r.cells.slice(0, 5))).toEqual([
    ["pi", "Complete", "3/3", "42s", "60s"],
    ["pi", "Running", "0/1 of 2", "60s", "60s"],
  ]);
});

describe("cronjob validation", () => {
  const cronjobs = findResource("batch", "v1", "cronjobs")!;
  const cronjob = (spec: Record<string, unknown>, name = "nightly") => {
    const cj = {
      metadata: { name, namespace: "default" },
      spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "c", image: "busybox" }] } } } }, ...spec },
    };
    applyDefaults(cronjobs, cj as KubeObject);
    return cj;
  };
  const cjFields = (cj: Record<string, any>) => validateObject(cronjobs, cj as KubeObject).map((c) => `${c.field}: ${c.message}`);

  test("defaults", () => {
    expect(cronjob({}).spec).toMatchObject({ concurrencyPolicy: "Allow", suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cjFields(cronjob({ timeZone: "Europe/Berlin", schedule: "@hourly" }))).toEqual([]);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["a bad schedule", { schedule: "61 * * * *" }, 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'],
    ["TZ in the schedule", { schedule: "CRON_TZ=UTC 0 * * * *" }, 'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ["an unknown zone", { timeZone: "Mars/Olympus" }, 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'],
    ["concurrencyPolicy", { concurrencyPolicy: "Sometimes" }, 'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'],
    ["Always in the job template", { jobTemplate: { spec: { template: { spec: { restartPolicy: "Always", containers: [{ name: "c", image: "i" }] } } } } }, 'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'],
  ])("%s", (_name, spec, want) => {
    expect(cjFields(cronjob(spec))).toEqual([want]);
  });

  test("names longer than 52 characters", () => {
    expect(cjFields(cronjob({}, "x".repeat(53)))).toEqual([`metadata.name: Invalid value: "${"x".repeat(53)}": must be no more than 52 characters`]);
  });
});
