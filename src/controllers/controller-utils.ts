// What the replicaset and deployment controllers share (pkg/controller/controller_utils.go):
// controller references, adoption and release of dependents, and the pod predicates
// (active, ready, available) their status math counts with.
import type { Pod } from "../apis/core/pod.ts";
import { isPodReady, podCondition } from "../apis/core/pod.ts";
import type { KubeObject, OwnerReference } from "../apis/meta.ts";
import { selectorMatches, type LabelSelector } from "../apis/selector.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import { type KubeClient, objectKey, type Running, type RunWorkersOptions, type WorkQueue } from "../client/index.ts";

/** The owner reference with controller=true, if any. */
export const controllerRef = (obj: KubeObject): OwnerReference | undefined => obj.metadata.ownerReferences?.find((r) => r.controller === true);

/** The reference a controller puts on what it creates: controller and blocking foreground deletion. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The "ns/name" key of the object's controller, when it is of `kind`. */
export function controllerKeyOf(obj: KubeObject, kind: string): string | undefined {
  const ref = controllerRef(obj);
  if (!ref || ref.kind !== kind) return undefined;
  return objectKey({ namespace: obj.metadata.namespace, name: ref.name });
}

/** resolveControllerRef: the queue key of the `kind` controller `obj` names, if that controller (same uid) is cached. */
export function ownerKeyOf(obj: KubeObject, kind: string, owners: { get(namespace: string | undefined, name: string): KubeObject | undefined }): string | undefined {
  const ref = controllerRef(obj);
  if (!ref || ref.kind !== kind) return undefined;
  const owner = owners.get(obj.metadata.namespace, ref.name);
  return owner?.metadata.uid === ref.uid ? objectKey(owner.metadata) : undefined;
}

/** A pod counts toward its controller's replicas until it ends or starts terminating. */
export const isPodActive = (pod: Pod): boolean =>
  pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed" && !pod.metadata.deletionTimestamp;

/** When a ready pod became ready (its Ready condition's transition), in ms; undefined if not ready. */
export function readySince(pod: Pod): number | undefined {
  const ready = podCondition(pod, "Ready");
  if (ready?.status !== "True") return undefined;
  return ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
}

/** podutil.IsPodAvailable: ready for at least minReadySeconds. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readySince(pod) ?? Infinity;
  return since + minReadySeconds * 1000 <= now.getTime();
}

/** What a controller does with one candidate dependent (ControllerRefManager.ClaimObject). */
export type ClaimAction = "keep" | "adopt" | "release" | "ignore";

/**
 * Owned and matching: keep; owned but no longer matching: release; orphan and matching: adopt
 * (unless either side is being deleted); anything owned by another controller: ignore.
 */
export function claimAction(owner: KubeObject, selector: LabelSelector | undefined, obj: KubeObject): ClaimAction {
  const ref = controllerRef(obj);
  const matches = selectorMatches(selector, obj.metadata.labels);
  if (ref) {
    if (ref.uid !== owner.metadata.uid) return "ignore";
    if (matches) return "keep";
    return owner.metadata.deletionTimestamp ? "ignore" : "release";
  }
  if (!matches || owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp) return "ignore";
  return "adopt";
}

/** Writes ownerReferences as a merge patch pinned to the resourceVersion we decided on. */
export interface OwnerPatcher {
  setOwnerReferences(r: ResourceInfo, obj: KubeObject, refs: OwnerReference[]): Promise<KubeObject>;
}

export function kubeOwnerPatcher(client: KubeClient): OwnerPatcher {
  return {
    setOwnerReferences: (r, obj, refs) =>
      client.patch(r, obj.metadata.namespace, obj.metadata.name!, { metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: obj.metadata.resourceVersion, uid: obj.metadata.uid } }, "merge"),
  };
}

/**
 * Claims the candidates: adopts orphans and releases what stopped matching through `patcher`,
 * and returns the dependents the owner now controls. A failed adoption or release (the object
 * changed or went away meanwhile) is skipped: the next sync decides again from fresh state.
 */
export async function claimObjects<T extends KubeObject>(
  r: ResourceInfo,
  owner: KubeObject,
  ownerRef: OwnerReference,
  selector: LabelSelector | undefined,
  candidates: T[],
  patcher: OwnerPatcher,
): Promise<T[]> {
  const claimed: T[] = [];
  const writes: Promise<void>[] = [];
  for (const obj of candidates) {
    const action = claimAction(owner, selector, obj);
    if (action === "keep") claimed.push(obj);
    else if (action === "adopt") {
      const refs = [...(obj.metadata.ownerReferences ?? []), ownerRef];
      writes.push(
        patcher.setOwnerReferences(r, obj, refs).then(
          (adopted) => void claimed.push(adopted as T),
          () => undefined,
        ),
      );
    } else if (action === "release") {
      const refs = (obj.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== owner.metadata.uid);
      writes.push(patcher.setOwnerReferences(r, obj, refs).then(() => undefined, () => undefined));
    }
  }
  await Promise.all(writes);
  return claimed;
}

/**
 * A controller as runController runs it: its event handlers already added to the shared
 * informers (removers take them off), the queue they fill, and sync(key), which tests call.
 */
export interface Controller {
  queue: WorkQueue<string>;
  sync(key: string): Promise<void>;
  removers: (() => void)[];
  /** What a failed sync reports before its key is requeued (default: console.warn). */
  onError?: (key: string, err: unknown) => void;
}

/**
 * Runs a controller's workers once the shared informers have synced (a sync against a
 * half-filled cache would create what already exists); stop() unhooks its handlers, drains
 * the queue and waits for the workers.
 */
export function runController(
  informers: { waitForSync(signal?: AbortSignal): Promise<boolean> },
  queue: WorkQueue<string>,
  workers: number,
  sync: (key: string) => Promise<void>,
  removers: (() => void)[],
  opts: RunWorkersOptions<string> = {},
): Running {
  const abort = new AbortController();
  const running = (async () => {
    if (!(await informers.waitForSync(abort.signal))) return;
    await queue.runWorkers(workers, sync, opts);
  })();
  return {
    async stop() {
      for (const remove of removers) remove();
      abort.abort();
      queue.shutDown();
      await running;
    },
  };
}
