// The node lifecycle controller: watches each node's heartbeat (its Lease in kube-node-lease
// and its posted status). A node silent for longer than the grace period gets Ready=Unknown;
// Ready False/Unknown and cordon become taints; pods that do not tolerate a node's NoExecute
// taints are evicted once their tolerationSeconds run out. It also does pod GC's part for
// nodes that cannot confirm a deletion: terminating pods on a node that is not Ready, and pods
// bound to a node that no longer exists, are force-deleted — the latter, as kube's PodGC, only
// once the node has been missing for the quarantine (40 s): a node deleted and registered again
// meanwhile keeps its pods, and a pod created bound to a node about to register is not lost.
import type { Lease, Node, Pod } from "../apis/index.ts";
import { resourceFor, type ControllerContext, type Running, WorkQueue, warnUnlessConflict } from "../client/index.ts";
import { runController, type Controller } from "./controller-utils.ts";
import { evictionTime } from "./node-eviction.ts";
import { observeHealth, readyCondition, reconcileTaints, silentNodeConditions, type NodeHealth } from "./node-health.ts";
import { formatTime } from "../apis/time.ts";
import { isConflict, isNotFound } from "../apis/errors.ts";

export interface NodeLifecycleOptions {
  /** How long a node may stay silent before it is Ready=Unknown (default 40 s). */
  nodeMonitorGracePeriodSeconds?: number;
  /** Caps pods' bounded tolerationSeconds for the not-ready/unreachable taints (tests set it short). */
  podEvictionTimeoutSeconds?: number;
  /** How often every node is checked (default 5 s). */
  monitorPeriodMs?: number;
  /** How long a node must be missing before pods bound to it are deleted (kube's PodGC quarantine, default 40 s). */
  orphanQuarantineSeconds?: number;
}

export const NODE_LEASE_NAMESPACE = "kube-node-lease";
const NODE_NAME_INDEX = "node-lifecycle-node-name";
const WORKERS = 2;
const nodeResource = resourceFor("Node");
const podResource = resourceFor("Pod");

