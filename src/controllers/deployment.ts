// The deployment controller (pkg/controller/deployment): a deployment owns one replicaset per
// pod template, named <deployment>-<pod-template-hash>; the one matching the current template is
// "new", the rest are "old". sync(key) claims replicasets, finds or creates the new one, moves
// replicas from old to new by the strategy's plan (deployment-rolling.ts), prunes history and
// writes status and conditions so `kubectl rollout status` ends exactly when the rollout does.
import type { Deployment, DeploymentStatus } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import type { Pod } from "../apis/core/pod.ts";
import { selectorMatches } from "../apis/selector.ts";
import { type EventHandler, type KubeClient, type Lister, objectKey, resourceFor, type ControllerContext, type EventRecorder, type Running, WorkQueue } from "../client/index.ts";
import { claimObjects, controllerKeyOf, controllerRef, isPodActive, kubeOwnerPatcher, newControllerRef, runController, type OwnerPatcher } from "./controller-utils.ts";
import { isScalingEvent, proportionalScale, recreateOldScaleDown, rollingNewReplicas, rollingOldScaleDown, type ScalePlan } from "./deployment-rolling.ts";
import { syncRolloutStatus, statusChanged, withPausedCondition } from "./deployment-status.ts";
import {
  calculateDeploymentStatus,
  computeHash,
  condition,
  deploymentComplete,
  equalIgnoreHash,
  maxRevision,
  newCondition,
  newReplicaSetAnnotations,
  POD_TEMPLATE_HASH,
  resolveFenceposts,
  REVISION,
  revisionOf,
  setCondition,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
} from "./deployment-util.ts";
import { isAlreadyExists, isNotFound } from "../apis/errors.ts";

const RS = resourceFor("ReplicaSet");
const DEPLOYMENTS = resourceFor("Deployment");

/** The writes the deployment controller makes; kubeDeploymentWriter sends them to the API. */
export interface DeploymentWriter {
  createReplicaSet(rs: ReplicaSet): Promise<ReplicaSet>;
  getReplicaSet(namespace: string, name: string): Promise<ReplicaSet>;
  /** Merge-patches a replicaset (spec.replicas, annotations, minReadySeconds). */
  patchReplicaSet(rs: ReplicaSet, patch: object): Promise<ReplicaSet>;
  deleteReplicaSet(rs: ReplicaSet): Promise<void>;
  patchDeployment(d: Deployment, patch: object): Promise<Deployment>;
  writeStatus(d: Deployment, status: DeploymentStatus): Promise<void>;
}

export interface DeploymentControllerDeps {
  deployments: Lister<Deployment>;
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
  writer: DeploymentWriter;
  owners: OwnerPatcher;
  recorder: EventRecorder;
  now: () => Date;
}

interface Working {
  d: Deployment;
  /** Conditions decided during this sync; folded into the status written at the end. */
  status: DeploymentStatus;
}

export class DeploymentController {
  readonly queue = new WorkQueue<string>();

  constructor(private readonly deps: DeploymentControllerDeps) {}

  async sync(key: string): Promise<void> {
    const d = this.deps.deployments.getByKey(key);
    if (!d) return;
    const w: Working = { d, status: structuredClone(d.status ?? {}) };
    const selector = d.spec?.selector;
    if (!selector || (!Object.keys(selector.matchLabels ?? {}).length && !selector.matchExpressions?.length)) {
      this.deps.recorder.event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
      return;
    }
    const rsList = await this.claimReplicaSets(d);
    if (d.metadata.deletionTimestamp) return this.finish(w, rsList, this.findNewReplicaSet(d, rsList));

    w.status = withPausedCondition(d, w.status, this.deps.now());
    if (d.spec?.paused || isScalingEvent(d, rsList)) return this.syncScale(w, rsList);
    if (d.spec?.strategy?.type === "Recreate") return this.rolloutRecreate(w, rsList);
    return this.rolloutRolling(w, rsList);
  }

