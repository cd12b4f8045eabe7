// The generic steps of the registry around a kind's strategy (kube-apiserver's rest.BeforeCreate,
// BeforeUpdate and BeforeDelete): what every kind shares — uid, timestamps, generation, status
// kept across writes — with the kind's own rules asked of its strategy (src/apis/strategies/).
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import { strategyFor } from "../apis/strategies.ts";
import { jsonCopy, sameJson } from "./json-copy.ts";
import { setField } from "./patch/json-value.ts";

type Obj = Record<string, any>;

const hasStatusSubresource = (r: ResourceInfo) => r.subresources.some((s) => s.name === "status");

/** Status a new object starts with: clients don't get to write status on create, except a node's own. */
export function prepareForCreate(r: ResourceInfo, obj: KubeObject): void {
  strategyFor(r).prepareForCreate?.(obj);
  if ((obj as Obj).spec !== undefined) obj.metadata.generation = 1;
}

/**
 * Merges an update into the current object: writes to the main resource keep the current
 * status, writes to /status keep everything but the status. `current` is the stored object;
 * `next` is the request's own (storage.update's private copy, patched or replaced).
 */
export function prepareForUpdate(r: ResourceInfo, next: KubeObject, current: KubeObject, subresource?: string, touches?: ReadonlySet<string>): KubeObject {
  if (subresource === "status") return withStatusOf(next, current, touches);
  const strategy = strategyFor(r);
  const merged = next as Obj;
  // Binding sets spec.nodeName and the PodScheduled condition together.
  if (hasStatusSubresource(r) && !strategy.mainResourceWritesStatus && subresource !== "binding") merged.status = jsonCopy((current as Obj).status);
  strategy.prepareForUpdate?.(next, current);
  const m = merged.metadata;
  const c = current.metadata;
  m.uid = c.uid;
  m.creationTimestamp = c.creationTimestamp;
  m.deletionTimestamp = c.deletionTimestamp;
  m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
  if (m.deletionTimestamp === undefined) delete m.deletionTimestamp;
  if (m.deletionGracePeriodSeconds === undefined) delete m.deletionGracePeriodSeconds;
  m.generation = c.generation;
  if (m.generation === undefined) delete m.generation;
  else if (!Bun.deepEquals(merged.spec, (current as Obj).spec)) m.generation = (c.generation ?? 0) + 1;
  return merged as KubeObject;
}

/**
 * `{ ...current, status: next.status }` as a private object: the status copied from `next`, every
 * other part `next`'s own where it is still as stored (same JSON, same key order: a status write
 * leaves them so), a copy of the stored part otherwise. The stored object is not parsed again for
 * what the request already holds a copy of. `touches`: when known, `next` is storage.update's
 * private copy patched in place (its status already private, nothing to copy) and these are the
 * only top-level fields that may differ from the stored object it was parsed from; the others are
 * taken without being compared (a pod's spec and metadata: walks as long as hashing them).
 */
function withStatusOf(next: KubeObject, current: KubeObject, touches?: ReadonlySet<string>): KubeObject {
  const n = next as Obj;
  const out: Obj = {};
  const status = () => (touches ? n.status : jsonCopy(n.status));
  for (const key of Object.keys(current)) {
    const untouched = touches !== undefined && !touches.has(key) && Object.hasOwn(n, key);
    const value = key === "status" ? status() : untouched || sameJson(n[key], (current as Obj)[key]) ? n[key] : jsonCopy((current as Obj)[key]);
    setField(out, key, value);
  }
  if (!Object.hasOwn(current, "status")) out.status = status();
  return out as KubeObject;
}

/** Seconds a delete waits before the object goes: the kind's say (pods a node runs), else none. */
export function gracePeriodSeconds(r: ResourceInfo, obj: KubeObject, requested?: number): number {
  return strategyFor(r).gracePeriodSeconds?.(obj, requested) ?? 0;
}

/** Finalizers of the object's spec that hold a delete (a namespace's), cleared by a controller. */
export function specFinalizers(r: ResourceInfo, obj: KubeObject): readonly string[] {
  return strategyFor(r).specFinalizers?.(obj) ?? [];
}

/** What a delete held by spec finalizers marks on the object (a namespace turns Terminating). */
export function markDeleting(r: ResourceInfo, obj: KubeObject): void {
  strategyFor(r).markDeleting?.(obj);
}

/** An object marked for deletion goes once no finalizer and no grace period holds it. */
export function readyToRemove(r: ResourceInfo, obj: KubeObject): boolean {
  const m = obj.metadata;
  if (specFinalizers(r, obj).length > 0) return false;
  return !!m.deletionTimestamp && !(m.finalizers?.length) && !(m.deletionGracePeriodSeconds ?? 0);
}

/** Finalizers the kind adds on an object's first delete (a CRD's customresourcecleanup). */
export function finalizersOnDelete(r: ResourceInfo, obj: KubeObject): readonly string[] {
  return strategyFor(r).finalizersOnDelete?.(obj) ?? [];
}

/** The fields a kind of its own would drop from `obj` (custom resources' pruning); undefined: ask the built-in schemas. */
export function kindUnknownFields(r: ResourceInfo, obj: KubeObject): string[] | undefined {
  return strategyFor(r).unknownFields?.(obj);
}
