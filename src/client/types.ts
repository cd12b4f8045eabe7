// The options of the client's verbs (the query parameters Kubernetes takes) and the
// list+watch contract an informer runs on.
import type { KubeList, KubeObject, Status } from "../apis/meta.ts";
import type { LineInterner } from "./ndjson.ts";

/** Which objects a list or watch covers. */
export interface Scope {
  /** Omitted: every namespace (ignored for cluster-scoped resources). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListOptions extends Scope {
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions extends Scope {
  /** Changes after this revision; omitted or "0": the current objects as ADDED first. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long; the caller then re-watches. */
  timeoutSeconds?: number;
  /**
   * Not sent: events this process already holds as objects, taken instead of parsing their line
   * (ndjson.ts's LineInterner; `kubun server`'s informers get the store's own copy this way).
   */
  internLine?: LineInterner;
}

/** The events a watch delivers; an ERROR event instead ends the watch with a StatusError. */
export interface ObjectEvent<T extends KubeObject = KubeObject> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  object: T;
}

export type PatchType = "merge" | "strategic" | "json" | "apply";

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
};

export interface PatchOptions {
  /** Required by server-side apply; names the writer in managedFields otherwise. */
  fieldManager?: string;
  /** Server-side apply: take fields over from other managers instead of failing with 409. */
  force?: boolean;
  subresource?: string;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** What a delete answers: the object while it is still terminating (finalizers, grace), else a Status. */
export type DeleteResult<T extends KubeObject = KubeObject> = T | Status;

/**
 * The two calls an informer needs, bound to one resource and scope. KubeClient.listerWatcher
 * makes one; tests pass fakes.
 */
export interface ListerWatcher<T extends KubeObject = KubeObject> {
  list(opts: { resourceVersion?: string }): Promise<KubeList<T>>;
  /**
   * Streams events until the server ends the watch (resolves), the signal aborts (resolves),
   * or it fails (rejects: a StatusError for an HTTP error or an ERROR event, else the network error).
   */
  watch(
    opts: { resourceVersion: string; allowWatchBookmarks?: boolean; timeoutSeconds?: number; internLine?: LineInterner },
    onEvent: (event: ObjectEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void>;
}
