// The replicaset controller (pkg/controller/replicaset): keeps spec.replicas active pods that
// match the selector. Informer handlers only work out which replicaset a pod change concerns
// and enqueue it; sync(key) reads the caches, claims pods (adopting orphans, releasing pods that
// stopped matching), creates or deletes the difference in slow-start batches, and writes status.
import type { ReplicaSet, ReplicaSetStatus } from "../apis/apps/replicaset.ts";
import type { Pod } from "../apis/core/pod.ts";
import { isPodReady } from "../apis/core/pod.ts";
import { selectorMatches } from "../apis/selector.ts";
import { type EventHandler, type KubeClient, type Lister, objectKey, resourceFor, type ControllerContext, type Running, WorkQueue } from "../client/index.ts";
import { claimObjects, controllerRef, isPodActive, kubeOwnerPatcher, newControllerRef, runController, type OwnerPatcher } from "./controller-utils.ts";
import { Expectations } from "./expectations.ts";
import { kubePodControl, slowStartBatch, SLOW_START_INITIAL_BATCH, type PodControl } from "./pod-control.ts";
import { calculateReplicaSetStatus, nextAvailabilityCheck, podsToDelete, sameReplicaSetStatus } from "./replicaset-status.ts";

/** kube's BurstReplicas: at most this many creates or deletes per sync. */
export const BURST_REPLICAS = 500;

export interface ReplicaSetStatusWriter {
  writeStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<void>;
}

export interface ReplicaSetControllerDeps {
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
  podControl: PodControl;
  owners: OwnerPatcher;
  status: ReplicaSetStatusWriter;
  now: () => Date;
  burstReplicas?: number;
}

const RS = resourceFor("ReplicaSet");
const PODS = resourceFor("Pod");

export class ReplicaSetController {
  readonly queue = new WorkQueue<string>();
  readonly expectations: Expectations;

  constructor(private readonly deps: ReplicaSetControllerDeps) {
    this.expectations = new Expectations(() => deps.now().getTime());
  }

