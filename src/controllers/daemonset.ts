// The daemonset controller (pkg/controller/daemon): one pod per eligible node. sync(key) records
// the current template as a ControllerRevision, works out for every node whether the daemon
// should run there, creates the missing pods (pinned to their node by node affinity; the
// scheduler binds them), deletes pods on nodes that no longer qualify, replaces failed pods
// after a per-node back-off, rolls out a new template under maxUnavailable / maxSurge (or waits
// for the user under OnDelete), prunes old revisions and writes status.
import type { ControllerRevision } from "../apis/apps/controllerrevision.ts";
import type { DaemonSet, DaemonSetStatus } from "../apis/apps/daemonset.ts";
import type { Node } from "../apis/core/node.ts";
import type { Pod } from "../apis/core/pod.ts";
import { selectorMatches } from "../apis/selector.ts";
import type { EventHandler, KubeClient, Lister } from "../client/index.ts";
import { objectKey, resourceFor } from "../client/index.ts";
import type { ControllerContext, Running } from "../client/index.ts";
import { claimObjects, controllerRef, isPodAvailable, kubeOwnerPatcher, newControllerRef, ownerKeyOf, runController, type OwnerPatcher } from "./controller-utils.ts";
import { currentRevision, hashOf, kubeRevisionControl, type RevisionControl, revisionsToPrune } from "./controller-history.ts";
import { byCreation, calculateDaemonSetStatus, daemonPodTemplate, type NodeFit, nodeOfPod, nodeShouldRunDaemonPod, podHash } from "./daemonset-util.ts";
import { scaledValue } from "./deployment-util.ts";
import { Expectations } from "./expectations.ts";
import { kubePodControl, type PodControl } from "./pod-control.ts";
import { nextAvailabilityCheck } from "./replicaset-status.ts";
import { WorkQueue } from "../client/index.ts";

const PODS = resourceFor("Pod");
const REVISIONS = resourceFor("ControllerRevision");
/** A daemon pod that keeps failing on a node is replaced after 1 s, doubling up to 15 min (kube's failedPodsBackoff). */
const FAILED_POD_BACKOFF_MS = 1000;
const FAILED_POD_BACKOFF_MAX_MS = 15 * 60 * 1000;

export interface DaemonSetControllerDeps {
  daemonSets: Lister<DaemonSet>;
  pods: Lister<Pod>;
  nodes: Lister<Node>;
  revisions: Lister<ControllerRevision>;
  podControl: PodControl;
  revisionControl: RevisionControl;
  owners: OwnerPatcher;
  writeStatus(ds: DaemonSet, status: DaemonSetStatus): Promise<void>;
  now: () => Date;
}

export class DaemonSetController {
  readonly queue = new WorkQueue<string>();
  readonly expectations: Expectations;
  private readonly failedBackoff = new Map<string, { delay: number; until: number }>();

  constructor(private readonly deps: DaemonSetControllerDeps) {
    this.expectations = new Expectations(() => deps.now().getTime());
  }

  async sync(key: string): Promise<void> {
    const ds = this.deps.daemonSets.getByKey(key);
    if (!ds) return void this.expectations.delete(key);
    const ns = ds.metadata.namespace!;
    const ref = newControllerRef(ds, "apps/v1", "DaemonSet");
    const revisions = await claimObjects(REVISIONS, ds, ref, ds.spec?.selector, this.deps.revisions.list(ns), this.deps.owners);
    const history = await currentRevision(ds, "apps/v1", "DaemonSet", ds.spec!.template, ds.status?.collisionCount, revisions, this.deps.revisionControl);
    const hash = hashOf(history.current)!;
    const pods = (await claimObjects(PODS, ds, ref, ds.spec?.selector, this.deps.pods.list(ns), this.deps.owners)).filter((p) => !p.metadata.deletionTimestamp);

    const nodes = this.deps.nodes.list();
    const fits = new Map<string, NodeFit>(nodes.map((n) => [n.metadata.name!, nodeShouldRunDaemonPod(n, ds)]));
    const nodePods = new Map<string, Pod[]>();
    for (const pod of pods) {
      const node = nodeOfPod(pod) ?? "";
      nodePods.set(node, [...(nodePods.get(node) ?? []), pod]);
    }
    if (this.expectations.satisfied(key) && !ds.metadata.deletionTimestamp) {
      await this.manage(key, ds, fits, nodePods, hash);
      if (ds.spec?.updateStrategy?.type !== "OnDelete" && this.expectations.satisfied(key)) await this.rollingUpdate(key, ds, fits, nodePods, hash);
    }
    const now = this.deps.now();
    const status = calculateDaemonSetStatus(ds, fits, nodePods, hash, now);
    if (!Bun.deepEquals(JSON.parse(JSON.stringify(ds.status ?? {})), JSON.parse(JSON.stringify(status)))) await this.deps.writeStatus(ds, status);
    const live = new Set(pods.map(podHash).filter((h): h is string => !!h));
    for (const old of revisionsToPrune(history.old, live, ds.spec?.revisionHistoryLimit ?? 10)) await this.deps.revisionControl.delete(old);
    const wait = nextAvailabilityCheck(pods, ds.spec?.minReadySeconds ?? 0, now);
    if (wait !== undefined) this.queue.addAfter(key, wait + 1);
  }

