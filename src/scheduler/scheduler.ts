// The scheduler as an API client (kube-scheduler's role): informers on pods and nodes feed the
// scheduling queue and the cache (node state and pod accounting, incrementally in the scorer);
// one loop pops the highest-priority pending pod, filters and scores every node in one call,
// assumes the pod on the winner and starts its binding without waiting for it. A failed binding
// forgets the pod and requeues it; a pod that fits nowhere gets PodScheduled=False
// (Unschedulable) and a FailedScheduling event, and waits for a cluster change.
import { isConflict, isNotFound } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { resourceFor, type ControllerContext, type EventRecorder, type Running } from "../client/index.ts";
import { SchedulerCache } from "./cache.ts";
import { nodeInfoFrom, podQueryFrom } from "./convert.ts";
import { InFlightLimiter } from "./limiter.ts";
import {
  DEFAULT_SCHEDULER_NAME, boundNode, isPendingFor, isTerminal, podConditionPatch, podCreated, podKey, podPriority, podUpdated,
} from "./pod-status.ts";
import { type QueuedPod, SchedulingQueue, type SchedulingQueueOptions } from "./queue.ts";
import { unschedulableCondition, unschedulableMessage } from "./reasons.ts";
import type { Decision, Scorer, ScorerOptions } from "./types.ts";
import { filterByVolumes, podVolumes, type VolumeListers } from "./volume-binding.ts";
import { createWasmScorer } from "./wasm-scorer.ts";
import { SELECTED_NODE_ANNOTATION, type PersistentVolume, type PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { StorageClass } from "../apis/storage/storageclass.ts";
import { REASON_NODE_AFFINITY } from "./reasons.ts";

export interface SchedulerOptions extends ScorerOptions, Omit<SchedulingQueueOptions, "clock"> {
  /** Pods naming another spec.schedulerName are left alone (default "default-scheduler"). */
  schedulerName?: string;
  /** The core to schedule with (default: the wasm scorer with the options above). */
  scorer?: Scorer;
  /** Bindings and status patches in flight at once (default 64). */
  maxInFlight?: number;
  /** Where failed API calls are reported (default console.warn). */
  onError?: (what: string, err: unknown) => void;
}

export interface SchedulerStats {
  scheduled: number;
  bound: number;
  unschedulable: number;
  bindFailures: number;
}

export interface RunningScheduler extends Running {
  /** Resolves true once the informers have synced and the loop runs; false if stopped first. */
  readonly ready: Promise<boolean>;
  readonly stats: SchedulerStats;
}

/** The loop yields to I/O (informer events, binding answers) at least this often. */
const YIELD_EVERY_MS = 5;

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

export function startScheduler(ctx: ControllerContext, opts: SchedulerOptions = {}): RunningScheduler {
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const scorer = opts.scorer ?? createWasmScorer({ scoring: opts.scoring, weights: opts.weights, tieBreak: opts.tieBreak, seed: opts.seed });
  const cache = new SchedulerCache(scorer);
  const queue = new SchedulingQueue(opts);
  const limiter = new InFlightLimiter(opts.maxInFlight ?? 64);
  const recorder: EventRecorder = ctx.recorder(schedulerName);
  const onError = opts.onError ?? ((what: string, err: unknown) => console.warn(`scheduler: ${what}:`, err));
  const stats: SchedulerStats = { scheduled: 0, bound: 0, unschedulable: 0, bindFailures: 0 };
  const podResource = resourceFor("Pod");
  const pods = ctx.informers.informerFor("Pod");
  const nodes = ctx.informers.informerFor("Node");
  const claims = ctx.informers.informerFor<PersistentVolumeClaim>("PersistentVolumeClaim");
  const volumes = ctx.informers.informerFor<PersistentVolume>("PersistentVolume");
  const classes = ctx.informers.informerFor<StorageClass>("StorageClass");
  const volumeListers: VolumeListers = { claims: claims.lister, volumes: volumes.lister, classes: classes.lister };
  const claimResource = resourceFor("PersistentVolumeClaim");
  const abort = new AbortController();

  // Coalesces the cluster changes of one burst (a thousand nodes registering) into one pass
  // over the parked pods.
  let movePending = false;
  const clusterChanged = () => {
    if (movePending) return;
    movePending = true;
    setImmediate(() => {
      movePending = false;
      queue.moveAllToActiveOrBackoff();
    });
  };

  const enqueue = (pod: KubeObject) => {
    if (!isPendingFor(pod, schedulerName) || cache.isAssumed(podKey(pod))) return;
    queue.add(podKey(pod), podPriority(pod), podCreated(pod));
  };

  const account = (pod: KubeObject) => {
    const key = podKey(pod);
    queue.delete(key);
    if (isTerminal(pod)) {
      if (cache.removePod(key)) clusterChanged();
    } else cache.addPod(key, boundNode(pod)!, podQueryFrom(pod));
  };

  const removePodHandlers = pods.addEventHandler({
    onAdd: (pod) => (boundNode(pod) ? account(pod) : enqueue(pod)),
    onUpdate: (oldPod, pod) => {
      if (boundNode(pod)) return account(pod);
      const key = podKey(pod);
      if (!isPendingFor(pod, schedulerName)) return queue.delete(key);
      if (queue.where(key) === undefined) return enqueue(pod);
      if (podUpdated(oldPod, pod)) queue.update(key, podPriority(pod));
    },
    onDelete: (pod) => {
      const key = podKey(pod);
      queue.delete(key);
      if (cache.removePod(key)) clusterChanged();
    },
  });

  const upsertNode = (node: KubeObject) => {
    if (cache.upsertNode(nodeInfoFrom(node))) clusterChanged();
  };
  const removeNodeHandlers = nodes.addEventHandler({
    onAdd: upsertNode,
    onUpdate: (_old, node) => upsertNode(node),
    onDelete: (node) => cache.removeNode(node.metadata.name!),
  });
  // A claim bound or a volume made may let a parked pod fit.
  const storageChanged = { onAdd: clusterChanged, onUpdate: clusterChanged, onDelete: clusterChanged };
  const removeStorageHandlers = [claims, volumes, classes].map((i) => i.addEventHandler(storageChanged));

  function bind(pod: KubeObject, queued: QueuedPod, node: string, toProvision: PersistentVolumeClaim[]): void {
    const { namespace, name, uid } = pod.metadata;
    limiter.run(async () => {
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
        clusterChanged();
        if (isNotFound(err)) return;
        // A conflict (bound meanwhile, or being deleted) is settled at the next pop from the informer's view.
        if (!isConflict(err)) onError(`binding ${queued.key} to ${node}`, err);
        recorder.event(pod, "Warning", "FailedScheduling", `Binding rejected: ${err instanceof Error ? err.message : String(err)}`);
        queue.requeueBackoff(queued);
      }
    });
  }

  /** `preFilter`: a reason that holds for every node (kube's PreFilter failures), said once. */
  function recordUnschedulable(pod: KubeObject, decision: Pick<Decision, "rejections">, preFilter?: string): void {
    const message = preFilter && scorer.nodeCount ? `0/${scorer.nodeCount} nodes are available: ${preFilter}.` : unschedulableMessage(scorer.nodeCount, decision.rejections);
    recorder.event(pod, "Warning", "FailedScheduling", message);
    const patch = podConditionPatch(pod, { ...unschedulableCondition(scorer.nodeCount, decision.rejections, ctx.now()), message });
    if (!patch) return;
    const { namespace, name } = pod.metadata;
    limiter.run(() =>
      ctx.client.patch(podResource, namespace, name!, patch, "strategic", { subresource: "status" }).catch((err) => {
        if (!isNotFound(err)) onError(`recording ${namespace}/${name} unschedulable`, err);
      }),
    );
  }

  function scheduleOne(queued: QueuedPod): void {
    const pod = pods.lister.getByKey(queued.key);
    // The queue may lag the informer: the pod went, got bound, or is already being bound.
    if (!pod || !isPendingFor(pod, schedulerName) || cache.isAssumed(queued.key)) return queue.done(queued.key);
    const vols = podVolumes(pod, volumeListers);
    if (vols.unschedulable) {
      stats.unschedulable++;
      queue.requeueUnschedulable(queued);
      return recordUnschedulable(pod, { rejections: {} }, vols.unschedulable);
    }
    let query = podQueryFrom(pod);
    const byVolumes = vols.filter ? filterByVolumes(query, nodes.lister.list(), vols.filter) : undefined;
    if (byVolumes) query = byVolumes.query;
    const decision = scorer.schedule(query);
    if (decision.node === undefined) {
      // The wasm core saw the volume-rejected nodes as failing the narrowed node affinity: say why.
      // (A node that failed an earlier filter, not ready say, keeps that reason, as in kube-scheduler.)
      for (const [reason, n] of Object.entries(byVolumes?.rejections ?? {})) {
        const moved = Math.min(n, decision.rejections[REASON_NODE_AFFINITY] ?? 0);
        if (!moved) continue;
        decision.rejections[REASON_NODE_AFFINITY]! -= moved;
        if (!decision.rejections[REASON_NODE_AFFINITY]) delete decision.rejections[REASON_NODE_AFFINITY];
        decision.rejections[reason] = (decision.rejections[reason] ?? 0) + moved;
      }
      stats.unschedulable++;
      queue.requeueUnschedulable(queued);
      return recordUnschedulable(pod, decision);
    }
    stats.scheduled++;
    cache.assume(queued.key, query, decision.node);
    queue.done(queued.key);
    bind(pod, queued, decision.node, vols.toProvision);
  }

  async function run(): Promise<boolean> {
    const informers = [pods, nodes, claims, volumes, classes];
    for (const i of informers) i.start();
    const synced = (await Promise.all(informers.map((i) => i.waitForSync(abort.signal)))).every(Boolean);
    if (!synced) return false;
    void loop();
    return true;
  }

  let loopDone: Promise<void> = Promise.resolve();
  function loop(): Promise<void> {
    loopDone = (async () => {
      let lastYield = performance.now();
      for (;;) {
        const queued = queue.tryPop() ?? (await queue.pop());
        if (!queued) return;
        try {
          scheduleOne(queued);
        } catch (err) {
          onError(`scheduling ${queued.key}`, err);
          queue.requeueBackoff(queued);
        }
        if (limiter.full) await limiter.slot();
        if (performance.now() - lastYield >= YIELD_EVERY_MS) {
          await nextTick();
          lastYield = performance.now();
        }
      }
    })();
    return loopDone;
  }

  const ready = run();
  return {
    ready,
    stats,
    async stop() {
      abort.abort();
      queue.close();
      removePodHandlers();
      removeNodeHandlers();
      for (const remove of removeStorageHandlers) remove();
      await ready;
      await loopDone;
      await limiter.idle();
    },
  };
}