  async sync(key: string): Promise<void> {
    const rs = this.deps.replicaSets.getByKey(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const namespace = rs.metadata.namespace!;
    const needsSync = this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp;
    const active = this.deps.pods.list(namespace).filter(isPodActive);
    const ref = newControllerRef(rs, "apps/v1", "ReplicaSet");
    const pods = await claimObjects(PODS, rs, ref, rs.spec?.selector, active, this.deps.owners);

    let manageError: Error | undefined;
    if (needsSync) manageError = await this.manageReplicas(key, rs, pods).then(() => undefined, (err: Error) => err);

    const now = this.deps.now();
    const status = calculateReplicaSetStatus(rs, pods, manageError, now);
    if (!sameReplicaSetStatus(rs.status, status)) await this.deps.status.writeStatus(rs, status);
    if (manageError) throw manageError;
    // A ready pod turns available only after minReadySeconds; no event marks that moment.
    const wait = nextAvailabilityCheck(pods, rs.spec?.minReadySeconds ?? 0, now);
    if (wait !== undefined) this.queue.addAfter(key, wait + 1);
  }

  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const burst = this.deps.burstReplicas ?? BURST_REPLICAS;
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const namespace = rs.metadata.namespace!;
    if (diff < 0) {
      const count = Math.min(-diff, burst);
      // Expect first: the informer may deliver the new pods before the creates return.
      this.expectations.expectCreations(key, count);
      const ref = newControllerRef(rs, "apps/v1", "ReplicaSet");
      const result = await slowStartBatch(count, SLOW_START_INITIAL_BATCH, async () => {
        await this.deps.podControl.createPod(namespace, rs.spec!.template!, rs, ref);
      });
      // Creates that failed or never ran will not be observed.
      if (result.successes < count) this.expectations.lowerCreations(key, count - result.successes);
      if (result.error) throw result.error;
      // More than one burst: come back for the rest once these are observed.
      if (-diff > burst) this.queue.add(key);
    } else if (diff > 0) {
      const victims = podsToDelete(pods, Math.min(diff, burst));
      this.expectations.expectDeletions(key, victims.map((p) => objectKey(p.metadata)));
      const results = await Promise.allSettled(
        victims.map((p) =>
          this.deps.podControl.deletePod(namespace, p.metadata.name!, rs).catch((err) => {
            this.expectations.deletionObserved(key, objectKey(p.metadata));
            throw err;
          }),
        ),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    }
  }

  /** The controller's replicaset (by ref, uid-checked) for a pod, or undefined. */
  private ownerKey(pod: Pod): string | undefined {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== "ReplicaSet") return undefined;
    const rs = this.deps.replicaSets.get(pod.metadata.namespace, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return undefined;
    return objectKey(rs.metadata);
  }

  /** Orphans may be adopted by any replicaset whose selector matches them. */
  private enqueueMatching(pod: Pod): void {
    for (const rs of this.deps.replicaSets.list(pod.metadata.namespace)) {
      if (selectorMatches(rs.spec?.selector, pod.metadata.labels)) this.queue.add(objectKey(rs.metadata));
    }
  }

  private podDeleted(pod: Pod): void {
    const key = this.ownerKey(pod);
    if (!key) return;
    this.expectations.deletionObserved(key, objectKey(pod.metadata));
    this.queue.add(key);
  }

  readonly replicaSetHandler: EventHandler<ReplicaSet> = {
    onAdd: (rs) => this.queue.add(objectKey(rs.metadata)),
    onUpdate: (_old, rs) => this.queue.add(objectKey(rs.metadata)),
    onDelete: (rs) => {
      const key = objectKey(rs.metadata);
      this.expectations.delete(key);
      this.queue.add(key);
    },
  };

  readonly podHandler: EventHandler<Pod> = {
    onAdd: (pod) => {
      if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
      const key = this.ownerKey(pod);
      if (key) {
        this.expectations.creationObserved(key);
        this.queue.add(key);
      } else if (!controllerRef(pod)) this.enqueueMatching(pod);
    },
    onUpdate: (old, pod) => {
      if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const labelsChanged = !Bun.deepEquals(old.metadata.labels ?? {}, pod.metadata.labels ?? {});
      if (pod.metadata.deletionTimestamp) {
        this.podDeleted(pod);
        if (labelsChanged) this.podDeleted(old);
        return;
      }
      const oldKey = this.ownerKey(old);
      const key = this.ownerKey(pod);
      if (oldKey && oldKey !== key) this.queue.add(oldKey);
      if (key) {
        this.queue.add(key);
        const rs = this.deps.replicaSets.getByKey(key);
        const minReady = rs?.spec?.minReadySeconds ?? 0;
        if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(key, minReady * 1000 + 1);
      } else if (!controllerRef(pod) && (labelsChanged || oldKey)) this.enqueueMatching(pod);
    },
    onDelete: (pod) => this.podDeleted(pod),
  };
}

export function kubeReplicaSetStatusWriter(client: KubeClient): ReplicaSetStatusWriter {
  return {
    async writeStatus(rs, status) {
      // A merge patch of the whole status: no conflict with spec writers, zeros sent explicitly.
      const body = { ...status, conditions: status.conditions ?? null };
      await client.patch(RS, rs.metadata.namespace, rs.metadata.name!, { status: body }, "merge", { subresource: "status" });
    },
  };
}

export interface ReplicaSetControllerOptions {
  workers?: number;
  burstReplicas?: number;
}

export function startReplicaSetController(ctx: ControllerContext, opts: ReplicaSetControllerOptions = {}): Running {
  const rsInformer = ctx.informers.informerFor<ReplicaSet>("ReplicaSet");
  const podInformer = ctx.informers.informerFor<Pod>("Pod");
  const controller = new ReplicaSetController({
    replicaSets: rsInformer.lister,
    pods: podInformer.lister,
    podControl: kubePodControl(ctx.client, ctx.recorder("replicaset-controller")),
    owners: kubeOwnerPatcher(ctx.client),
    status: kubeReplicaSetStatusWriter(ctx.client),
    now: ctx.now,
    burstReplicas: opts.burstReplicas,
  });
  const removers = [rsInformer.addEventHandler(controller.replicaSetHandler), podInformer.addEventHandler(controller.podHandler)];
  return runController(ctx.informers, controller.queue, opts.workers ?? 5, (key) => controller.sync(key), removers);
}
