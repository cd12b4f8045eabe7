// The garbage collector (kube-controller-manager's garbagecollector): follows ownerReferences
// across every served resource. Dependents whose owners are all gone are deleted (Background);
// an owner deleted in Foreground keeps its foregroundDeletion finalizer until its blocking
// dependents are gone; an owner deleted with Orphan has its dependents' references to it
// removed before its orphan finalizer goes. The ownership graph is two cache indexes (by uid,
// for the objects it may act on; by owner uid) on the shared informers; a key is an object's uid.
import type { KubeObject, OwnerReference } from "../apis/meta.ts";
import { allResources, type ResourceInfo } from "../apis/registry.ts";
import { type Informer, type ControllerContext, type Running, WorkQueue, warnUnlessConflict } from "../client/index.ts";
import {
  blockingDependents,
  byOwnerUid,
  byUid,
  classifyOwners,
  decideDependent,
  FINALIZER_FOREGROUND,
  FINALIZER_ORPHAN,
  hasFinalizer,
  OWNER_UID_INDEX,
  ownerResource,
  UID_INDEX,
  type OwnerLookup,
} from "./gc-owners.ts";
import { runController, type Controller } from "./controller-utils.ts";
import { isConflict, isNotFound } from "../apis/errors.ts";

const WORKERS = 4;

/** Events are never owners nor owned in practice, and are by far the busiest resource. */
const collected = (r: ResourceInfo) => r.kind !== "Event" && ["list", "watch", "delete"].every((v) => r.verbs.includes(v));

