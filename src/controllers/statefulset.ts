// The StatefulSet controller (pkg/controller/statefulset): pods NAME-0..N-1 with stable names,
// hostnames and claims. OrderedReady creates in ascending order, each Running and Ready before the
// next, deletes in descending order and halts while a pod is unhealthy; Parallel does not wait.
// RollingUpdate replaces pods at or above the partition from the highest ordinal down, at most
// maxUnavailable at a time; OnDelete replaces only pods the user deletes. Claims come from the
// volumeClaimTemplates and outlive their pods unless persistentVolumeClaimRetentionPolicy says Delete.
// Templates are recorded as ControllerRevisions (getStatefulSetRevisions): pods carry their
// revision's name, pods below the partition come back at the current revision's template, and
// old revisions no pod runs are pruned to revisionHistoryLimit (truncateHistory).
import type { ControllerRevision } from "../apis/apps/controllerrevision.ts";
import type { StatefulSet, StatefulSetStatus } from "../apis/apps/statefulset.ts";
import type { PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { OwnerReference } from "../apis/meta.ts";
import { currentRevision, kubeRevisionControl, type RevisionControl, revisionsToPrune, revisionTemplate } from "./controller-history.ts";
import { selectorMatches } from "../apis/selector.ts";
import type { EventHandler, Lister } from "../client/index.ts";
import { objectKey, resourceFor } from "../client/index.ts";
import type { ControllerContext, EventRecorder, Running } from "../client/index.ts";
import { claimObjects, controllerRef, isPodAvailable, newControllerRef, runController, type OwnerPatcher, kubeOwnerPatcher } from "./controller-utils.ts";
import {
  claimsFor, isFailed, isRunningAndReady, isTerminating, newStatefulSetPod, ordinalOf, podName, revisionOf, statefulSetStatus,
} from "./statefulset-util.ts";
import { kubeStatefulPodControl, type StatefulPodControl } from "./statefulset-control.ts";
import { WorkQueue } from "../client/index.ts";

const PODS = resourceFor("Pod");
const REVISIONS = resourceFor("ControllerRevision");

export interface StatefulSetControllerDeps {
  sets: Lister<StatefulSet>;
  pods: Lister<Pod>;
  claims: Lister<PersistentVolumeClaim>;
  revisions: Lister<ControllerRevision>;
  control: StatefulPodControl;
  revisionControl: RevisionControl;
  owners: OwnerPatcher;
  recorder: EventRecorder;
  now: () => Date;
}

/** maxUnavailable as a pod count (a percentage of replicas, rounded down, at least 1). */
function maxUnavailable(set: StatefulSet, replicas: number): number {
  const v = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const n = typeof v === "string" ? Math.floor((Number(v.slice(0, -1)) * replicas) / 100) : v;
  return Math.max(1, n);
}

export class StatefulSetController {
  readonly queue = new WorkQueue<string>();
  constructor(private readonly deps: StatefulSetControllerDeps) {}

  async sync(key: string): Promise<void> {
    const set = this.deps.sets.getByKey(key);
    if (!set || set.metadata.deletionTimestamp) return;
    const ns = set.metadata.namespace!;
    const ref = newControllerRef(set, "apps/v1", "StatefulSet");
    const revisions = await claimObjects(REVISIONS, set, ref, set.spec?.selector, this.deps.revisions.list(ns), this.deps.owners);
    const history = await currentRevision(set, "apps/v1", "StatefulSet", set.spec!.template, set.status?.collisionCount, revisions, this.deps.revisionControl);
    const update = history.current;
    // No recorded current revision (a new set, or one pruned away): the history starts at the update.
    const current = history.old.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    const owned = await claimObjects(PODS, set, ref, set.spec?.selector, this.deps.pods.list(ns), this.deps.owners);
    const error = await this.reconcile(set, owned, ref, current, update).then(() => undefined, (err: Error) => err);
    // Status from the cache after the writes: it catches up, and the events that follow requeue us.
    const pods = this.deps.pods.list(ns).filter((p) => controllerRef(p)?.uid === set.metadata.uid);
    const status = statefulSetStatus(set, pods, current.metadata.name!, update.metadata.name!, history.collisionCount, this.deps.now());
    if (!sameStatus(set.status, status)) await this.deps.control.writeStatus(set, status);
    if (error) throw error;
    const live = new Set([current.metadata.name!, update.metadata.name!, ...pods.map(revisionOf).filter((r): r is string => !!r)]);
    for (const old of revisionsToPrune(history.old, live, set.spec?.revisionHistoryLimit ?? 10, (r) => r.metadata.name)) await this.deps.revisionControl.delete(old);
  }

  /**
   * The pod for `ordinal` (newVersionedStatefulSetPod): below a RollingUpdate partition at the
   * current revision's template, otherwise at the update revision's.
   */
  private versionedPod(set: StatefulSet, ordinal: number, ref: OwnerReference, current: ControllerRevision, update: ControllerRevision): Pod {
    const start = set.spec?.ordinals?.start ?? 0;
    const rolling = set.spec?.updateStrategy;
    const template = revisionTemplate(current);
    if ((rolling?.type ?? "RollingUpdate") === "RollingUpdate" && ordinal < start + (rolling?.rollingUpdate?.partition ?? 0) && template) {
      return newStatefulSetPod({ ...set, spec: { ...set.spec!, template } }, ordinal, current.metadata.name!, ref);
    }
    return newStatefulSetPod(set, ordinal, update.metadata.name!, ref);
  }

  private async reconcile(set: StatefulSet, owned: Pod[], ref: OwnerReference, current: ControllerRevision, update: ControllerRevision): Promise<void> {
    const updateRevision = update.metadata.name!;
    const { control } = this.deps;
    const start = set.spec?.ordinals?.start ?? 0;
    const replicas = set.spec?.replicas ?? 1;
    const ordered = (set.spec?.podManagementPolicy ?? "OrderedReady") === "OrderedReady";
    // Healthy = Running, Ready and available (Ready for minReadySeconds), as kube's isRunningAndAvailable.
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.deps.now();
    const healthy = (p: Pod) => !isTerminating(p) && isRunningAndReady(p) && isPodAvailable(p, minReady, now);
    const byOrdinal = new Map<number, Pod>();
    const condemned: Pod[] = [];
    for (const pod of owned) {
      const ord = ordinalOf(set, pod);
      // A pod not named as a member (adopted by the selector) is left alone, as kube's isMemberOf does.
      if (ord < 0) continue;
      if (ord >= start && ord < start + replicas) byOrdinal.set(ord, pod);
      else condemned.push(pod);
    }
    condemned.sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));

    // Create what is missing and replace failed pods, in ascending order.
    for (let ord = start; ord < start + replicas; ord++) {
      const pod = byOrdinal.get(ord);
      if (!pod) {
        await this.ensureClaims(set, podName(set, ord), ord);
        await control.createPod(set, this.versionedPod(set, ord, ref, current, update));
        if (ordered) return; // the next one waits for this one to be Running and Ready
        continue;
      }
      if (isFailed(pod) && !isTerminating(pod)) {
        await control.deletePod(set, pod);
        if (ordered) return;
        continue;
      }
      if (ordered && !healthy(pod)) return;
      // A claim deleted under a running pod comes back for its next incarnation.
      await this.ensureClaims(set, pod.metadata.name!, ord);
    }

    // Scale down from the highest ordinal, one at a time when ordered, waiting for all to be healthy.
    const unhealthy = [...byOrdinal.values()].some((p) => !healthy(p));
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (ordered) return;
        continue;
      }
      if (ordered && unhealthy) return;
      await control.deletePod(set, pod);
      if (ordered) return;
    }
    await this.deleteScaledClaims(set, owned);

    if (set.spec?.updateStrategy?.type === "OnDelete") return;
    // RollingUpdate: from the highest ordinal down to the partition, replace pods at an older
    // revision, keeping at most maxUnavailable pods unavailable.
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const budget = maxUnavailable(set, replicas);
    // Pods created or replaced in this sync (absent from byOrdinal) are not available yet either.
    let unavailable = 0;
    for (let ord = start; ord < start + replicas; ord++) {
      const pod = byOrdinal.get(ord);
      if (!pod || !healthy(pod)) unavailable++;
    }
    for (let ord = start + replicas - 1; ord >= start + partition; ord--) {
      const pod = byOrdinal.get(ord);
      if (!pod || isTerminating(pod) || revisionOf(pod) === updateRevision) continue;
      if (unavailable >= budget) return;
      await control.deletePod(set, pod);
      unavailable++;
    }
  }

  private async ensureClaims(set: StatefulSet, pod: string, ordinal: number): Promise<void> {
    for (const claim of claimsFor(set, pod, ordinal)) {
      const existing = this.deps.claims.get(set.metadata.namespace, claim.metadata.name!);
      if (existing) {
        if (existing.metadata.deletionTimestamp) throw new Error(`pod ${pod}: claim ${claim.metadata.name} is being deleted`);
        continue;
      }
      // whenDeleted: Delete → the set owns its claims and the garbage collector removes them with it.
      if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === "Delete") {
        claim.metadata.ownerReferences = [{ ...newControllerRef(set, "apps/v1", "StatefulSet"), controller: false }];
      }
      await this.deps.control.createClaim(set, claim, pod);
    }
  }

  /** whenScaled: Delete → once a condemned pod is gone, its claims go too. */
  private async deleteScaledClaims(set: StatefulSet, owned: Pod[]): Promise<void> {
    if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled !== "Delete") return;
    const start = set.spec.ordinals?.start ?? 0;
    const replicas = set.spec.replicas ?? 1;
    const living = new Set(owned.map((p) => p.metadata.name));
    for (const template of set.spec.volumeClaimTemplates ?? []) {
      const prefix = `${template.metadata.name}-${set.metadata.name}-`;
      for (const claim of this.deps.claims.list(set.metadata.namespace)) {
        const name = claim.metadata.name!;
        if (!name.startsWith(prefix) || claim.metadata.deletionTimestamp) continue;
        const ord = ordinalOf(set, { metadata: { name: name.slice(template.metadata.name!.length + 1) } });
        if (ord < 0 || (ord >= start && ord < start + replicas) || living.has(podName(set, ord))) continue;
        await this.deps.control.deleteClaim(set, claim);
      }
    }
  }

  private ownerKey(pod: Pod): string | undefined {
    const ref = controllerRef(pod);
    if (ref?.kind !== "StatefulSet") return undefined;
    const set = this.deps.sets.get(pod.metadata.namespace, ref.name);
    return set && set.metadata.uid === ref.uid ? objectKey(set.metadata) : undefined;
  }

  private enqueuePod = (pod: Pod) => {
    const key = this.ownerKey(pod);
    if (key) return this.queue.add(key);
    if (controllerRef(pod)) return;
    for (const set of this.deps.sets.list(pod.metadata.namespace)) {
      if (selectorMatches(set.spec?.selector, pod.metadata.labels)) this.queue.add(objectKey(set.metadata));
    }
  };

  readonly setHandler: EventHandler<StatefulSet> = {
    onAdd: (s) => this.queue.add(objectKey(s.metadata)),
    onUpdate: (_o, s) => this.queue.add(objectKey(s.metadata)),
  };

  readonly podHandler: EventHandler<Pod> = {
    onAdd: this.enqueuePod,
    onUpdate: (old, pod) => {
      this.enqueuePod(pod);
      const minReady = this.deps.sets.getByKey(this.ownerKey(pod) ?? "")?.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isRunningAndReady(old) && isRunningAndReady(pod)) {
        const key = this.ownerKey(pod);
        if (key) this.queue.addAfter(key, minReady * 1000 + 1);
      }
    },
    onDelete: this.enqueuePod,
  };

  /** A claim deleted while its pod runs is re-made by the next sync of its set. */
  readonly claimHandler: EventHandler<PersistentVolumeClaim> = {
    onDelete: (claim) => {
      for (const set of this.deps.sets.list(claim.metadata.namespace)) this.queue.add(objectKey(set.metadata));
    },
  };
}

