// The TTL-after-finished controller's sync with an injected clock.
import { expect, test } from "bun:test";
import type { Job } from "../apis/batch/job.ts";
import { ObjectCache } from "../client/index.ts";
import { expiresAt, TTLAfterFinishedController } from "./ttl-after-finished.ts";

const job = (ttl: number | undefined, finishedAt?: string): Job => ({
  metadata: { name: "j", namespace: "ns", uid: "u" },
  spec: { ttlSecondsAfterFinished: ttl, template: {} },
  status: finishedAt ? { conditions: [{ type: "Complete", status: "True", lastTransitionTime: finishedAt }] } : {},
});

test.each<[string, Job, number | undefined]>([
  ["no TTL", job(undefined, "2025-01-01T00:00:00Z"), undefined],
  ["not finished", job(60), undefined],
  ["finished with a TTL", job(60, "2025-01-01T00:00:00Z"), Date.parse("2025-01-01T00:01:00Z")],
  ["TTL 0: at once", job(0, "2025-01-01T00:00:00Z"), Date.parse("2025-01-01T00:00:00Z")],
])("expiresAt: %s", (_name, j, want) => {
  expect(expiresAt(j)).toBe(want);
});

test("the job is deleted once its TTL after finishing has passed, not before", async () => {
  const jobs = new ObjectCache<Job>();
  jobs.set(job(60, "2025-01-01T00:00:00Z"));
  const deleted: string[] = [];
  let now = Date.parse("2025-01-01T00:00:30Z");
  const c = new TTLAfterFinishedController({ jobs, deleter: { deleteJob: async (j) => void deleted.push(j.metadata.name!) }, now: () => new Date(now) });
  await c.sync("ns/j");
  expect(deleted).toEqual([]);
  now = Date.parse("2025-01-01T00:01:00Z");
  await c.sync("ns/j");
  expect(deleted).toEqual(["j"]);
  c.queue.shutDown();
});
