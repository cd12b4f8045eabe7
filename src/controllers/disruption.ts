// The disruption controller (kube-controller-manager's disruption controller): keeps each
// PodDisruptionBudget's status — expected and healthy pods, disruptions allowed, the
// DisruptionAllowed condition — current as pods and their controllers change, and forgets an
// eviction recorded in status.disruptedPods once the pod is gone or two minutes have passed
// without it going. Handlers only enqueue the budgets of the object's namespace; sync(key)
// recomputes one budget from the caches (disruption-status.ts holds the math). A pod marked
// DisruptionTarget whose delete never came has the mark turned False after two minutes, as
// upstream's stale pod disruption cleanup does (keys "stale-pod:<ns>/<name>" on the same queue).
import type { KubeObject } from "../apis/meta.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { Deployment } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from "../apis/policy/poddisruptionbudget.ts";
import { resourceFor, type ControllerContext, type EventRecorder, type Lister, type Running, WorkQueue, objectKey, warnUnlessConflict } from "../client/index.ts";
import { selectorString } from "../apis/selector.ts";
import { formatTime } from "../apis/time.ts";
import { computePdbStatus, staleDisruptionWait, type ScaleFinder } from "./disruption-status.ts";
import { controllerRef, runController } from "./controller-utils.ts";

const PDBS = resourceFor("PodDisruptionBudget");

export interface PdbStatusWriter {
  writeStatus(pdb: PodDisruptionBudget, status: PodDisruptionBudgetStatus): Promise<void>;
  /** Sets the pod's DisruptionTarget condition to False (a stale mark). */
  clearDisruptionTarget(pod: Pod, now: Date): Promise<void>;
}

const STALE_POD = "stale-pod:";

type Scaled = KubeObject & { spec?: { replicas?: number } };

/** The finders upstream has for the kinds kubun serves: Deployment (through its ReplicaSet), ReplicaSet, StatefulSet. */
export function listerScaleFinder(listers: { replicaSets: Lister<ReplicaSet>; deployments: Lister<Deployment>; statefulSets: Lister<Scaled> }): ScaleFinder {
  const found = (obj: Scaled | undefined, uid: string | undefined) =>
    obj && (!uid || obj.metadata.uid === uid) ? { uid: obj.metadata.uid!, replicas: obj.spec?.replicas ?? 1 } : undefined;
  return (namespace, ref) => {
    if (!ref.apiVersion.startsWith("apps/")) return undefined;
    if (ref.kind === "ReplicaSet") {
      const rs = listers.replicaSets.get(namespace, ref.name);
      if (!rs || rs.metadata.uid !== ref.uid) return undefined;
      const owner = controllerRef(rs);
      if (owner?.kind === "Deployment" && owner.apiVersion.startsWith("apps/")) return found(listers.deployments.get(namespace, owner.name) as Scaled | undefined, owner.uid);
      return found(rs as Scaled, ref.uid);
    }
    if (ref.kind === "StatefulSet") return found(listers.statefulSets.get(namespace, ref.name), ref.uid);
    return undefined;
  };
}

export class DisruptionController {
  readonly queue = new WorkQueue<string>();

  constructor(
    private readonly deps: {
      pdbs: Lister<PodDisruptionBudget>;
      pods: Lister<Pod>;
      scales: ScaleFinder;
      status: PdbStatusWriter;
      recorder: EventRecorder;
      now: () => Date;
    },
  ) {}

  async sync(key: string): Promise<void> {
    if (key.startsWith(STALE_POD)) return this.syncStalePod(key);
    const [namespace, name] = key.split("/") as [string, string];
    const pdb = this.deps.pdbs.get(namespace, name);
    if (!pdb) return;
    const now = this.deps.now();
    const result = computePdbStatus(pdb, this.deps.pods.list(namespace), this.deps.scales, now);
    if (result.failure) this.deps.recorder.event(pdb, "Warning", "CalculateExpectedPodCountFailed", `Failed to calculate the number of expected pods: ${result.failure}`);
    if (result.unmanaged.length) {
      const sel = selectorString(pdb.spec?.selector);
      this.deps.recorder.event(pdb, "Warning", "UnmanagedPods",
        `Pods selected by this PodDisruptionBudget (selector: ${sel}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`);
    }
    if (result.recheckAt !== undefined) this.queue.addAfter(key, Math.max(0, result.recheckAt - now.getTime()) + 1);
    if (Bun.deepEquals(pdb.status ?? {}, result.status)) return;
    await this.deps.status.writeStatus(pdb, result.status);
  }

