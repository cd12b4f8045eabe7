// The garbage collector's reading of ownerReferences: which resource an owner lives in, how each
// owner of a dependent stands (solid, dangling, waiting for its dependents), and what follows.
// Pure functions: the collector feeds them objects from its caches and live reads.
import type { KubeObject, OwnerReference } from "../apis/meta.ts";
import { allResources, groupVersion, RESOURCES, type ResourceInfo } from "../apis/registry.ts";
import type { IndexFunc } from "../client/index.ts";

export { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from "../apis/meta.ts";
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from "../apis/meta.ts";

/** Cache indexes the collector adds to every informer it watches. */
export const UID_INDEX = "gc-uid";
export const OWNER_UID_INDEX = "gc-owner-uid";
/**
 * Files under its uid an object the collector's sync may act on: one with owners, or one being
 * deleted (its GC finalizers). The collector finds an owner by its reference's coordinates
 * (resource, namespace, name; its uid confirming), as kube's does: an object with neither — a
 * node, a Lease, most pods outside workloads — need not be filed at all (at 50,000 pods, 5,000
 * nodes and their Leases, the index of every uid was 4.5 MB).
 */
export const byUid: IndexFunc = (obj) => (obj.metadata.uid && (obj.metadata.ownerReferences?.length || obj.metadata.deletionTimestamp) ? [obj.metadata.uid] : []);
export const byOwnerUid: IndexFunc = (obj) => (obj.metadata.ownerReferences ?? []).map((ref) => ref.uid);

const byApiVersionKind = new Map(RESOURCES.map((r) => [`${groupVersion(r)}|${r.kind}`, r]));

/** The served resource an ownerReference points into (built-in or custom); undefined for kinds kubun does not serve. */
export const ownerResource = (ref: Pick<OwnerReference, "apiVersion" | "kind">): ResourceInfo | undefined =>
  byApiVersionKind.get(`${ref.apiVersion}|${ref.kind}`) ?? allResources().find((r) => r.custom && groupVersion(r) === ref.apiVersion && r.kind === ref.kind);

export const hasFinalizer = (obj: KubeObject, f: string): boolean => obj.metadata.finalizers?.includes(f) ?? false;

/** An owner in foreground deletion: it waits for its blocking dependents to go. */
export const isDeletingDependents = (obj: KubeObject): boolean =>
  !!obj.metadata.deletionTimestamp && hasFinalizer(obj, FINALIZER_FOREGROUND);

/** What a dependent's owner turned out to be: the object, gone, or not something the collector can judge. */
export type OwnerLookup = { state: "present"; owner: KubeObject } | { state: "absent" } | { state: "unknown" };

export interface OwnerClassification {
  /** Owners that exist and are not deleting in foreground: they keep the dependent alive. */
  solid: OwnerReference[];
  /** Owners that no longer exist (or are another object of the same name now). */
  dangling: OwnerReference[];
  /** Owners deleting in foreground, waiting for this dependent to go. */
  waiting: OwnerReference[];
}

export function classifyOwners(refs: readonly OwnerReference[], lookup: (ref: OwnerReference) => OwnerLookup): OwnerClassification {
  const out: OwnerClassification = { solid: [], dangling: [], waiting: [] };
  for (const ref of refs) {
    const found = lookup(ref);
    // An owner of a kind the collector cannot look up is never assumed gone.
    if (found.state === "unknown") out.solid.push(ref);
    else if (found.state === "absent") out.dangling.push(ref);
    else if (isDeletingDependents(found.owner)) out.waiting.push(ref);
    else out.solid.push(ref);
  }
  return out;
}

export type DependentAction =
  | { action: "none" }
  /** Another owner still holds the dependent: only the references to gone or going owners are dropped. */
  | { action: "removeRefs"; uids: string[] }
  | { action: "delete"; propagationPolicy: "Background" | "Foreground" | "Orphan" };

/**
 * attemptToDeleteItem's decision for a dependent that is not itself being deleted. A dependent
 * whose owners are all gone or going is deleted; one that has dependents of its own while an
 * owner waits on it goes in foreground too, so the wait extends down the chain.
 */
export function decideDependent(dependent: KubeObject, owners: OwnerClassification, hasDependents: boolean): DependentAction {
  const { solid, dangling, waiting } = owners;
  if (solid.length + dangling.length + waiting.length === 0) return { action: "none" };
  if (solid.length) {
    const stale = [...dangling, ...waiting].map((ref) => ref.uid);
    return stale.length ? { action: "removeRefs", uids: stale } : { action: "none" };
  }
  if (waiting.length && hasDependents) return { action: "delete", propagationPolicy: "Foreground" };
  if (hasFinalizer(dependent, FINALIZER_ORPHAN)) return { action: "delete", propagationPolicy: "Orphan" };
  if (hasFinalizer(dependent, FINALIZER_FOREGROUND)) return { action: "delete", propagationPolicy: "Foreground" };
  return { action: "delete", propagationPolicy: "Background" };
}

/** The dependents a foreground-deleting owner must outlive: those whose reference blocks owner deletion. */
export const blockingDependents = (ownerUid: string, dependents: readonly KubeObject[]): KubeObject[] =>
  dependents.filter((d) => d.metadata.ownerReferences?.some((ref) => ref.uid === ownerUid && ref.blockOwnerDeletion === true));