  /** Creates and deletes pods so each node that should run the daemon runs exactly one. */
  private async manage(key: string, ds: DaemonSet, fits: Map<string, NodeFit>, nodePods: Map<string, Pod[]>, hash: string): Promise<void> {
    const now = this.deps.now().getTime();
    const create: string[] = [];
    const remove: Pod[] = [];
    const surge = scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxSurge, 1, true) > 0 && ds.spec?.updateStrategy?.type !== "OnDelete";
    for (const [node, pods] of nodePods) if (!fits.has(node)) remove.push(...pods); // its node is gone
    for (const [node, fit] of fits) {
      const pods = [...(nodePods.get(node) ?? [])].sort(byCreation);
      if (!fit.shouldContinueRunning || (!fit.shouldRun && pods.length === 0)) {
        remove.push(...pods);
        continue;
      }
      const failed = pods.filter((p) => p.status?.phase === "Failed");
      const running = pods.filter((p) => p.status?.phase !== "Failed");
      for (const pod of failed) {
        const b = this.failedBackoff.get(`${key}/${node}`);
        if (b && b.until > now) {
          this.queue.addAfter(key, b.until - now + 1);
          continue;
        }
        const delay = b ? Math.min(b.delay * 2, FAILED_POD_BACKOFF_MAX_MS) : FAILED_POD_BACKOFF_MS;
        this.failedBackoff.set(`${key}/${node}`, { delay, until: now + delay });
        remove.push(pod);
      }
      if (fit.shouldRun && running.length === 0 && failed.length === 0) create.push(node);
      // Several on one node: keep the oldest (with maxSurge, an old and a new one during the update).
      const keep = surge ? [running.find((p) => podHash(p) !== hash), running.find((p) => podHash(p) === hash)] : [running[0]];
      remove.push(...running.filter((p) => !keep.includes(p)));
    }
    await this.syncNodes(key, ds, create, remove, hash);
  }

  /** RollingUpdate: old pods go at most maxUnavailable at a time, or new ones surge in first. */
  private async rollingUpdate(key: string, ds: DaemonSet, fits: Map<string, NodeFit>, nodePods: Map<string, Pod[]>, hash: string): Promise<void> {
    const now = this.deps.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const nodes = [...fits].filter(([, f]) => f.shouldRun).map(([n]) => n);
    const rolling = ds.spec?.updateStrategy?.rollingUpdate;
    const maxSurge = scaledValue(rolling?.maxSurge, nodes.length, true);
    const maxUnavailable = maxSurge === 0 ? Math.max(1, scaledValue(rolling?.maxUnavailable, nodes.length, true)) : 0;
    const available = (p: Pod | undefined) => !!p && isPodAvailable(p, minReady, now);
    const create: string[] = [];
    const remove: Pod[] = [];
    if (maxSurge === 0) {
      let unavailable = nodes.filter((n) => !(nodePods.get(n) ?? []).some(available)).length;
      for (const node of nodes) {
        const old = (nodePods.get(node) ?? []).find((p) => podHash(p) !== hash);
        if (!old) continue;
        // An old pod that isn't available costs nothing to replace.
        if (!available(old)) remove.push(old);
        else if (unavailable < maxUnavailable) {
          remove.push(old);
          unavailable++;
        }
      }
    } else {
      let surging = nodes.filter((n) => (nodePods.get(n) ?? []).some((p) => podHash(p) === hash) && (nodePods.get(n) ?? []).some((p) => podHash(p) !== hash)).length;
      for (const node of nodes) {
        const pods = nodePods.get(node) ?? [];
        const old = pods.find((p) => podHash(p) !== hash);
        const fresh = pods.find((p) => podHash(p) === hash);
        if (!old) continue;
        if (fresh && available(fresh)) remove.push(old);
        else if (!fresh && surging < maxSurge) {
          create.push(node);
          surging++;
        }
      }
    }
    await this.syncNodes(key, ds, create, remove, hash);
  }

  private async syncNodes(key: string, ds: DaemonSet, nodes: string[], remove: Pod[], hash: string): Promise<void> {
    if (nodes.length === 0 && remove.length === 0) return;
    const ns = ds.metadata.namespace!;
    const ref = newControllerRef(ds, "apps/v1", "DaemonSet");
    if (nodes.length) this.expectations.expectCreations(key, nodes.length);
    else this.expectations.expectDeletions(key, remove.map((p) => objectKey(p.metadata)));
    const results = await Promise.allSettled([
      ...nodes.map((node) =>
        this.deps.podControl.createPod(ns, daemonPodTemplate(ds, hash, node), ds, ref).catch((err) => {
          this.expectations.lowerCreations(key, 1);
          throw err;
        }),
      ),
      ...remove.map((p) =>
        this.deps.podControl.deletePod(ns, p.metadata.name!, ds).catch((err) => {
          this.expectations.deletionObserved(key, objectKey(p.metadata));
          throw err;
        }),
      ),
    ]);
    // Creations and deletions in one pass: deletions are tracked by the next sync's expectations.
    if (nodes.length && remove.length) this.queue.add(key);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  private ownerKey(pod: Pod): string | undefined {
    return ownerKeyOf(pod, "DaemonSet", this.deps.daemonSets);
  }

  enqueueAll(): void {
    for (const ds of this.deps.daemonSets.list()) this.queue.add(objectKey(ds.metadata));
  }

  readonly podHandler: EventHandler<Pod> = {
    onAdd: (pod) => {
      const key = this.ownerKey(pod);
      if (key) {
        this.expectations.creationObserved(key);
        this.queue.add(key);
      } else if (!controllerRef(pod)) this.enqueueMatching(pod);
    },
    onUpdate: (old, pod) => {
      const key = this.ownerKey(pod);
      if (key && pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.expectations.deletionObserved(key, objectKey(pod.metadata));
      if (key) this.queue.add(key);
      else if (!controllerRef(pod)) this.enqueueMatching(pod);
      const oldKey = this.ownerKey(old);
      if (oldKey && oldKey !== key) this.queue.add(oldKey);
    },
    onDelete: (pod) => {
      const key = this.ownerKey(pod);
      if (!key) return;
      this.expectations.deletionObserved(key, objectKey(pod.metadata));
      this.queue.add(key);
    },
  };

  private enqueueMatching(pod: Pod): void {
    for (const ds of this.deps.daemonSets.list(pod.metadata.namespace)) {
      if (selectorMatches(ds.spec?.selector, pod.metadata.labels)) this.queue.add(objectKey(ds.metadata));
    }
  }
}

export function startDaemonSetController(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const dsInformer = ctx.informers.informerFor<DaemonSet>("DaemonSet");
  const podInformer = ctx.informers.informerFor<Pod>("Pod");
  const nodeInformer = ctx.informers.informerFor<Node>("Node");
  const revInformer = ctx.informers.informerFor<ControllerRevision>("ControllerRevision");
  const client: KubeClient = ctx.client;
  const c = new DaemonSetController({
    daemonSets: dsInformer.lister,
    pods: podInformer.lister,
    nodes: nodeInformer.lister,
    revisions: revInformer.lister,
    podControl: kubePodControl(client, ctx.recorder("daemonset-controller")),
    revisionControl: kubeRevisionControl(client),
    owners: kubeOwnerPatcher(client),
    // A merge patch of the whole status, as the replicaset controller writes it.
    writeStatus: async (ds, status) => void (await client.patch(resourceFor("DaemonSet"), ds.metadata.namespace, ds.metadata.name!, { status }, "merge", { subresource: "status" })),
    now: ctx.now,
  });
  const removers = [
    dsInformer.addEventHandler({ onAdd: (ds) => c.queue.add(objectKey(ds.metadata)), onUpdate: (_o, ds) => c.queue.add(objectKey(ds.metadata)), onDelete: (ds) => c.expectations.delete(objectKey(ds.metadata)) }),
    podInformer.addEventHandler(c.podHandler),
    // Node changes (labels, taints, joins, leaves) can change where daemons belong.
    nodeInformer.addEventHandler({ onAdd: () => c.enqueueAll(), onUpdate: (o, n) => void (Bun.deepEquals(o.spec, n.spec) && Bun.deepEquals(o.metadata.labels, n.metadata.labels) ? undefined : c.enqueueAll()), onDelete: () => c.enqueueAll() }),
  ];
  return runController(ctx.informers, c.queue, opts.workers ?? 2, (key) => c.sync(key), removers);
}