  /** Paused, or spec.replicas changed: resize what exists, make nothing new. */
  private async syncScale(w: Working, rsList: ReplicaSet[]): Promise<void> {
    let newRS = await this.syncNewReplicaSet(w, rsList, false);
    const oldRSs = rsList.filter((rs) => rs.metadata.name !== newRS?.metadata.name);
    const all = await this.applyPlan(w.d, [...(newRS ? [newRS] : []), ...oldRSs], proportionalScale(w.d, newRS, oldRSs));
    newRS = newRS && all.find((rs) => rs.metadata.name === newRS!.metadata.name);
    if (w.d.spec?.paused) await this.cleanupOld(w.d, all.filter((rs) => rs !== newRS));
    await this.finish(w, all, newRS, false);
  }

  private async rolloutRolling(w: Working, rsList: ReplicaSet[]): Promise<void> {
    const d = w.d;
    let all = rsList;
    let newRS = await this.syncNewReplicaSet(w, rsList, true);
    if (newRS && !all.includes(newRS)) all = [...all.filter((rs) => rs.metadata.name !== newRS!.metadata.name), newRS];
    const target = rollingNewReplicas(d, all, newRS);
    if (newRS && target !== newRS.spec?.replicas) all = await this.applyPlan(d, all, new Map([[newRS.metadata.name!, target]]));
    newRS = all.find((rs) => rs.metadata.name === newRS?.metadata.name);
    const oldRSs = all.filter((rs) => rs !== newRS);
    all = await this.applyPlan(d, all, rollingOldScaleDown(d, all, oldRSs, newRS));
    newRS = all.find((rs) => rs.metadata.name === newRS?.metadata.name);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanupOld(d, all.filter((rs) => rs !== newRS));
    await this.finish(w, all, newRS);
  }

