// The TTL-after-finished controller (pkg/controller/ttlafterfinished): deletes a Job
// ttlSecondsAfterFinished after it completed or failed, with its pods (Foreground, as upstream,
// so the job stays visible until its pods are gone). It wakes at each job's expiry time.
import { isNotFound } from "../apis/errors.ts";
import { isJobFinished, type Job } from "../apis/batch/job.ts";
import type { KubeClient, Lister } from "../client/index.ts";
import { objectKey, resourceFor } from "../client/index.ts";
import type { ControllerContext, Running } from "../client/index.ts";
import { runController } from "./controller-utils.ts";
import { WorkQueue } from "../client/index.ts";

export interface JobDeleter {
  deleteJob(job: Job): Promise<void>;
}

/** When the job's TTL runs out, in ms; undefined if it has no TTL or has not finished. */
export function expiresAt(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  const finished = isJobFinished(job);
  if (ttl === undefined || ttl === null || !finished || job.metadata.deletionTimestamp) return undefined;
  const at = Date.parse(finished.lastTransitionTime ?? "");
  return (Number.isNaN(at) ? 0 : at) + ttl * 1000;
}

export class TTLAfterFinishedController {
  readonly queue = new WorkQueue<string>();

  constructor(private readonly deps: { jobs: Lister<Job>; deleter: JobDeleter; now: () => Date }) {}

  async sync(key: string): Promise<void> {
    const job = this.deps.jobs.getByKey(key);
    if (!job) return;
    const at = expiresAt(job);
    if (at === undefined) return;
    const wait = at - this.deps.now().getTime();
    if (wait > 0) return void this.queue.addAfter(key, wait + 1);
    await this.deps.deleter.deleteJob(job);
  }

  enqueue(job: Job): void {
    if (expiresAt(job) !== undefined) this.queue.add(objectKey(job.metadata));
  }
}

export function kubeJobDeleter(client: KubeClient): JobDeleter {
  return {
    async deleteJob(job) {
      try {
        await client.delete(resourceFor("Job"), job.metadata.namespace, job.metadata.name!, {
          propagationPolicy: "Foreground",
          preconditions: { uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}

export function startTTLAfterFinishedController(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const informer = ctx.informers.informerFor<Job>("Job");
  const c = new TTLAfterFinishedController({ jobs: informer.lister, deleter: kubeJobDeleter(ctx.client), now: ctx.now });
  const remove = informer.addEventHandler({ onAdd: (j) => c.enqueue(j), onUpdate: (_o, j) => c.enqueue(j) });
  return runController(ctx.informers, c.queue, opts.workers ?? 2, (key) => c.sync(key), [remove]);
}