/** Its handlers added to the shared informers; runController (or a test) runs its sync. */
export function newNodeLifecycleController(ctx: ControllerContext, opts: NodeLifecycleOptions = {}): Controller & { nodeNames(): Iterable<string>; needsSync(name: string): boolean } {
  const graceMs = (opts.nodeMonitorGracePeriodSeconds ?? 40) * 1000;
  const quarantineMs = (opts.orphanQuarantineSeconds ?? 40) * 1000;
  /** When each node with pods bound to it was first found missing. */
  const missingSince = new Map<string, number>();
  const queue = new WorkQueue<string>();
  const recorder = ctx.recorder("node-controller");
  const nodes = ctx.informers.informerFor<Node>("Node");
  // The process's one Lease informer (the garbage collector watches every Lease already), as
  // kube's controller reads the shared one: a second, namespaced watch would bring every
  // renewal twice. Leases elsewhere (leader election's) are passed over by the handler.
  const leases = ctx.informers.informerFor<Lease>("Lease");
  const pods = ctx.informers.informerFor<Pod>("Pod");
  pods.addIndexer(NODE_NAME_INDEX, (pod) => ((pod as Pod).spec?.nodeName ? [(pod as Pod).spec!.nodeName!] : []));
  const health = new Map<string, NodeHealth>();

  const byName = (obj: { metadata: { name?: string } }) => obj.metadata.name && queue.add(obj.metadata.name);
  const byLease = (lease: Lease) => lease.metadata.namespace === NODE_LEASE_NAMESPACE && byName(lease);
  // A pod's change matters to its node's sync only where that sync acts on pods: a node gone
  // (pod GC), not Ready (terminating pods) or tainted NoExecute (eviction). A Ready node without
  // such taints has its health and taints looked after by its own, its Lease's and the periodic
  // events; syncing it for each of its pods' writes did nothing more.
  const byPodNode = (pod: Pod) => {
    const name = pod.spec?.nodeName;
    if (!name) return;
    const node = nodes.lister.get(undefined, name);
    if (!node || actsOnPods(node)) queue.add(name);
  };
  const removers = [
    nodes.addEventHandler({ onAdd: byName, onUpdate: (_, n) => byName(n), onDelete: byName }),
    leases.addEventHandler({ onAdd: byLease, onUpdate: (_, l) => byLease(l) }),
    pods.addEventHandler({ onAdd: byPodNode, onUpdate: (_, p) => byPodNode(p) }),
  ];

  const podsOn = (name: string) => pods.lister.byIndex(NODE_NAME_INDEX, name);

  async function forceDelete(pod: Pod): Promise<void> {
    try {
      await ctx.client.delete(podResource, pod.metadata.namespace, pod.metadata.name!, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** Pod GC for a node that is gone: its pods can never be confirmed stopped. */
  async function collectOrphans(name: string): Promise<void> {
    health.delete(name);
    const orphans = podsOn(name);
    if (orphans.length === 0) return void missingSince.delete(name);
    try {
      await ctx.client.get(nodeResource, undefined, name);
      missingSince.delete(name);
      return; // the cache lags: the node exists
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const now = ctx.now().getTime();
    const since = missingSince.get(name) ?? now;
    missingSince.set(name, since);
    if (now - since < quarantineMs) return void queue.addAfter(name, since + quarantineMs - now);
    missingSince.delete(name);
    for (const pod of orphans) await forceDelete(pod);
  }

  /**
   * Notes what the node and its Lease show now (kube's tryUpdateNodeHealth) and, while it is not
   * silent past the grace period, times its next check for when it would be; returns how long it
   * has been silent.
   */
  function observe(name: string, node: Node, now: number): number {
    missingSince.delete(name);
    const seen = observeHealth(health.get(name), node, leases.lister.get(NODE_LEASE_NAMESPACE, name), now);
    health.set(name, seen);
    const silentFor = now - seen.probeTimestamp;
    if (silentFor <= graceMs) queue.addAfter(name, graceMs - silentFor + 1);
    return silentFor;
  }

  /**
   * The periodic pass's look at one node, done in place as kube's monitorNodeHealth does (its
   * health noted as sync notes it) rather than a trip through the queue for every node every
   * pass: true when sync has more to do — the node is gone, silent past the grace period, its
   * managed taints are out of line, or it acts on its pods.
   */
  function needsSync(name: string): boolean {
    const node = nodes.lister.get(undefined, name);
    if (!node) return true;
    if (observe(name, node, ctx.now().getTime()) > graceMs) return true;
    // The time is only written into taints added, and here only whether any change is asked.
    return reconcileTaints(node, "") !== undefined || actsOnPods(node);
  }

  async function sync(name: string): Promise<void> {
    const node = nodes.lister.get(undefined, name);
    if (!node) return collectOrphans(name);
    const now = ctx.now().getTime();
    const silentFor = observe(name, node, now);
    if (silentFor > graceMs) {
      const conditions = silentNodeConditions(node, formatTime(now));
      if (conditions) {
        // Written against the cached version: a fresher status from the agent wins with a 409.
        await ctx.client.updateStatus(nodeResource, { ...structuredClone(node), status: { ...node.status, conditions } });
        recorder.event(node, "Normal", "NodeNotReady", `Node ${name} status is now: NodeNotReady`);
        return; // the update comes back as an event and a new sync
      }
    }

    const taints = reconcileTaints(node, formatTime(now));
    if (taints) {
      await ctx.client.patch(nodeResource, undefined, name, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: taints.length ? taints : null } }, "merge");
      return;
    }

    if (!actsOnPods(node)) return;
    const ready = readyCondition(node)?.status === "True";
    let nextEviction = Infinity;
    for (const pod of podsOn(name)) {
      if (pod.metadata.deletionTimestamp) {
        // Nobody on a node that is not Ready will confirm this pod stopped (pod GC's gcTerminating).
        if (!ready) await forceDelete(pod);
        continue;
      }
      const at = evictionTime(pod, node.spec?.taints ?? [], now, opts.podEvictionTimeoutSeconds);
      if (at === undefined) continue;
      if (at > now) {
        nextEviction = Math.min(nextEviction, at);
        continue;
      }
      recorder.event(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
      try {
        await ctx.client.delete(podResource, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    if (nextEviction < Infinity) queue.addAfter(name, nextEviction - now);
  }

  // 409s are optimistic concurrency doing its job: the key is retried without a warning.
  return { queue, sync, needsSync, removers, onError: warnUnlessConflict("node lifecycle"), nodeNames: () => nodes.cache.keys() };
}

/** Whether a node's sync has anything to do for its pods: force-deletes when not Ready, evictions under NoExecute taints. */
function actsOnPods(node: Node): boolean {
  return readyCondition(node)?.status !== "True" || (node.spec?.taints ?? []).some((t) => t.effect === "NoExecute");
}

export function startNodeLifecycleController(ctx: ControllerContext, opts: NodeLifecycleOptions = {}): Running {
  const c = newNodeLifecycleController(ctx, opts);
  const running = runController(ctx.informers, c.queue, WORKERS, c.sync, c.removers, { onError: c.onError });
  // The periodic pass catches nodes that went silent: silence produces no events. A node with
  // nothing to do is looked at in place; the others are synced.
  const ticker = setInterval(() => {
    for (const name of c.nodeNames()) if (c.needsSync(name)) c.queue.add(name);
  }, opts.monitorPeriodMs ?? 5_000);
  return {
    stop() {
      clearInterval(ticker);
      return running.stop();
    },
  };
}