  private async rolloutRecreate(w: Working, rsList: ReplicaSet[]): Promise<void> {
    const d = w.d;
    let newRS = await this.syncNewReplicaSet(w, rsList, false);
    let all = await this.applyPlan(d, rsList, recreateOldScaleDown(rsList.filter((rs) => rs.metadata.name !== newRS?.metadata.name)));
    const oldNames = new Set(all.filter((rs) => rs.metadata.name !== newRS?.metadata.name).map((rs) => rs.metadata.uid));
    // Old pods must be gone (not merely told to go) before any new one starts.
    const oldPodsRunning = this.deps.pods.list(d.metadata.namespace).some((p) => {
      const ref = controllerRef(p);
      return ref?.kind === "ReplicaSet" && oldNames.has(ref.uid) && (p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    });
    if (oldPodsRunning || all.some((rs) => oldNames.has(rs.metadata.uid) && (rs.status?.replicas ?? 0) > 0)) return this.finish(w, all, newRS);
    newRS ??= await this.syncNewReplicaSet(w, all, true);
    if (newRS && !all.some((rs) => rs.metadata.name === newRS!.metadata.name)) all = [...all, newRS];
    all = await this.applyPlan(d, all, new Map([[newRS!.metadata.name!, d.spec?.replicas ?? 1]]));
    newRS = all.find((rs) => rs.metadata.name === newRS!.metadata.name);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanupOld(d, all.filter((rs) => rs !== newRS));
    await this.finish(w, all, newRS);
  }

  /** Adopts orphaned replicasets the selector matches and releases owned ones it no longer does. */
  private claimReplicaSets(d: Deployment): Promise<ReplicaSet[]> {
    const candidates = this.deps.replicaSets.list(d.metadata.namespace);
    return claimObjects(RS, d, newControllerRef(d, "apps/v1", "Deployment"), d.spec?.selector, candidates, this.deps.owners);
  }

  /** The oldest replicaset whose template is the deployment's (FindNewReplicaSet). */
  private findNewReplicaSet(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
    const matching = rsList.filter((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
    matching.sort((a, b) => (Date.parse(a.metadata.creationTimestamp ?? "") || 0) - (Date.parse(b.metadata.creationTimestamp ?? "") || 0));
    return matching[0];
  }

  /**
   * getNewReplicaSet: brings the new replicaset's revision and annotations up to date, or
   * creates it when `create` is set. The deployment's revision annotation follows it.
   */
  private async syncNewReplicaSet(w: Working, rsList: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const { d } = w;
    const now = this.deps.now();
    const existing = this.findNewReplicaSet(d, rsList);
    const revision = maxRevision(rsList.filter((rs) => rs !== existing)) + 1;
    const { maxSurge } = resolveFenceposts(d);
    if (existing) {
      const annotations = newReplicaSetAnnotations(d, existing, revision, maxSurge);
      let rs = existing;
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (!Bun.deepEquals(annotations, existing.metadata.annotations ?? {}) || (existing.spec?.minReadySeconds ?? 0) !== minReady) {
        rs = await this.deps.writer.patchReplicaSet(existing, { metadata: { annotations }, spec: { minReadySeconds: minReady } });
      }
      await this.syncDeploymentRevision(d, revisionOf(rs));
      if (!condition(w, "Progressing") && d.spec?.progressDeadlineSeconds !== undefined) {
        w.status = setCondition(w.status, newCondition("Progressing", "True", "FoundNewReplicaSet", `Found new replica set "${rs.metadata.name}"`, now));
      }
      return rs;
    }
    if (!create) return undefined;

    const hash = computeHash(d.spec!.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
    const replicas = d.spec?.strategy?.type === "Recreate" ? (d.spec?.replicas ?? 1) : rollingNewReplicas(d, rsList, undefined);
    const rs: ReplicaSet = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: newReplicaSetAnnotations(d, undefined, revision, maxSurge),
        ownerReferences: [newControllerRef(d, "apps/v1", "Deployment")],
      },
      spec: {
        replicas,
        minReadySeconds: d.spec?.minReadySeconds ?? 0,
        selector: { ...d.spec!.selector, matchLabels: { ...d.spec!.selector.matchLabels, [POD_TEMPLATE_HASH]: hash } },
        template,
      },
    };
    let created: ReplicaSet;
    try {
      created = await this.deps.writer.createReplicaSet(rs);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Same name: ours with this template (a lagging cache) is fine; anything else is a hash collision.
      const other = await this.deps.writer.getReplicaSet(d.metadata.namespace!, rs.metadata.name!);
      if (controllerRef(other)?.uid === d.metadata.uid && equalIgnoreHash(other.spec?.template, d.spec?.template)) return other;
      await this.deps.writer.writeStatus(d, { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 });
      throw new Error(`hash collision for replicaset ${rs.metadata.name}; collisionCount bumped`);
    }
    if (replicas > 0) this.deps.recorder.event(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
    await this.syncDeploymentRevision(d, revision);
    w.status = setCondition(w.status, newCondition("Progressing", "True", "NewReplicaSetCreated", `Created new replica set "${created.metadata.name}"`, now));
    return created;
  }

  private async syncDeploymentRevision(d: Deployment, revision: number): Promise<void> {
    if (revision > 0 && d.metadata.annotations?.[REVISION] !== String(revision)) {
      await this.deps.writer.patchDeployment(d, { metadata: { annotations: { [REVISION]: String(revision) } } });
    }
  }

  /** Scales the planned replicasets (with their desired/max annotations); returns the list updated. */
  private async applyPlan(d: Deployment, all: ReplicaSet[], plan: ScalePlan): Promise<ReplicaSet[]> {
    if (plan.size === 0) return all;
    const { maxSurge } = resolveFenceposts(d);
    const desired = d.spec?.replicas ?? 1;
    const annotations = { [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(desired + maxSurge) };
    return Promise.all(
      all.map(async (rs) => {
        const target = plan.get(rs.metadata.name!);
        if (target === undefined) return rs;
        const from = rs.spec?.replicas ?? 0;
        const sameAnnotations = Object.entries(annotations).every(([k, v]) => rs.metadata.annotations?.[k] === v);
        if (from === target && sameAnnotations) return rs;
        const scaled = await this.deps.writer.patchReplicaSet(rs, { metadata: { annotations }, spec: { replicas: target } });
        if (from !== target) {
          const verb = target > from ? "up" : "down";
          this.deps.recorder.event(d, "Normal", "ScalingReplicaSet", `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${target}`);
        }
        return scaled;
      }),
    );
  }

  /** revisionHistoryLimit: delete the oldest fully scaled-down old replicasets beyond the limit. */
  private async cleanupOld(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
    const excess = cleanable.length - limit;
    for (const rs of cleanable.slice(0, Math.max(0, excess))) {
      if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec?.replicas ?? 0) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      await this.deps.writer.deleteReplicaSet(rs);
    }
  }

  /** Computes status (and, for rollouts, the Progressing condition), writes it if it changed, and requeues for the deadline. */
  private async finish(w: Working, all: ReplicaSet[], newRS: ReplicaSet | undefined, rollout = true): Promise<void> {
    const now = this.deps.now();
    let status = calculateDeploymentStatus({ ...w.d, status: w.status }, all, newRS, now);
    let requeueIn: number | undefined;
    if (rollout) ({ status, requeueIn } = syncRolloutStatus(w.d, status, newRS, now));
    if (statusChanged(w.d.status, status)) await this.deps.writer.writeStatus(w.d, status);
    if (requeueIn !== undefined) this.queue.addAfter(objectKey(w.d.metadata), Math.max(requeueIn, 0) + 1);
  }

  private enqueueOwnerOf(rs: ReplicaSet): void {
    const key = controllerKeyOf(rs, "Deployment");
    if (key) return this.queue.add(key);
    if (controllerRef(rs)) return;
    for (const d of this.deps.deployments.list(rs.metadata.namespace)) {
      if (selectorMatches(d.spec?.selector, rs.metadata.labels)) this.queue.add(objectKey(d.metadata));
    }
  }

  readonly deploymentHandler: EventHandler<Deployment> = {
    onAdd: (d) => this.queue.add(objectKey(d.metadata)),
    onUpdate: (_old, d) => this.queue.add(objectKey(d.metadata)),
    onDelete: (d) => this.queue.add(objectKey(d.metadata)),
  };

  readonly replicaSetHandler: EventHandler<ReplicaSet> = {
    onAdd: (rs) => this.enqueueOwnerOf(rs),
    onUpdate: (old, rs) => {
      if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
      const oldKey = controllerKeyOf(old, "Deployment");
      if (oldKey && oldKey !== controllerKeyOf(rs, "Deployment")) this.queue.add(oldKey);
      this.enqueueOwnerOf(rs);
    },
    onDelete: (rs) => this.enqueueOwnerOf(rs),
  };

  /** Recreate waits for old pods to be gone: their deletion is what lets it continue. */
  readonly podHandler: EventHandler<Pod> = {
    onUpdate: (old, pod) => {
      if (isPodActive(old) && !isPodActive(pod)) this.podGone(pod);
    },
    onDelete: (pod) => this.podGone(pod),
  };

  private podGone(pod: Pod): void {
    const ref = controllerRef(pod);
    if (ref?.kind !== "ReplicaSet") return;
    const rs = this.deps.replicaSets.get(pod.metadata.namespace, ref.name);
    if (rs) this.enqueueOwnerOf(rs);
  }
}

export function kubeDeploymentWriter(client: KubeClient): DeploymentWriter {
  return {
    createReplicaSet: (rs) => client.create(RS, rs.metadata.namespace, rs),
    getReplicaSet: (ns, name) => client.get<ReplicaSet>(RS, ns, name),
    patchReplicaSet: (rs, patch) => client.patch<ReplicaSet>(RS, rs.metadata.namespace, rs.metadata.name!, patch, "merge"),
    async deleteReplicaSet(rs) {
      await client.delete(RS, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } }).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    },
    patchDeployment: (d, patch) => client.patch<Deployment>(DEPLOYMENTS, d.metadata.namespace, d.metadata.name!, patch, "merge"),
    async writeStatus(d, status) {
      const body = { ...status, conditions: status.conditions?.length ? status.conditions : null };
      await client.patch(DEPLOYMENTS, d.metadata.namespace, d.metadata.name!, { status: body }, "merge", { subresource: "status" });
    },
  };
}

export function startDeploymentController(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const dInformer = ctx.informers.informerFor<Deployment>("Deployment");
  const rsInformer = ctx.informers.informerFor<ReplicaSet>("ReplicaSet");
  const podInformer = ctx.informers.informerFor<Pod>("Pod");
  const controller = new DeploymentController({
    deployments: dInformer.lister,
    replicaSets: rsInformer.lister,
    pods: podInformer.lister,
    writer: kubeDeploymentWriter(ctx.client),
    owners: kubeOwnerPatcher(ctx.client),
    recorder: ctx.recorder("deployment-controller"),
    now: ctx.now,
  });
  const removers = [
    dInformer.addEventHandler(controller.deploymentHandler),
    rsInformer.addEventHandler(controller.replicaSetHandler),
    podInformer.addEventHandler(controller.podHandler),
  ];
  return runController(ctx.informers, controller.queue, opts.workers ?? 5, (key) => controller.sync(key), removers);
}
