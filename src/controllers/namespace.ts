// The namespace controller: a namespace deleted by a client is Terminating (deletionTimestamp
// set, spec.finalizers still holding "kubernetes"); this controller deletes all of its content,
// waits until nothing is left, then removes its finalizer through /finalize, which removes the
// namespace.
import { FINALIZER_KUBERNETES, type Namespace } from "../apis/index.ts";
import type { KubeObject } from "../apis/meta.ts";
import { type ControllerContext, type Running, WorkQueue } from "../client/index.ts";
import { runController, type Controller } from "./controller-utils.ts";
import { deleteNamespaceContent } from "./namespace-deleter.ts";
import { isNotFound } from "../apis/errors.ts";

export interface NamespaceControllerOptions {
  /** How soon a namespace with content still terminating is looked at again (default 2 s). */
  retryMs?: number;
}

const WORKERS = 2;

/** Its handlers added to the shared informers; runController (or a test) runs its sync. */
export function newNamespaceController(ctx: ControllerContext, opts: NamespaceControllerOptions = {}): Controller {
  const retryMs = opts.retryMs ?? 2_000;
  const queue = new WorkQueue<string>();
  const informer = ctx.informers.informerFor<Namespace>("Namespace");
  const recorder = ctx.recorder("namespace-controller");
  const enqueue = (ns: KubeObject) => {
    if (ns.metadata.deletionTimestamp) queue.add(ns.metadata.name!);
  };
  const remove = informer.addEventHandler({ onAdd: enqueue, onUpdate: (_, ns) => enqueue(ns) });

  async function sync(name: string): Promise<void> {
    const ns = informer.lister.get(undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    const finalizers = ns.spec?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER_KUBERNETES)) return;
    const remaining = await deleteNamespaceContent(ctx.client, name);
    if (remaining.size) {
      // Pods stopping on their nodes, objects held by finalizers: look again shortly.
      queue.addAfter(name, retryMs);
      return;
    }
    try {
      await ctx.client.request("PUT", `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, {
        body: {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name, resourceVersion: ns.metadata.resourceVersion },
          spec: { finalizers: finalizers.filter((f) => f !== FINALIZER_KUBERNETES) },
        },
      });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  const onError = (name: string, err: unknown) => {
    const ns = informer.lister.get(undefined, name);
    if (ns) recorder.event(ns, "Warning", "NamespaceDeletionFailed", `deleting the content of namespace ${name}: ${(err as Error).message ?? err}`);
  };
  return { queue, sync, removers: [remove], onError };
}

export function startNamespaceController(ctx: ControllerContext, opts: NamespaceControllerOptions = {}): Running {
  const c = newNamespaceController(ctx, opts);
  return runController(ctx.informers, c.queue, WORKERS, c.sync, c.removers, { onError: c.onError });
}
