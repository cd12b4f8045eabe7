// The scheduler's writes of a verdict (kube-scheduler's binding cycle and its failure handler):
// a placed pod's PreBind (WaitForFirstConsumer claims learn their node), its Binding and its
// Scheduled event; a pod that fits nowhere gets PodScheduled=False and a FailedScheduling event.
// Every API call runs under the in-flight limiter, so the decision loop never waits on one; a
// binding that fails hands the pod back (forget its assumed room, requeue with back-off).
// Kept apart from scheduler.ts because it is the one part that talks to the API server, and the
// part whose cost per pod the end-to-end bench measures.
import { isConflict, isNotFound } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { SELECTED_NODE_ANNOTATION, type PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import { resourceFor, type ControllerContext, type EventRecorder } from "../client/index.ts";
import type { SchedulerCache } from "./cache.ts";
import type { InFlightLimiter } from "./limiter.ts";
import { podConditionPatch } from "./pod-status.ts";
import type { QueuedPod, SchedulingQueue } from "./queue.ts";
import { unschedulableCondition, unschedulableMessage } from "./reasons.ts";
import type { Decision } from "./types.ts";

export interface BinderStats {
  bound: number;
  bindFailures: number;
}

export interface BinderDeps {
  ctx: ControllerContext;
  recorder: EventRecorder;
  limiter: InFlightLimiter;
  cache: SchedulerCache;
  queue: SchedulingQueue;
  stats: BinderStats;
  /** How many nodes the scorer knows, for "0/N nodes are available". */
  nodeCount: () => number;
  /** Parked pods may fit now (a failed binding frees the room it held). */
  clusterChanged: () => void;
  onError: (what: string, err: unknown) => void;
}

const podResource = resourceFor("Pod");
const claimResource = resourceFor("PersistentVolumeClaim");

export class Binder {
  constructor(private readonly d: BinderDeps) {}

  /** Binds an assumed pod to `node` in the background; `toProvision` are its claims waiting for a node. */
  bind(pod: KubeObject, queued: QueuedPod, node: string, toProvision: PersistentVolumeClaim[]): void {
    const { ctx, recorder, stats, cache, queue } = this.d;
    const { namespace, name, uid } = pod.metadata;
    this.d.limiter.run(async () => {
      try {
        // PreBind: WaitForFirstConsumer claims learn their node, and the binder provisions there.
        for (const pvc of toProvision) {
          const patch = { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: node } } };
          await ctx.client.patch(claimResource, pvc.metadata.namespace, pvc.metadata.name!, patch, "merge");
        }
        await ctx.client.bind(namespace!, name!, node, { podUID: uid });
        stats.bound++;
        // The first line of `kubectl describe pod`'s Events, in kube-scheduler's words.
        recorder.event(pod, "Normal", "Scheduled", `Successfully assigned ${namespace}/${name} to ${node}`);
      } catch (err) {
        stats.bindFailures++;
        cache.forget(queued.key);
        // The room it held is free again for parked pods.
        this.d.clusterChanged();
        if (isNotFound(err)) return;
        // A conflict (bound meanwhile, or being deleted) is settled at the next pop from the informer's view.
        if (!isConflict(err)) this.d.onError(`binding ${queued.key} to ${node}`, err);
        recorder.event(pod, "Warning", "FailedScheduling", `Binding rejected: ${err instanceof Error ? err.message : String(err)}`);
        queue.requeueBackoff(queued);
      }
    });
  }

  /** `preFilter`: a reason that holds for every node (kube's PreFilter failures), said once. */
  recordUnschedulable(pod: KubeObject, decision: Pick<Decision, "rejections">, preFilter?: string, postFilter?: string): void {
    const { ctx, recorder } = this.d;
    const nodeCount = this.d.nodeCount();
    let message = preFilter && nodeCount ? `0/${nodeCount} nodes are available: ${preFilter}.` : unschedulableMessage(nodeCount, decision.rejections);
    if (postFilter && nodeCount) message += ` ${postFilter}`;
    recorder.event(pod, "Warning", "FailedScheduling", message);
    const patch = podConditionPatch(pod, { ...unschedulableCondition(nodeCount, decision.rejections, ctx.now()), message });
    if (!patch) return;
    const { namespace, name } = pod.metadata;
    this.d.limiter.run(() =>
      ctx.client.patch(podResource, namespace, name!, patch, "strategic", { subresource: "status" }).catch((err) => {
        if (!isNotFound(err)) this.d.onError(`recording ${namespace}/${name} unschedulable`, err);
      }),
    );
  }
}
