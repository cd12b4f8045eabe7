// Kinds served in a second API version: the object is stored once, in its storage version, and
// converted at the API's edge — request bodies to the storage version, answers and watch events
// back to the version the URL names — as kube-apiserver converts through its internal version.
// The resources live in registry.ts's CONVERTED_RESOURCES, outside RESOURCES, so controllers,
// the garbage collector and quota see each kind once.
import type { KubeObject } from "./meta.ts";
import { hpaFromV1, hpaToV1 } from "./autoscaling/v1.ts";

export interface VersionConverter {
  /** The version the object is stored (and schema-checked) in. */
  storageVersion: string;
  /** A body in the served version → the stored form. */
  toStorage(obj: KubeObject): KubeObject;
  /** The stored form → the served version. */
  fromStorage(obj: KubeObject): KubeObject;
}

const CONVERTERS: Record<string, VersionConverter> = {
  "autoscaling/v1/HorizontalPodAutoscaler": { storageVersion: "v2", toStorage: hpaFromV1, fromStorage: hpaToV1 },
};
const CONVERTED_KINDS = new Set(Object.keys(CONVERTERS).map((k) => k.slice(k.lastIndexOf("/") + 1)));

/** The converter of a resource served in a version other than its storage version, if it is one. */
export function converterFor(r: { group: string; version: string; kind: string }): VersionConverter | undefined {
  // Asked several times by every write and answer: kinds no converter names are told apart
  // without making and hashing a "group/version/Kind" string.
  if (!CONVERTED_KINDS.has(r.kind)) return undefined;
  return CONVERTERS[`${r.group}/${r.version}/${r.kind}`];
}
