// GET <object>/history: the versions of one object that the revision log still holds, oldest
// first — kubun's own read, for the dashboard's History tab and for curl / `kubectl get --raw`.
// Kubernetes keeps no such thing (etcd holds the revisions but kube-apiserver serves only the
// newest); kubun's store is a revision log, so past versions cost nothing to keep until
// compaction drops them, and nothing to serve until somebody asks.
//
// Each item says when and by whom as far as the object itself tells: the field manager whose
// managedFields entry changed at that version, and that entry's time. Who (which user) made a
// change isn't recorded in the log; the audit log has it.
import { notFound, serviceUnavailable } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { storeKey } from "../../apis/registry.ts";
import type { HandlerContext } from "./context.ts";
import { respond } from "./context.ts";
import { compareStrings } from "../../apis/compare.ts";

export interface ObjectHistoryItem {
  revision: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** The field manager whose managedFields entry is newest in this version, and its time. */
  manager?: string;
  operation?: string;
  time?: string;
  object: KubeObject;
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  time?: string;
  subresource?: string;
}

/** The newest managedFields entry of `obj` that differs from `prev`'s: who changed this version. */
export function changedBy(obj: KubeObject, prev: KubeObject | undefined): ManagedFieldsEntry | undefined {
  const before = new Set((prev?.metadata.managedFields ?? []).map((e) => JSON.stringify(e)));
  const entries = ((obj.metadata.managedFields ?? []) as ManagedFieldsEntry[]).filter((e) => !before.has(JSON.stringify(e)));
  return entries.sort((a, b) => compareStrings(b.time ?? "", a.time ?? ""))[0];
}

export async function handleHistory(h: HandlerContext): Promise<Response> {
  const store = h.deps.storage.store;
  if (!store.history) throw serviceUnavailable("this datastore does not serve object history");
  const key = storeKey(h.r, h.info.namespace, h.info.name!);
  const versions = await store.history(key);
  if (versions.length === 0) throw notFound({ resource: h.r.resource, group: h.r.group }, h.info.name!);
  const items: ObjectHistoryItem[] = versions.map((v, i) => {
    const by = v.type === "DELETED" ? undefined : changedBy(v.object, versions[i - 1]?.object);
    return { revision: String(v.revision), type: v.type, manager: by?.manager, operation: by?.operation, time: by?.time, object: v.object };
  });
  return respond(h, {
    kind: "ObjectHistory",
    apiVersion: "kubun.io/v1alpha1",
    metadata: { resourceVersion: String(store.revision), compactedRevision: String(store.compactedRevision) },
    items,
  });
}
