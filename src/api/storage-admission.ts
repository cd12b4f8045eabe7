// The storage admission plugins of kube-apiserver, in its order, on the write path before
// validation: DefaultStorageClass (a new claim without storageClassName gets the default
// class) and StorageObjectInUseProtection (every new claim and volume carries its protection
// finalizer, so it outlives the pods and claims using it; the protection controllers lift it).
import type { KubeObject } from "../apis/meta.ts";
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from "../apis/core/persistentvolume.ts";
import { findResource, storeKey, type ResourceInfo } from "../apis/registry.ts";
import { type StorageClass, isDefaultClass } from "../apis/storage/storageclass.ts";
import type { Store } from "../store/index.ts";
import { compareStrings } from "../apis/compare.ts";

const STORAGE_CLASSES = findResource("storage.k8s.io", "v1", "storageclasses")!;

/** The default class: with several, the newest wins (then the name), as in Kubernetes 1.26+. */
export function defaultStorageClassName(classes: readonly KubeObject[]): string | undefined {
  const defaults = classes.filter(isDefaultClass).sort((a, b) => {
    const byAge = compareStrings(b.metadata.creationTimestamp ?? "", a.metadata.creationTimestamp ?? "");
    return byAge || compareStrings(a.metadata.name ?? "", b.metadata.name ?? "");
  });
  return defaults[0]?.metadata.name;
}

function addFinalizer(obj: KubeObject, finalizer: string): void {
  const list = Array.isArray(obj.metadata.finalizers) ? obj.metadata.finalizers : [];
  if (!list.includes(finalizer)) obj.metadata.finalizers = [...list, finalizer];
}

/** Runs on creates only: an update keeps what the object was given (a finalizer removed stays removed). */
export function admitStorageCreate(r: ResourceInfo, obj: KubeObject, store: Store): void {
  if (r.group !== "") return;
  if (r.kind === "PersistentVolumeClaim") {
    const spec = (obj as { spec?: { storageClassName?: string | null } }).spec;
    // An explicit "" means "no class" and is kept; only a missing name is defaulted.
    if (spec && typeof spec === "object" && (spec.storageClassName === undefined || spec.storageClassName === null)) {
      const classes = store.list(storeKey(STORAGE_CLASSES, undefined, "")).items.map((e) => e.object as StorageClass);
      const name = defaultStorageClassName(classes);
      if (name) spec.storageClassName = name;
    }
    addFinalizer(obj, PVC_PROTECTION_FINALIZER);
  } else if (r.kind === "PersistentVolume") addFinalizer(obj, PV_PROTECTION_FINALIZER);
}
