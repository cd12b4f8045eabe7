// The PersistentVolume binder (pkg/controller/volume/persistentvolume, the "pv-controller"):
// binds each claim to a matching volume, both sides (volume.spec.claimRef, claim.spec.volumeName,
// then their status), provisions a volume through the local-path provisioner when none matches,
// and marks a volume Released when its claim goes. A WaitForFirstConsumer claim waits until the
// scheduler names a node (volume.kubernetes.io/selected-node), so its volume lands where its pod runs.
// Claims and volumes share one queue, keyed "pvc:ns/name" and "pv:name".
import {
  BIND_COMPLETED_ANNOTATION, PROVISIONED_BY_ANNOTATION, SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION, type PersistentVolume, type PersistentVolumeClaim,
} from "../apis/core/persistentvolume.ts";
import type { KubeObject } from "../apis/meta.ts";
import { LOCAL_PATH_PROVISIONER, type StorageClass } from "../apis/storage/storageclass.ts";
import type { EventHandler, Lister } from "../client/index.ts";
import { objectKey } from "../client/index.ts";
import type { ControllerContext, EventRecorder, Running } from "../client/index.ts";
import { runController } from "./controller-utils.ts";
import { classOf, findMatchingVolume, localPathVolume } from "../apis/core/persistentvolume-match.ts";
import { kubeVolumeWriter, type VolumeWriter } from "./persistentvolume-writer.ts";
import { WorkQueue } from "../client/index.ts";

export interface BinderDeps {
  claims: Lister<PersistentVolumeClaim>;
  volumes: Lister<PersistentVolume>;
  classes: Lister<StorageClass>;
  nodes: Lister<KubeObject>;
  writer: VolumeWriter;
  recorder: EventRecorder;
}

export class PersistentVolumeBinder {
  readonly queue = new WorkQueue<string>();
  constructor(private readonly deps: BinderDeps) {}

  sync(key: string): Promise<void> {
    return key.startsWith("pv:") ? this.syncVolume(key.slice(3)) : this.syncClaim(key.slice(4));
  }

