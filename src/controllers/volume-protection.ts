// The pvc-protection and pv-protection controllers (pkg/controller/volume/pvcprotection,
// pvprotection): StorageObjectInUseProtection admission puts a finalizer on every claim and
// volume; these lift it once a deleted claim is used by no pod that may still run, and once a
// deleted volume is bound to no claim. Until then `kubectl delete pvc` leaves it Terminating.
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER, type PersistentVolume, type PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import type { EventHandler, KubeClient, Lister } from "../client/index.ts";
import { objectKey, resourceFor } from "../client/index.ts";
import type { ControllerContext, Running } from "../client/index.ts";
import { runController } from "./controller-utils.ts";
import { WorkQueue } from "../client/index.ts";

const PVCS = resourceFor("PersistentVolumeClaim");
const PVS = resourceFor("PersistentVolume");

export interface FinalizerRemover {
  removeFinalizer(r: ResourceInfo, obj: KubeObject, finalizer: string): Promise<void>;
}

/** The claims a pod mounts. */
export const podClaimNames = (pod: Pod): string[] =>
  (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));

/** A pod that has finished (Succeeded or Failed) no longer holds its volumes. */
const mayRun = (pod: Pod) => pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";

export interface PVCProtectionDeps {
  claims: Lister<PersistentVolumeClaim>;
  pods: Lister<Pod>;
  /** The pods of a namespace straight from the API: a pod created a moment ago may not be cached yet. */
  livePods?(namespace: string): Promise<Pod[]>;
  finalizers: FinalizerRemover;
}

export class PVCProtectionController {
  readonly queue = new WorkQueue<string>();
  constructor(private readonly deps: PVCProtectionDeps) {}

  async sync(key: string): Promise<void> {
    const pvc = this.deps.claims.getByKey(key);
    if (!pvc?.metadata.deletionTimestamp || !pvc.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return;
    const ns = pvc.metadata.namespace!;
    const uses = (pods: Pod[]) => pods.some((p) => mayRun(p) && podClaimNames(p).includes(pvc.metadata.name!));
    if (uses(this.deps.pods.list(ns))) return;
    if (this.deps.livePods && uses(await this.deps.livePods(ns))) return;
    await this.deps.finalizers.removeFinalizer(PVCS, pvc, PVC_PROTECTION_FINALIZER);
  }

  private enqueuePodClaims = (pod: Pod) => {
    for (const name of podClaimNames(pod)) this.queue.add(`${pod.metadata.namespace}/${name}`);
  };

  readonly claimHandler: EventHandler<PersistentVolumeClaim> = {
    onAdd: (pvc) => this.queue.add(objectKey(pvc.metadata)),
    onUpdate: (_old, pvc) => this.queue.add(objectKey(pvc.metadata)),
  };

  readonly podHandler: EventHandler<Pod> = {
    onUpdate: (old, pod) => {
      if (mayRun(old) && !mayRun(pod)) this.enqueuePodClaims(pod);
    },
    onDelete: this.enqueuePodClaims,
  };
}

export class PVProtectionController {
  readonly queue = new WorkQueue<string>();
  constructor(private readonly deps: { volumes: Lister<PersistentVolume>; finalizers: FinalizerRemover }) {}

  async sync(key: string): Promise<void> {
    const pv = this.deps.volumes.getByKey(key);
    if (!pv?.metadata.deletionTimestamp || !pv.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) return;
    if (pv.status?.phase === "Bound") return;
    await this.deps.finalizers.removeFinalizer(PVS, pv, PV_PROTECTION_FINALIZER);
  }

  readonly volumeHandler: EventHandler<PersistentVolume> = {
    onAdd: (pv) => this.queue.add(objectKey(pv.metadata)),
    onUpdate: (_old, pv) => this.queue.add(objectKey(pv.metadata)),
  };
}

export function kubeFinalizerRemover(client: KubeClient): FinalizerRemover {
  return {
    async removeFinalizer(r, obj, finalizer) {
      // resourceVersion makes it conditional: a finalizer added meanwhile is not lost.
      const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      const patch = { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } };
      await client.patch(r, obj.metadata.namespace, obj.metadata.name!, patch, "merge");
    },
  };
}

export function startVolumeProtectionControllers(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const claims = ctx.informers.informerFor<PersistentVolumeClaim>("PersistentVolumeClaim");
  const volumes = ctx.informers.informerFor<PersistentVolume>("PersistentVolume");
  const pods = ctx.informers.informerFor<Pod>("Pod");
  const finalizers = kubeFinalizerRemover(ctx.client);
  const livePods = async (namespace: string) => (await ctx.client.list<Pod>(resourceFor("Pod"), { namespace })).items;
  const pvc = new PVCProtectionController({ claims: claims.lister, pods: pods.lister, livePods, finalizers });
  const pv = new PVProtectionController({ volumes: volumes.lister, finalizers });
  const running = [
    runController(ctx.informers, pvc.queue, opts.workers ?? 1, (k) => pvc.sync(k), [claims.addEventHandler(pvc.claimHandler), pods.addEventHandler(pvc.podHandler)]),
    runController(ctx.informers, pv.queue, opts.workers ?? 1, (k) => pv.sync(k), [volumes.addEventHandler(pv.volumeHandler)]),
  ];
  return { stop: async () => void (await Promise.all(running.map((r) => r.stop()))) };
}
