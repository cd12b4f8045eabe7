// Pod workers for the pods bound to this node: informer events start, update and remove
// workers; at start, sandboxes left by an earlier agent are re-adopted by their pod uid label,
// and those whose pod is gone are torn down.
import type { Pod } from "../../src/apis/index.ts";
import type { Informer } from "../../src/client/index.ts";
import { MANAGED_BY, MANAGED_BY_VALUE, POD_UID } from "./labels.ts";
import { teardownPod } from "./runtime-pod.ts";
import { PodWorker, type PodWorkerDeps } from "./worker.ts";

export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  private removeHandler?: () => void;

  constructor(private readonly deps: PodWorkerDeps) {}

  /** Follows `informer` (pods with spec.nodeName = this node); call after it has synced. */
  async start(informer: Informer<Pod>): Promise<void> {
    await this.removeOrphans(new Set(informer.lister.list().map((p) => p.metadata.uid ?? "")));
    this.removeHandler = informer.addEventHandler({
      onAdd: (pod) => this.upsert(pod),
      onUpdate: (_old, pod) => this.upsert(pod),
      onDelete: (pod) => this.workers.get(pod.metadata.uid ?? "")?.remove(),
    });
  }

  /** Stops the workers; containers keep running for the next agent to re-adopt. */
  async stop(): Promise<void> {
    this.removeHandler?.();
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
  }

  get size(): number {
    return this.workers.size;
  }

  private upsert(pod: Pod): void {
    const uid = pod.metadata.uid ?? "";
    const existing = this.workers.get(uid);
    if (existing) return existing.update(pod);
    const worker = new PodWorker(pod, this.deps);
    this.workers.set(uid, worker);
    void worker.done.finally(() => {
      if (this.workers.get(uid) === worker) this.workers.delete(uid);
    });
  }

  private async removeOrphans(known: Set<string>): Promise<void> {
    const sandboxes = await this.deps.runtime.listPodSandbox({ label_selector: { [MANAGED_BY]: MANAGED_BY_VALUE } });
    const orphans = new Set(sandboxes.map((s) => s.labels[POD_UID] ?? "").filter((uid) => uid && !known.has(uid)));
    for (const uid of orphans) {
      this.deps.log?.(`removing the sandbox of pod ${uid}: the pod no longer exists`);
      await teardownPod(this.deps.runtime, uid, 0).catch((err) => this.deps.log?.(`orphan ${uid}: ${(err as Error).message}`));
    }
  }
}
