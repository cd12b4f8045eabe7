// The generic registry: Kubernetes object semantics on top of the store — names, uids,
// timestamps, defaults, validation, optimistic concurrency, graceful deletion, finalizers.
// Every verb handler and subresource goes through here.
import { isSystemPriorityClass } from "../apis/scheduling/priorityclass.ts";
import { applyDefaults, validateObject, validateStatusUpdate } from "../apis/index.ts";
import { alreadyExists, badRequest, conflict, expired, forbidden, invalid, notFound, staleConflict, type Qualified } from "../apis/errors.ts";
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN, type KubeObject } from "../apis/meta.ts";
import { IMMORTAL_NAMESPACES } from "../apis/core/namespace.ts";
import { findResource, storeKey, storePrefix, type ResourceInfo } from "../apis/registry.ts";
import { formatTime } from "../apis/time.ts";
import { CompactedError, KeyExistsError, KeyNotFoundError, RevisionConflictError, type ListResult, type Store, type StoreEvent, type WatchHandle } from "../store/index.ts";
import { strictDecodingError, unknownFields } from "./openapi/validation.ts";
import { converterFor } from "../apis/conversion.ts";
import { updateManagedFields } from "./patch/index.ts";
import { admitStorageCreate } from "./storage-admission.ts";
import { finalizersOnDelete, gracePeriodSeconds, kindUnknownFields, markDeleting, prepareForCreate, prepareForUpdate, readyToRemove, specFinalizers } from "./rest.ts";
import { copyOfStored } from "./json-copy.ts";
import type { AdmitWrite, Release } from "./admit-write.ts";
import { stageEnd, stageStart } from "../store/stage-timers.ts";
import type { Allocator } from "./allocation.ts";

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: "Strict" | "Warn" | "Ignore";
  /** The write is a server-side apply: managedFields were already computed. */
  applied?: boolean;
  /** Filled with `Warning` header texts (unknown fields under Warn). */
  warnings?: string[];
  subresource?: string;
  /** Admission that needs the request's user (admission.ts), run after validation. */
  admit?: AdmitWrite;
  /**
   * For update: the top-level fields `tryUpdate` may change in the private copy it is handed (a
   * merge patch applied in place changes only its own keys); every other field of the copy is
   * still as stored. The status subresource then keeps those parts of the copy without comparing
   * them with the stored object. Undefined: anything may have changed.
   */
  touches?: ReadonlySet<string>;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

const NAMESPACES = findResource("", "v1", "namespaces")!;
const MAX_UPDATE_RETRIES = 8;

export const qualified = (r: ResourceInfo): Qualified => ({ resource: r.resource, group: r.group || undefined, kind: r.kind });

const NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
function generateSuffix(): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

/** The store key of one object (src/apis/registry.ts's storeKey, by its older name here). */
export const objectKey = storeKey;

/** The keys of a resource's objects in one namespace, or in all when `namespace` is undefined. */
const resourcePrefix = (r: ResourceInfo, namespace: string | undefined) => (namespace ? `${storePrefix(r)}${namespace}/` : storePrefix(r));

export class Storage {
  constructor(
    readonly store: Store,
    private readonly now: () => Date = () => new Date(),
    private readonly allocator?: Allocator,
  ) {}

  get(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    const entry = this.store.get(objectKey(r, namespace, name));
    if (!entry) throw notFound(qualified(r), name);
    return entry.object;
  }

  /** The latest revision: the resourceVersion of a list or a bookmark. */
  get revision(): number {
    return this.store.revision;
  }

  /**
   * A resource's objects (in one namespace, or all), in key order after `startAfter`.
   * `continueFrom` is the revision of the list a continue token resumes: 410 once compacted.
   */
  list(r: ResourceInfo, namespace: string | undefined, opts: { startAfter?: string; continueFrom?: number } = {}): ListResult {
    if (opts.continueFrom !== undefined && opts.continueFrom < this.store.compactedRevision) {
      throw expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
    }
    return this.store.list(resourcePrefix(r, namespace), { startAfter: opts.startAfter });
  }

