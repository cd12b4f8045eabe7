// The scheduler as an API client (kube-scheduler's role): informers on pods and nodes feed the
// scheduling queue and the cache (node state and pod accounting, incrementally in the scorer);
// one loop pops the highest-priority pending pod, filters and scores every node in one call,
// assumes the pod on the winner and starts its binding without waiting for it. The API writes of
// a verdict are binder.ts's: a failed binding forgets the pod and requeues it; a pod that fits
// nowhere gets PodScheduled=False (Unschedulable) and a FailedScheduling event, and waits here for
// a cluster change.
import type { PodDisruptionBudget } from "../apis/policy/poddisruptionbudget.ts";
import { isConflict, isNotFound } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { resourceFor, type ControllerContext, type EventRecorder, type Running } from "../client/index.ts";
import { SchedulerCache } from "./cache.ts";
import { nodeInfoFrom, podQueryFrom } from "./convert.ts";
import { InFlightLimiter } from "./limiter.ts";
import { Binder } from "./binder.ts";
import {
  DEFAULT_SCHEDULER_NAME, boundNode, isPendingFor, isTerminal, podConditionPatch, podCreated, podKey, podPriority, podUpdated,
} from "./pod-status.ts";
import { type QueuedPod, SchedulingQueue, type SchedulingQueueOptions } from "./queue.ts";
import type { Decision, PodUsage, Scorer, ScorerOptions } from "./types.ts";
import { filterByVolumes, podVolumes, type VolumeListers } from "./volume-binding.ts";
import { createWasmScorer } from "./wasm-scorer.ts";
import type { PersistentVolume, PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { StorageClass } from "../apis/storage/storageclass.ts";
import { REASON_NODE_AFFINITY } from "./reasons.ts";
import { constrainedQuery, defaultSelectorFor, hasPodPlacementRules, podPlacement, type WorkloadListers } from "./pod-placement.ts";
import { hasPodAffinity, placedPod, type PlacedPod, type TopologySnapshot } from "./pod-topology.ts";
import type { Affinity } from "../apis/core/scheduling.ts";
import { formatTime } from "../apis/time.ts";
import {
  type DisruptionBudgets, NOT_ELIGIBLE_NEVER, NOT_ELIGIBLE_TERMINATING, NOT_HELPFUL, NO_VICTIMS, podDisruptionBudgets,
  PREEMPTION_CONDITION, type PlacedForPreemption, findPreemption,
} from "./preemption.ts";

export interface SchedulerOptions extends ScorerOptions, Omit<SchedulingQueueOptions, "clock"> {
  /** Pods naming another spec.schedulerName are left alone (default "default-scheduler"). */
  schedulerName?: string;
  /** The core to schedule with (default: the wasm scorer with the options above). */
  scorer?: Scorer;
  /** Bindings and status patches in flight at once (default 64). */
  maxInFlight?: number;
  /**
   * Seam for PodDisruptionBudgets in preemption ("respect PDBs where possible"): which victims a
   * budget protects. Default: none (policy/v1 budgets are not consulted yet).
   */
  disruptionBudgets?: DisruptionBudgets;
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
  const namespaces = ctx.informers.informerFor("Namespace");
  const services = ctx.informers.informerFor("Service");
  const replicaSets = ctx.informers.informerFor("ReplicaSet");
  const statefulSets = ctx.informers.informerFor("StatefulSet");
  const workloads: WorkloadListers = { services: services.lister, replicaSets: replicaSets.lister, statefulSets: statefulSets.lister };
  const pdbs = ctx.informers.informerFor<PodDisruptionBudget>("PodDisruptionBudget");
  const budgets = opts.disruptionBudgets ?? podDisruptionBudgets(() => pdbs.lister.list());
  /** Placed pods with pod (anti-)affinity of their own: they bind every other pod's placement. */
  const affinityHolders = new Set<string>();
  /**
   * Pods nominated to a node by preemption and not yet bound: their room there is held for them
   * against pods of no higher priority while their victims terminate (kube's nominator).
   */
  const nominations = new Map<string, { node: string; usage: PodUsage; priority: number }>();
  const trackNomination = (pod: KubeObject) => {
    const key = podKey(pod);
    const node = boundNode(pod) || pod.metadata.deletionTimestamp ? undefined : (pod as { status?: { nominatedNodeName?: string } }).status?.nominatedNodeName;
    if (node) nominations.set(key, { node, usage: podQueryFrom(pod), priority: podPriority(pod) });
    else nominations.delete(key);
  };
  /** Pods parked on a pod-to-pod rule: a pod placed elsewhere may let them fit (upstream's AssignedPodAdd). */
  const waitingOnPods = new Set<string>();
  const abort = new AbortController();
  const binder = new Binder({ ctx, recorder, limiter, cache, queue, stats, nodeCount: () => scorer.nodeCount, clusterChanged: () => clusterChanged(), onError });

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
      affinityHolders.delete(key);
      if (cache.removePod(key)) clusterChanged();
      return;
    }
    if (hasPodAffinity((pod as { spec?: { affinity?: Affinity } }).spec?.affinity)) affinityHolders.add(key);
    else affinityHolders.delete(key);
    const isNew = cache.nodeOf(key) === undefined;
    cache.addPod(key, boundNode(pod)!, podQueryFrom(pod));
    if (isNew && waitingOnPods.size) {
      waitingOnPods.clear();
      clusterChanged();
    }
  };

  const removePodHandlers = pods.addEventHandler({
    onAdd: (pod) => {
      trackNomination(pod);
      return boundNode(pod) ? account(pod) : enqueue(pod);
    },
    onUpdate: (oldPod, pod) => {
      trackNomination(pod);
      if (boundNode(pod)) return account(pod);
      const key = podKey(pod);
      if (!isPendingFor(pod, schedulerName)) return queue.delete(key);
      if (queue.where(key) === undefined) return enqueue(pod);
      if (podUpdated(oldPod, pod)) queue.update(key, podPriority(pod));
    },
    onDelete: (pod) => {
      const key = podKey(pod);
      queue.delete(key);
      affinityHolders.delete(key);
      waitingOnPods.delete(key);
      if (nominations.delete(key)) clusterChanged();
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
  const storageChanged = { onAdd: clusterChanged, onUpdate: clusterChanged, onDelete: clusterChanged };
  // A claim bound or a volume made may let a parked pod fit; so may a namespace's labels (namespaceSelector).
  const removeStorageHandlers = [claims, volumes, classes, namespaces].map((i) => i.addEventHandler(storageChanged));

  /** Every placed pod (bound, or assumed and binding) with the nodes and namespaces, for the pod-to-pod plugins. */
  function topologySnapshot(): TopologySnapshot {
    const placed: PlacedPod[] = [];
    for (const p of pods.lister.list()) {
      if (isTerminal(p)) continue;
      const key = podKey(p);
      const node = boundNode(p) ?? cache.nodeOf(key);
      if (node) placed.push(placedPod(key, p, node));
    }
    return { nodes: nodes.lister.list(), pods: placed, namespaceLabels: (name) => namespaces.lister.get(undefined, name)?.metadata.labels };
  }

  const podPriorityOf = (key: string) => {
    const p = pods.lister.getByKey(key);
    return p ? podPriority(p) : 0;
  };

  /**
   * PostFilter (DefaultPreemption): evicts the lower-priority pods that make room on one node and
   * nominates the pod there; answers the "preemption: ..." part of the message when it cannot.
   * `query` is narrowed by volumes only: the pod-to-pod rules are re-checked with victims gone.
   */
  function preempt(pod: KubeObject, query: ReturnType<typeof podQueryFrom>): string | undefined {
    const spec = (pod as { spec?: { preemptionPolicy?: string } }).spec;
    const status = (pod as { status?: { nominatedNodeName?: string } }).status;
    if (spec?.preemptionPolicy === "Never") return `preemption: ${NOT_ELIGIBLE_NEVER}`;
    const priority = podPriority(pod);
    // Victims still terminating on the nominated node: their room is coming, evict no more.
    const nominated = status?.nominatedNodeName;
    if (nominated && cache.podsOn(nominated).some((k) => pods.lister.getByKey(k)?.metadata.deletionTimestamp && podPriorityOf(k) < priority)) {
      return `preemption: ${NOT_ELIGIBLE_TERMINATING}`;
    }
    const nodeNames = nodes.lister.list().map((n) => n.metadata.name!).filter((n) => scorer.nodeIndex(n) !== undefined);
    const podsOn = (node: string): PlacedForPreemption[] =>
      cache.podsOn(node).flatMap((key) => {
        const p = pods.lister.getByKey(key);
        const usage = cache.usageOf(key);
        // A victim already going gives its room anyway; one not yet in the informer is left alone.
        if (!p || !usage || p.metadata.deletionTimestamp) return [];
        return [{ key, pod: p, node, usage, priority: podPriority(p) }];
      });
    const anyLower = nodeNames.some((n) => podsOn(n).some((p) => p.priority < priority));
    if (!anyLower) {
      // Nothing to evict anywhere: only say which nodes an eviction could have helped (resources, ports, pod rules).
      const empty = { ...query, requests: { cpu: 0, memory: 0, ephemeralStorage: 0 }, nonZero: { cpu: 0, memory: 0 }, hostPorts: [] };
      const helpful = scorer.schedule(empty).feasible;
      const parts = [helpful && `${helpful} ${NO_VICTIMS}`, nodeNames.length - helpful && `${nodeNames.length - helpful} ${NOT_HELPFUL}`].filter(Boolean).sort();
      return `preemption: 0/${nodeNames.length} nodes are available: ${parts.join(", ")}.`;
    }
    const rules = hasPodPlacementRules(pod) || affinityHolders.size > 0;
    const otherRules = rules
      ? (node: string, removed: ReadonlySet<string>) => {
          const snap = topologySnapshot();
          const trimmed = { ...snap, pods: snap.pods.filter((p) => !removed.has(p.key)) };
          const f = podPlacement(pod, query, trimmed, undefined).filter;
          const n = nodes.lister.get(undefined, node);
          return !f || !n || f(n) === undefined;
        }
      : undefined;
    const result = findPreemption({ scorer, query, priority, nodes: nodeNames, podsOn, otherRules, budgets });
    if (!result.node) return `preemption: ${result.message}`;
    const node = result.node;
    const { namespace, name, uid } = pod.metadata;
    limiter.run(async () => {
      try {
        for (const v of result.victims) {
          const patch = podConditionPatch(v.pod, { ...PREEMPTION_CONDITION, lastProbeTime: null, lastTransitionTime: formatTime(ctx.now()) });
          if (patch) await ctx.client.patch(podResource, v.pod.metadata.namespace, v.pod.metadata.name!, patch, "strategic", { subresource: "status" });
          await ctx.client.delete(podResource, v.pod.metadata.namespace, v.pod.metadata.name!, { preconditions: { uid: v.pod.metadata.uid } });
          recorder.event(v.pod, "Normal", "Preempted", `Preempted by pod ${uid} on node ${node}`);
        }
        await ctx.client.patch(podResource, namespace, name!, { status: { nominatedNodeName: node } }, "merge", { subresource: "status" });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) onError(`preempting for ${namespace}/${name} on ${node}`, err);
      }
    });
    return undefined;
  }

  /** Runs the core with the room of nominated pods of at least `priority` (other than `key`) held on their nodes. */
  function scheduleWithNominated(key: string, priority: number, query: ReturnType<typeof podQueryFrom>): Decision {
    if (nominations.size === 0) return scorer.schedule(query);
    const held: [PodUsage, number][] = [];
    for (const [other, n] of nominations) {
      const index = other === key || n.priority < priority ? undefined : scorer.nodeIndex(n.node);
      if (index === undefined) continue;
      scorer.assume(n.usage, index);
      held.push([n.usage, index]);
    }
    try {
      return scorer.schedule(query);
    } finally {
      for (const [usage, index] of held) scorer.forget(usage, index);
    }
  }

  function scheduleOne(queued: QueuedPod): void {
    const pod = pods.lister.getByKey(queued.key);
    // The queue may lag the informer: the pod went, got bound, or is already being bound.
    if (!pod || !isPendingFor(pod, schedulerName) || cache.isAssumed(queued.key)) return queue.done(queued.key);
    const vols = podVolumes(pod, volumeListers);
    if (vols.unschedulable) {
      stats.unschedulable++;
      queue.requeueUnschedulable(queued);
      return binder.recordUnschedulable(pod, { rejections: {} }, vols.unschedulable);
    }
    let query = podQueryFrom(pod);
    // InterPodAffinity and PodTopologySpread (TypeScript, beside the core): only when the pod has
    // such rules, some placed pod's affinity can bind it, or it belongs to a workload (default spreading).
    const defaultSelector = (pod.spec as { topologySpreadConstraints?: unknown[] } | undefined)?.topologySpreadConstraints?.length
      ? undefined
      : defaultSelectorFor(pod, workloads);
    const placement = hasPodPlacementRules(pod) || affinityHolders.size > 0 || defaultSelector
      ? podPlacement(pod, query, topologySnapshot(), defaultSelector)
      : undefined;
    const filters = [vols.filter, placement?.filter].filter((f) => f !== undefined);
    const filter = filters.length === 0 ? undefined : filters.length === 1 ? filters[0]! : (node: KubeObject) => filters[0]!(node) ?? filters[1]!(node);
    const allNodes = filter || placement ? nodes.lister.list() : [];
    const constrained = filter || placement ? constrainedQuery(query, allNodes, filter, placement) : undefined;
    if (constrained) query = constrained.query;
    const decision = scheduleWithNominated(queued.key, podPriority(pod), query);
    if (decision.node === undefined) {
      // The wasm core saw the nodes rejected beside it as failing the narrowed node affinity: say why.
      // (A node that failed an earlier filter, not ready say, keeps that reason, as in kube-scheduler.)
      // (The scorer's rejections are read-only, shared by pods of a class: the message gets a copy.)
      const rejections = { ...decision.rejections };
      for (const [reason, n] of Object.entries(constrained?.rejections ?? {})) {
        const moved = Math.min(n, rejections[REASON_NODE_AFFINITY] ?? 0);
        if (!moved) continue;
        rejections[REASON_NODE_AFFINITY]! -= moved;
        if (!rejections[REASON_NODE_AFFINITY]) delete rejections[REASON_NODE_AFFINITY];
        rejections[reason] = (rejections[reason] ?? 0) + moved;
      }
      stats.unschedulable++;
      if (placement?.filter) waitingOnPods.add(queued.key);
      queue.requeueUnschedulable(queued);
      const postFilter = preempt(pod, vols.filter ? filterByVolumes(podQueryFrom(pod), allNodes.length ? allNodes : nodes.lister.list(), vols.filter).query : podQueryFrom(pod));
      return binder.recordUnschedulable(pod, { rejections }, undefined, postFilter);
    }
    stats.scheduled++;
    cache.assume(queued.key, query, decision.node);
    // A pod just placed may be what a parked pod's affinity or spread waits for.
    if (waitingOnPods.size) {
      waitingOnPods.clear();
      clusterChanged();
    }
    queue.done(queued.key);
    binder.bind(pod, queued, decision.node, vols.toProvision);
  }

  async function run(): Promise<boolean> {
    const informers = [pods, nodes, claims, volumes, classes, namespaces, services, replicaSets, statefulSets];
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