  private async syncStalePod(key: string): Promise<void> {
    const pod = this.deps.pods.getByKey(key.slice(STALE_POD.length));
    if (!pod) return;
    const now = this.deps.now();
    const wait = staleDisruptionWait(pod, now);
    if (wait === undefined) return;
    if (wait > 0) return void this.queue.addAfter(key, wait + 1);
    await this.deps.status.clearDisruptionTarget(pod, now);
  }

  /** A pod marked DisruptionTarget is looked at again once its mark may be stale. */
  enqueueStalePod(pod: Pod): void {
    const wait = staleDisruptionWait(pod, this.deps.now());
    if (wait !== undefined) this.queue.addAfter(`${STALE_POD}${objectKey(pod.metadata)}`, wait + 1);
  }

  /** Enqueues the budgets of `obj`'s namespace (all of them: a namespace holds few, and a pod's old labels may matter too). */
  enqueueNamespace(obj: KubeObject): void {
    for (const pdb of this.deps.pdbs.list(obj.metadata.namespace)) this.queue.add(objectKey(pdb.metadata));
  }
}

export function startDisruptionController(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const pdbs = ctx.informers.informerFor<PodDisruptionBudget>(PDBS);
  const pods = ctx.informers.informerFor<Pod>("Pod");
  const replicaSets = ctx.informers.informerFor<ReplicaSet>("ReplicaSet");
  const deployments = ctx.informers.informerFor<Deployment>("Deployment");
  const statefulSets = ctx.informers.informerFor<Scaled>("StatefulSet");
  const c = new DisruptionController({
    pdbs: pdbs.lister,
    pods: pods.lister,
    scales: listerScaleFinder({ replicaSets: replicaSets.lister, deployments: deployments.lister, statefulSets: statefulSets.lister }),
    status: {
      async writeStatus(pdb, status) {
        try {
          await ctx.client.updateStatus(PDBS, { ...structuredClone(pdb), status });
        } catch (err) {
          if ((err as { code?: number }).code === 404) return; // deleted meanwhile
          throw err; // 409: requeued, and the newer budget is recomputed
        }
      },
      async clearDisruptionTarget(pod, now) {
        const condition = { type: "DisruptionTarget", status: "False", lastTransitionTime: formatTime(now), reason: null, message: null };
        try {
          await ctx.client.patch(resourceFor("Pod"), pod.metadata.namespace, pod.metadata.name!, { metadata: { uid: pod.metadata.uid }, status: { conditions: [condition] } }, "strategic", { subresource: "status" });
        } catch (err) {
          if ((err as { code?: number }).code === 404) return;
          throw err;
        }
      },
    },
    recorder: ctx.recorder("controllermanager"),
    now: ctx.now,
  });
  const enqueuePdb = (p: PodDisruptionBudget) => c.queue.add(objectKey(p.metadata));
  const ns = (o: KubeObject) => c.enqueueNamespace(o);
  const pod = (p: Pod) => {
    c.enqueueNamespace(p);
    c.enqueueStalePod(p);
  };
  const removers = [
    pdbs.addEventHandler({ onAdd: enqueuePdb, onUpdate: (_o, p) => enqueuePdb(p) }),
    pods.addEventHandler({ onAdd: pod, onUpdate: (_o, p) => pod(p), onDelete: ns }),
    ...[replicaSets, deployments, statefulSets].map((i) => (i as typeof statefulSets).addEventHandler({ onAdd: ns, onUpdate: (_o, x) => ns(x), onDelete: ns })),
  ];
  return runController(ctx.informers, c.queue, opts.workers ?? 2, (key) => c.sync(key), removers, { onError: warnUnlessConflict("disruption") });
}