  /** Every change of a resource's objects after `revision`, then live ones; 410 Expired when compacted. */
  watch(r: ResourceInfo, namespace: string | undefined, revision: number, listener: (events: readonly StoreEvent[]) => void): WatchHandle {
    try {
      return this.store.watch(resourcePrefix(r, namespace), revision, listener);
    } catch (err) {
      if (err instanceof CompactedError) throw expired(`too old resource version: ${revision} (${this.store.compactedRevision + 1})`);
      throw err;
    }
  }

  async create(r: ResourceInfo, namespace: string | undefined, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const meta = obj.metadata;
    if (r.namespaced) {
      meta.namespace = namespace;
      this.checkNamespaceOpen(namespace!);
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generateSuffix()}`;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.uid = crypto.randomUUID();
    meta.creationTimestamp = formatTime(this.now());
    delete meta.generation;
    prepareForCreate(r, obj);
    const t = stageStart();
    obj = this.recordManager(undefined, obj, opts);
    stageEnd("managedFields", t);
    const admitted = this.admit(r, obj, undefined, opts);
    const release = admitted instanceof Promise ? await admitted : admitted;
    try {
      return await this.write(r, namespace, obj, opts);
    } finally {
      release?.();
    }
  }

  private async write(r: ResourceInfo, namespace: string | undefined, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const meta = obj.metadata;
    const allocation = this.allocator?.begin(r, obj, undefined);
    if (opts.dryRun) {
      await allocation?.revert();
      if (this.store.get(objectKey(r, namespace, meta.name!))) throw alreadyExists(qualified(r), meta.name!);
      return obj;
    }
    try {
      // Most kinds allocate nothing: no await (and no microtask turn) for an absent allocation.
      if (allocation?.reserve) await allocation.reserve();
      const created = (await this.store.create(objectKey(r, namespace, meta.name!), obj)).object;
      if (allocation) await allocation.commit();
      return created;
    } catch (err) {
      await allocation?.revert();
      if (err instanceof KeyExistsError) throw alreadyExists(qualified(r), meta.name!);
      throw err;
    }
  }

  /**
   * Read-modify-write with retries on conflict (GuaranteedUpdate). `tryUpdate` gets a private
   * copy of the current object and returns the desired one; it throws to abort (e.g. a stale
   * resourceVersion named by the client).
   */
  async update(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    tryUpdate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    const key = objectKey(r, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const current = this.store.get(key);
      if (!current) throw notFound(qualified(r), name);
      let t = stageStart();
      const copy = copyOfStored(current.object);
      stageEnd("copy", t);
      const desired = await tryUpdate(copy);
      t = stageStart();
      if (desired.metadata?.name !== undefined && desired.metadata.name !== name) {
        throw badRequest(`the name of the object (${desired.metadata.name}) does not match the name on the URL (${name})`);
      }
      desired.metadata = { ...desired.metadata, name, namespace: current.object.metadata.namespace };
      if (!r.namespaced) delete desired.metadata.namespace;
      const prepared = prepareForUpdate(r, desired, current.object, opts.subresource, desired === copy ? opts.touches : undefined);
      stageEnd("prepare", t);
      t = stageStart();
      const next = this.recordManager(current.object, prepared, opts);
      stageEnd("managedFields", t);
      next.apiVersion = current.object.apiVersion;
      next.kind = current.object.kind;
      const release = await this.admit(r, next, current.object, opts);
      // Held until this attempt's write has settled: quota admission's namespace lock (quota-admission.ts).
      try {
        next.metadata.resourceVersion = current.object.metadata.resourceVersion;
        t = stageStart();
        const unchanged = sameObject(next, current.object);
        stageEnd("noop check", t);
        if (unchanged) return current.object;
        const removing = readyToRemove(r, next);
        const allocation = this.allocator?.begin(r, removing ? undefined : next, current.object);
        if (opts.dryRun) {
          await allocation?.revert();
          return next;
        }
        try {
          await allocation?.reserve?.();
          const written = removing ? await this.store.delete(key, current.revision) : await this.store.update(key, next, current.revision);
          await allocation?.commit();
          return written.object;
        } catch (err) {
          await allocation?.revert();
          if (err instanceof RevisionConflictError && attempt < MAX_UPDATE_RETRIES) {
            // The newer revision may still be on its way to disk: retry on top of it once it lands.
            await this.store.settled();
            continue;
          }
          if (err instanceof RevisionConflictError) throw staleConflict(qualified(r), name);
          if (err instanceof KeyNotFoundError) throw notFound(qualified(r), name);
          throw err;
        }
      } finally {
        release?.();
      }
    }
  }

  /** Deletes now, or marks for deletion when a grace period or finalizers hold the object. */
  async delete(r: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    // NamespaceLifecycle admission: for everyone, system:masters included.
    if (r === NAMESPACES && IMMORTAL_NAMESPACES.has(name)) {
      const err = forbidden(`namespaces ${JSON.stringify(name)} is forbidden: this namespace may not be deleted`);
      err.status.details = { name, group: "", kind: "namespaces" };
      throw err;
    }
    // kube's priorityclass storage: the system classes stay (pods of the control plane name them).
    if (r.group === "scheduling.k8s.io" && r.resource === "priorityclasses" && isSystemPriorityClass(name)) {
      const err = forbidden(`priorityclasses.scheduling.k8s.io ${JSON.stringify(name)} is forbidden: this is a system priority class and cannot be deleted`);
      err.status.details = { name, group: "scheduling.k8s.io", kind: "priorityclasses" };
      throw err;
    }
    const key = objectKey(r, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const current = this.store.get(key);
      if (!current) throw notFound(qualified(r), name);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.object.metadata.uid) {
        throw badRequestConflict(r, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.object.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.object.metadata.resourceVersion) {
        throw badRequestConflict(r, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.object.metadata.resourceVersion}`);
      }
      const grace = gracePeriodSeconds(r, current.object, opts.gracePeriodSeconds);
      const m = current.object.metadata;
      const nsFinalizers = specFinalizers(r, current.object);
      if (nsFinalizers.length && m.deletionTimestamp) {
        throw conflict(qualified(r), name, "The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.");
      }
      // As in Kubernetes, a pending graceful deletion freezes the finalizers: a later delete may
      // only shorten the grace period.
      const pendingGraceful = !!m.deletionTimestamp && (m.deletionGracePeriodSeconds ?? 0) > 0 && grace >= m.deletionGracePeriodSeconds!;
      const finalizers = pendingGraceful ? (m.finalizers ?? []) : gcFinalizers(m.finalizers ?? [], opts.propagationPolicy);
      // A kind's cleanup finalizers join on the first delete only (a CRD's customresourcecleanup).
      if (!m.deletionTimestamp) for (const f of finalizersOnDelete(r, current.object)) if (!finalizers.includes(f)) finalizers.push(f);
      let next: KubeObject | undefined;
      if (grace > 0 || finalizers.length || nsFinalizers.length) {
        next = copyOfStored(current.object);
        const nm = next.metadata;
        if (finalizers.length) nm.finalizers = finalizers;
        else delete nm.finalizers;
        const shortened = nm.deletionGracePeriodSeconds !== undefined && grace < nm.deletionGracePeriodSeconds;
        if (!nm.deletionTimestamp || shortened) {
          nm.deletionTimestamp = formatTime(new Date(this.now().getTime() + grace * 1000));
          nm.deletionGracePeriodSeconds = grace;
        }
        // The namespace controller empties it, then clears spec.finalizers through /finalize.
        if (nsFinalizers.length) markDeleting(r, next);
        if (Bun.deepEquals(next, current.object)) return current.object;
        if (!nsFinalizers.length && readyToRemove(r, next)) next = undefined;
      }
      if (opts.dryRun) return next ?? current.object;
      const allocation = next ? undefined : this.allocator?.begin(r, undefined, current.object);
      try {
        if (next) return (await this.store.update(key, next, current.revision)).object;
        const removed = (await this.store.delete(key, current.revision)).object;
        await allocation?.commit();
        return removed;
      } catch (err) {
        await allocation?.revert();
        if (err instanceof RevisionConflictError && attempt < MAX_UPDATE_RETRIES) {
          // The newer revision may still be on its way to disk: retry on top of it once it lands.
          await this.store.settled();
          continue;
        }
        if (err instanceof KeyNotFoundError) throw notFound(qualified(r), name);
        throw err;
      }
    }
  }

  /** managedFields for a create or update (server-side apply computes its own). */
  private recordManager(old: KubeObject | undefined, obj: KubeObject, opts: WriteOptions): KubeObject {
    if (opts.applied || !opts.fieldManager || opts.subresource === "binding") return obj;
    return updateManagedFields(old, obj, opts.fieldManager, "Update", formatTime(this.now()), opts.subresource);
  }

  /**
   * Defaulting, then schema and semantic validation; throws the Status a client should see. A
   * promise only when an admission step is still at work (webhooks, a quota's lock).
   */
  private admit(r: ResourceInfo, obj: KubeObject, old: KubeObject | undefined, opts: WriteOptions): Release | void | Promise<Release | void> {
    // A binding's pod is the stored one with nodeName set by the server: nothing of it is the client's.
    let t = stageStart();
    const unknown = opts.fieldValidation === "Ignore" || opts.subresource === "binding" ? [] : (kindUnknownFields(r, obj) ?? unknownFields(r.group, converterFor(r)?.storageVersion ?? r.version, r.kind, obj));
    if (unknown.length && opts.fieldValidation === "Strict") {
      throw strictDecodingError(r.kind, r.version, unknown);
    }
    if (unknown.length) opts.warnings?.push(...unknown);
    stageEnd("unknownFields", t);
    t = stageStart();
    applyDefaults(r, obj);
    if (!old) admitStorageCreate(r, obj, this.store);
    stageEnd("defaults", t);
    if (opts.subresource === "binding") return; // the binding handler changes only nodeName and a condition
    t = stageStart();
    const causes = old && opts.subresource === "status" ? validateStatusUpdate(r, obj, old) : validateObject(r, obj, old);
    stageEnd("validation", t);
    if (causes.length) throw invalid(r.kind, obj.metadata?.name ?? "", causes, r.group || undefined);
    if (!opts.admit) return;
    t = stageStart();
    const admitted = opts.admit(obj, old);
    stageEnd("admission", t);
    return admitted;
  }

  private checkNamespaceOpen(namespace: string): void {
    const ns = this.store.get(objectKey(NAMESPACES, undefined, namespace));
    if (!ns) throw notFound(qualified(NAMESPACES), namespace);
    if (ns.object.metadata.deletionTimestamp) {
      throw forbidden(`unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }
}

/**
 * Bun.deepEquals(next, current, true), with the parts writes change (status, spec) compared first:
 * a write that changed them is told apart at once instead of after a walk of everything before
 * them (metadata with its managedFields, and a status write's whole spec). Only a difference
 * there answers early, so the result is the whole comparison's.
 */
function sameObject(next: KubeObject, current: KubeObject): boolean {
  const n = next as { status?: unknown; spec?: unknown };
  const c = current as { status?: unknown; spec?: unknown };
  return Bun.deepEquals(n.status, c.status, true) && Bun.deepEquals(n.spec, c.spec, true) && Bun.deepEquals(next, current, true);
}

function badRequestConflict(r: ResourceInfo, name: string, message: string) {
  const err = staleConflict(qualified(r), name);
  err.status.message = `Operation cannot be fulfilled on ${qualified(r).resource}${r.group ? `.${r.group}` : ""} "${name}": ${message}`;
  return err;
}


/**
 * The finalizers a delete leaves on an object, after deletionFinalizersForGarbageCollection:
 * Orphan asks the garbage collector to strip dependents' ownerReferences first, Foreground to
 * delete the blocking dependents first, Background (every kind kubun serves defaults to it) to
 * delete the owner now and the dependents after. Without a policy, a GC finalizer already
 * present stays.
 */
export function gcFinalizers(finalizers: readonly string[], policy?: string): string[] {
  const orphan = policy === "Orphan" || (policy === undefined && finalizers.includes(FINALIZER_ORPHAN));
  const foreground = policy === "Foreground" || (policy === undefined && !orphan && finalizers.includes(FINALIZER_FOREGROUND));
  const next = finalizers.filter((f) => f !== FINALIZER_ORPHAN && f !== FINALIZER_FOREGROUND);
  if (orphan) next.push(FINALIZER_ORPHAN);
  if (foreground) next.push(FINALIZER_FOREGROUND);
  return next;
}
