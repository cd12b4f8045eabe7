// How controllers create and delete pods (kube's PodControlInterface), and the slow-start
// batching that spreads a large scale-up over growing parallel batches: a broken template fails
// after one request instead of hundreds, and a healthy one reaches 1,000 pods in ~10 rounds.
import type { Pod, PodTemplateSpec } from "../apis/core/pod.ts";
import type { KubeObject, OwnerReference } from "../apis/meta.ts";
import { type KubeClient, resourceFor, type EventRecorder } from "../client/index.ts";
import { isNotFound } from "../apis/errors.ts";

export interface PodControl {
  /** Creates a pod from the template, owned by `owner` through `ref`; resolves with the stored pod. */
  createPod(namespace: string, template: PodTemplateSpec, owner: KubeObject, ref: OwnerReference, generateName?: string): Promise<Pod>;
  /** Deletes the pod; a pod already gone counts as deleted. */
  deletePod(namespace: string, name: string, owner: KubeObject): Promise<void>;
}

/** kube's SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH = 1;

/** A pod object from a controller's template (controller.GetPodFromTemplate). */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, ref: OwnerReference, generateName = `${owner.metadata.name}-`): Pod {
  const meta = template.metadata ?? {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName,
      namespace: owner.metadata.namespace,
      labels: { ...meta.labels },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ref],
    },
    spec: structuredClone(template.spec!),
  };
}

export function kubePodControl(client: KubeClient, recorder: EventRecorder): PodControl {
  const pods = resourceFor("Pod");
  return {
    async createPod(namespace, template, owner, ref, generateName) {
      try {
        const pod = await client.create(pods, namespace, podFromTemplate(template, owner, ref, generateName));
        recorder.event(owner, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name}`);
        return pod;
      } catch (err) {
        recorder.event(owner, "Warning", "FailedCreate", `Error creating: ${(err as Error).message}`);
        throw err;
      }
    },
    async deletePod(namespace, name, owner) {
      try {
        await client.delete(pods, namespace, name);
        recorder.event(owner, "Normal", "SuccessfulDelete", `Deleted pod: ${name}`);
      } catch (err) {
        if (isNotFound(err)) return;
        recorder.event(owner, "Warning", "FailedDelete", `Error deleting: ${(err as Error).message}`);
        throw err;
      }
    },
  };
}

export interface BatchResult {
  successes: number;
  /** The first failure; the batches after the failing one were not attempted. */
  error?: unknown;
}

/**
 * Calls `fn` `count` times in batches of initialBatchSize, 2×, 4×… (controller.slowStartBatch);
 * stops before the next batch once a batch had a failure.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: (i: number) => Promise<void>): Promise<BatchResult> {
  let remaining = count;
  let successes = 0;
  let done = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, i) => fn(done + i)));
    done += batch;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    successes += results.filter((r) => r.status === "fulfilled").length;
    if (failed) return { successes, error: failed.reason };
    remaining -= batch;
  }
  return { successes };
}