/** Its handlers added to the shared informers; runController (or a test) runs its sync. */
export function newGarbageCollector(ctx: ControllerContext): Controller & { refreshResources(): void } {
  const queue = new WorkQueue<string>();
  const watched: { r: ResourceInfo; informer: Informer; remove?: () => void }[] = [];

  const find = (uid: string): { r: ResourceInfo; obj: KubeObject } | undefined => {
    for (const { r, informer } of watched) {
      const obj = informer.lister.byIndex(UID_INDEX, uid)[0];
      if (obj) return { r, obj };
    }
    return undefined;
  };
  const dependentsOf = (uid: string): { r: ResourceInfo; obj: KubeObject }[] =>
    watched.flatMap(({ r, informer }) => informer.lister.byIndex(OWNER_UID_INDEX, uid).map((obj) => ({ r, obj })));

  const enqueueOwners = (obj: KubeObject, refs = obj.metadata.ownerReferences ?? []) => refs.forEach((ref) => queue.add(ref.uid));
  const enqueueDependents = (obj: KubeObject) => dependentsOf(obj.metadata.uid!).forEach((d) => queue.add(d.obj.metadata.uid!));
  const deletingWithGcFinalizer = (obj: KubeObject) =>
    !!obj.metadata.deletionTimestamp && (hasFinalizer(obj, FINALIZER_ORPHAN) || hasFinalizer(obj, FINALIZER_FOREGROUND));

  const onChange = (obj: KubeObject, old?: KubeObject) => {
    const uid = obj.metadata.uid;
    if (!uid) return;
    if (obj.metadata.ownerReferences?.length || deletingWithGcFinalizer(obj)) queue.add(uid);
    if (deletingWithGcFinalizer(obj)) enqueueDependents(obj);
    // A dependent that starts going or drops a reference may be what a foreground owner waits for.
    if (obj.metadata.deletionTimestamp) enqueueOwners(obj);
    // Owners the update dropped (most objects have none before or after: nothing to compare).
    if (old?.metadata.ownerReferences?.length) {
      const kept = new Set((obj.metadata.ownerReferences ?? []).map((r) => r.uid));
      enqueueOwners(old, (old.metadata.ownerReferences ?? []).filter((r) => !kept.has(r.uid)));
    }
  };
  const removers: (() => void)[] = [];
  const watch = (r: ResourceInfo) => {
    const informer = ctx.informers.informerFor(r);
    informer.addIndexer(UID_INDEX, byUid);
    informer.addIndexer(OWNER_UID_INDEX, byOwnerUid);
    const remove = informer.addEventHandler({
      onAdd: (obj) => onChange(obj),
      onUpdate: (old, obj) => onChange(obj, old),
      onDelete: (obj) => {
        enqueueOwners(obj);
        if (obj.metadata.uid) enqueueDependents(obj);
      },
    });
    removers.push(remove);
    watched.push({ r, informer, remove });
  };
  const key = (r: ResourceInfo) => `${r.group}/${r.resource}`;
  /**
   * Follows the served resources as CRDs come and go (kube's GC re-reads discovery): one informer
   * per group/resource, whichever version is served first.
   */
  const refreshResources = () => {
    const served = new Map<string, ResourceInfo>();
    for (const r of allResources().filter(collected)) if (!served.has(key(r))) served.set(key(r), r);
    for (const w of [...watched]) {
      if (served.has(key(w.r))) continue;
      watched.splice(watched.indexOf(w), 1);
      w.remove?.();
      void ctx.informers.forget(w.r);
    }
    for (const [k, r] of served) {
      if (watched.some((w) => key(w.r) === k)) continue;
      watch(r);
      if (started) recheckDependentsOf(r);
    }
  };
  /**
   * A resource watched only now may have had owners go before its informer saw them: its
   * dependents are looked at again (their owners by live read).
   */
  const recheckDependentsOf = (r: ResourceInfo) => {
    for (const { informer } of watched) {
      for (const obj of informer.lister.list()) {
        if (obj.metadata.ownerReferences?.some((ref) => ref.kind === r.kind && ref.apiVersion.split("/")[0] === r.group)) queue.add(obj.metadata.uid!);
      }
    }
  };
  let started = false;
  refreshResources();
  started = true;

  /**
   * The owner as the cache has it — at its reference's coordinates with the reference's uid, or
   * filed under that uid (an owner with owners, or being deleted: byUid) — confirmed by a live
   * read when the cache has not seen it.
   */
  async function lookupOwner(dependent: KubeObject, ref: OwnerReference): Promise<OwnerLookup> {
    const r = ownerResource(ref);
    const informer = r && watched.find((w) => key(w.r) === key(r))?.informer;
    const atName = informer?.lister.get(r!.namespaced ? dependent.metadata.namespace : undefined, ref.name);
    if (atName?.metadata.uid === ref.uid) return { state: "present", owner: atName };
    const cached = find(ref.uid);
    if (cached) return { state: "present", owner: cached.obj };
    if (!r) return { state: "unknown" };
    // A namespaced owner lives in its dependent's namespace; a cluster-scoped dependent cannot have one.
    if (r.namespaced && !dependent.metadata.namespace) return { state: "absent" };
    try {
      const owner = await ctx.client.get(r, r.namespaced ? dependent.metadata.namespace : undefined, ref.name);
      return owner.metadata.uid === ref.uid ? { state: "present", owner } : { state: "absent" };
    } catch (err) {
      if (isNotFound(err)) return { state: "absent" };
      throw err;
    }
  }

  /** A merge patch pinned to the version the decision was made on: a lagging cache gets a 409 and a retry. */
  const patchMeta = (r: ResourceInfo, obj: KubeObject, meta: Record<string, unknown>) =>
    ctx.client.patch(r, obj.metadata.namespace, obj.metadata.name!, { metadata: { ...meta, resourceVersion: obj.metadata.resourceVersion, uid: obj.metadata.uid } }, "merge");

  const withoutFinalizer = (obj: KubeObject, f: string) => {
    const rest = (obj.metadata.finalizers ?? []).filter((x) => x !== f);
    return { finalizers: rest.length ? rest : null };
  };

  const withoutRefs = (obj: KubeObject, uids: Set<string>) => {
    const rest = (obj.metadata.ownerReferences ?? []).filter((ref) => !uids.has(ref.uid));
    return { ownerReferences: rest.length ? rest : null };
  };

  async function deleteObject(r: ResourceInfo, obj: KubeObject, propagationPolicy: "Background" | "Foreground" | "Orphan") {
    try {
      await ctx.client.delete(r, obj.metadata.namespace, obj.metadata.name!, { propagationPolicy, preconditions: { uid: obj.metadata.uid } });
    } catch (err) {
      // Gone already, or the name now belongs to a newer object: nothing of ours left to delete.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async function orphanDependents(r: ResourceInfo, owner: KubeObject) {
    const uid = new Set([owner.metadata.uid!]);
    for (const d of dependentsOf(owner.metadata.uid!)) await ignoreGone(patchMeta(d.r, d.obj, withoutRefs(d.obj, uid)));
    await ignoreGone(patchMeta(r, owner, withoutFinalizer(owner, FINALIZER_ORPHAN)));
  }

  async function processDeletingDependents(r: ResourceInfo, owner: KubeObject) {
    const deps = dependentsOf(owner.metadata.uid!);
    if (blockingDependents(owner.metadata.uid!, deps.map((d) => d.obj)).length === 0) {
      await ignoreGone(patchMeta(r, owner, withoutFinalizer(owner, FINALIZER_FOREGROUND)));
      return;
    }
    // Each dependent's own sync deletes it; their deletions bring the owner back here.
    for (const d of deps) if (!d.obj.metadata.deletionTimestamp) queue.add(d.obj.metadata.uid!);
  }

  async function attemptToDelete(r: ResourceInfo, dependent: KubeObject) {
    const refs = dependent.metadata.ownerReferences ?? [];
    const found = new Map<string, OwnerLookup>();
    for (const ref of refs) found.set(ref.uid, await lookupOwner(dependent, ref));
    const owners = classifyOwners(refs, (ref) => found.get(ref.uid)!);
    const decision = decideDependent(dependent, owners, dependentsOf(dependent.metadata.uid!).length > 0);
    if (decision.action === "removeRefs") await ignoreGone(patchMeta(r, dependent, withoutRefs(dependent, new Set(decision.uids))));
    else if (decision.action === "delete") await deleteObject(r, dependent, decision.propagationPolicy);
  }

  async function sync(uid: string): Promise<void> {
    const item = find(uid);
    if (!item) return; // gone: its deletion event already queued its dependents
    const { r, obj } = item;
    if (obj.metadata.deletionTimestamp) {
      if (hasFinalizer(obj, FINALIZER_ORPHAN)) await orphanDependents(r, obj);
      else if (hasFinalizer(obj, FINALIZER_FOREGROUND)) await processDeletingDependents(r, obj);
      return;
    }
    if (obj.metadata.ownerReferences?.length) await attemptToDelete(r, obj);
  }

  // 409s are optimistic concurrency doing its job: the key is retried without a warning.
  return { queue, sync, removers, refreshResources, onError: warnUnlessConflict("garbage collector") };
}

/** How often the collector looks for resources that came or went with CRDs. */
const RESOURCE_REFRESH_MS = 1000;

export function startGarbageCollector(ctx: ControllerContext): Running {
  const c = newGarbageCollector(ctx);
  // Waiting for every informer: decisions on a half-filled cache would send owners to live reads for nothing.
  const running = runController(ctx.informers, c.queue, WORKERS, c.sync, c.removers, { onError: c.onError });
  const refresher = setInterval(c.refreshResources, RESOURCE_REFRESH_MS);
  return {
    ...running,
    async stop() {
      clearInterval(refresher);
      await running.stop();
    },
  };
}

/** A 404 means the object went meanwhile, which is what the collector wanted or no longer cares about. */
async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