function sameStatus(a: StatefulSetStatus | undefined, b: StatefulSetStatus): boolean {
  if (!a) return false;
  return (Object.keys(b) as (keyof StatefulSetStatus)[]).every((k) => k === "conditions" || (a[k] ?? 0) === (b[k] ?? 0));
}

export function startStatefulSetController(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const sets = ctx.informers.informerFor<StatefulSet>("StatefulSet");
  const pods = ctx.informers.informerFor<Pod>("Pod");
  const claims = ctx.informers.informerFor<PersistentVolumeClaim>("PersistentVolumeClaim");
  const revisions = ctx.informers.informerFor<ControllerRevision>("ControllerRevision");
  const recorder = ctx.recorder("statefulset-controller");
  const controller = new StatefulSetController({
    sets: sets.lister,
    pods: pods.lister,
    claims: claims.lister,
    revisions: revisions.lister,
    control: kubeStatefulPodControl(ctx.client, recorder),
    revisionControl: kubeRevisionControl(ctx.client),
    owners: kubeOwnerPatcher(ctx.client),
    recorder,
    now: ctx.now,
  });
  const removers = [sets.addEventHandler(controller.setHandler), pods.addEventHandler(controller.podHandler), claims.addEventHandler(controller.claimHandler)];
  return runController(ctx.informers, controller.queue, opts.workers ?? 5, (k) => controller.sync(k), removers);
}