  async syncClaim(key: string): Promise<void> {
    const pvc = this.deps.claims.getByKey(key);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    if (pvc.spec?.volumeName) return this.syncBoundClaim(pvc, pvc.spec.volumeName);
    const { recorder } = this.deps;
    const className = classOf(pvc);
    const sc = className ? this.deps.classes.get(undefined, className) : undefined;
    const wffc = sc?.volumeBindingMode === "WaitForFirstConsumer";
    const nodeName = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (wffc && !nodeName) {
      recorder.event(pvc, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
      return;
    }
    const node = nodeName ? this.deps.nodes.get(undefined, nodeName) : undefined;
    if (nodeName && !node) {
      recorder.event(pvc, "Warning", "ProvisioningFailed", `node "${nodeName}" not found`);
      return;
    }
    const pv = findMatchingVolume(pvc, this.deps.volumes.list(), node);
    if (pv) return this.bind(pvc, pv);
    if (!className) {
      recorder.event(pvc, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
      return;
    }
    if (!sc) {
      recorder.event(pvc, "Warning", "ProvisioningFailed", `storageclass.storage.k8s.io "${className}" not found`);
      return;
    }
    if (sc.provisioner !== LOCAL_PATH_PROVISIONER) {
      recorder.event(pvc, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
      return;
    }
    if (!node) {
      // Local volumes live on one node: without a consumer's node there is nowhere to put one.
      recorder.event(pvc, "Warning", "ProvisioningFailed", `${LOCAL_PATH_PROVISIONER} provisions only for WaitForFirstConsumer classes: no node was selected for the claim`);
      return;
    }
    const made = localPathVolume(pvc, sc, node);
    if (typeof made === "string") {
      recorder.event(pvc, "Warning", "ProvisioningFailed", made);
      return;
    }
    if (!pvc.metadata.annotations?.[STORAGE_PROVISIONER_ANNOTATION]) await this.deps.writer.annotateClaim(pvc, { [STORAGE_PROVISIONER_ANNOTATION]: sc.provisioner });
    // The name derives from the claim's uid, so a retry after a lost answer finds it taken, not doubled.
    if (!this.deps.volumes.get(undefined, made.metadata.name!)) await this.deps.writer.createVolume(made);
    recorder.event(pvc, "Normal", "ProvisioningSucceeded", `Successfully provisioned volume ${made.metadata.name}`);
  }

  private async syncBoundClaim(pvc: PersistentVolumeClaim, volumeName: string): Promise<void> {
    const pv = this.deps.volumes.get(undefined, volumeName);
    if (!pv) {
      if (pvc.status?.phase === "Bound") {
        this.deps.recorder.event(pvc, "Warning", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
        await this.deps.writer.claimStatus(pvc, { phase: "Lost" });
      }
      return;
    }
    const ref = pv.spec?.claimRef;
    if (!ref) return this.bind(pvc, pv);
    if (ref.name !== pvc.metadata.name || ref.namespace !== pvc.metadata.namespace || (ref.uid && ref.uid !== pvc.metadata.uid)) {
      this.deps.recorder.event(pvc, "Warning", "FailedBinding", `volume "${volumeName}" already bound to a different claim.`);
      return;
    }
    return this.bind(pvc, pv);
  }

  /** Both halves of a binding, each step skipped once done, so a sync can resume a half-made one. */
  private async bind(pvc: PersistentVolumeClaim, pv: PersistentVolume): Promise<void> {
    const { writer } = this.deps;
    const ref = pv.spec?.claimRef;
    if (!ref?.uid) pv = await writer.bindVolume(pv, pvc);
    if (pv.status?.phase !== "Bound") pv = await writer.volumeStatus(pv, { phase: "Bound" });
    if (pvc.spec?.volumeName !== pv.metadata.name || !pvc.metadata.annotations?.[BIND_COMPLETED_ANNOTATION]) pvc = await writer.bindClaim(pvc, pv);
    if (pvc.status?.phase !== "Bound") {
      await writer.claimStatus(pvc, { phase: "Bound", accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity });
    }
  }

  async syncVolume(name: string): Promise<void> {
    const pv = this.deps.volumes.get(undefined, name);
    if (!pv) return;
    const ref = pv.spec?.claimRef;
    const phase = pv.status?.phase;
    if (!ref) {
      if (phase !== "Available" && phase !== "Failed") await this.deps.writer.volumeStatus(pv, { phase: "Available" });
      return;
    }
    const claim = this.deps.claims.get(ref.namespace, ref.name ?? "");
    if (claim && (!ref.uid || ref.uid === claim.metadata.uid)) {
      // Binding is driven from the claim's side.
      if (claim.spec?.volumeName !== name || phase !== "Bound") this.queue.add(`pvc:${objectKey(claim.metadata)}`);
      return;
    }
    // Pre-bound by a user to a claim that doesn't exist yet: it waits, Available.
    if (!ref.uid) {
      if (phase !== "Available") await this.deps.writer.volumeStatus(pv, { phase: "Available" });
      return;
    }
    // The cache may lag: the claim is gone only if the API says so too.
    if (await this.deps.writer.claimExists(ref.namespace!, ref.name!, ref.uid)) return;
    if (phase === "Released" || phase === "Failed") return;
    const deletable = pv.spec?.persistentVolumeReclaimPolicy === "Delete";
    if (deletable && pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) {
      const message = "error getting deleter volume plugin for volume: no deletable volume plugin matched";
      this.deps.recorder.event(pv, "Warning", "VolumeFailedDelete", message);
      await this.deps.writer.volumeStatus(pv, { phase: "Failed", message });
      return;
    }
    // Released local-path volumes with Delete are removed by the agent of their node (it owns the directory).
    await this.deps.writer.volumeStatus(pv, { phase: "Released" });
  }

  readonly claimHandler: EventHandler<PersistentVolumeClaim> = {
    onAdd: (pvc) => this.queue.add(`pvc:${objectKey(pvc.metadata)}`),
    onUpdate: (_old, pvc) => this.queue.add(`pvc:${objectKey(pvc.metadata)}`),
    onDelete: (pvc) => {
      if (pvc.spec?.volumeName) this.queue.add(`pv:${pvc.spec.volumeName}`);
    },
  };

  readonly volumeHandler: EventHandler<PersistentVolume> = {
    onAdd: (pv) => this.queue.add(`pv:${pv.metadata.name}`),
    onUpdate: (_old, pv) => this.queue.add(`pv:${pv.metadata.name}`),
    onDelete: (pv) => {
      const ref = pv.spec?.claimRef;
      if (ref) this.queue.add(`pvc:${ref.namespace}/${ref.name}`);
    },
  };

  /** A class created late (or a volume freed) may let waiting claims go ahead. */
  readonly classHandler: EventHandler<StorageClass> = {
    onAdd: () => {
      for (const pvc of this.deps.claims.list()) if (!pvc.spec?.volumeName) this.queue.add(`pvc:${objectKey(pvc.metadata)}`);
    },
  };
}

export function startPersistentVolumeBinder(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const claims = ctx.informers.informerFor<PersistentVolumeClaim>("PersistentVolumeClaim");
  const volumes = ctx.informers.informerFor<PersistentVolume>("PersistentVolume");
  const classes = ctx.informers.informerFor<StorageClass>("StorageClass");
  const nodes = ctx.informers.informerFor("Node");
  const binder = new PersistentVolumeBinder({
    claims: claims.lister,
    volumes: volumes.lister,
    classes: classes.lister,
    nodes: nodes.lister,
    writer: kubeVolumeWriter(ctx.client),
    recorder: ctx.recorder("persistentvolume-controller"),
  });
  const removers = [claims.addEventHandler(binder.claimHandler), volumes.addEventHandler(binder.volumeHandler), classes.addEventHandler(binder.classHandler)];
  // One worker: two claims racing for the same volume would otherwise both try to take it.
  return runController(ctx.informers, binder.queue, opts.workers ?? 1, (k) => binder.sync(k), removers);
}
