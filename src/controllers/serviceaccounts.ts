// The service account controller: every active namespace has a `default` ServiceAccount, the
// one pods run as when they name none. Recreated if deleted, as kube-controller-manager's
// serviceaccount-controller does.
import type { KubeObject } from "../apis/meta.ts";
import { resourceFor, type ControllerContext, type Running, WorkQueue } from "../client/index.ts";
import { runController, type Controller } from "./controller-utils.ts";
import { isAlreadyExists, isForbidden, isNotFound } from "../apis/errors.ts";

const DEFAULT_SERVICE_ACCOUNT = "default";
const SERVICE_ACCOUNTS = resourceFor("ServiceAccount");
const WORKERS = 1;

/** Its handlers added to the shared informers; runController (or a test) runs its sync. */
export function newServiceAccountsController(ctx: ControllerContext): Controller {
  const queue = new WorkQueue<string>();
  const namespaces = ctx.informers.informerFor("Namespace");
  const serviceAccounts = ctx.informers.informerFor("ServiceAccount");
  const enqueueNamespace = (ns: KubeObject) => queue.add(ns.metadata.name!);
  const removeNs = namespaces.addEventHandler({ onAdd: enqueueNamespace, onUpdate: (_, ns) => enqueueNamespace(ns) });
  const removeSa = serviceAccounts.addEventHandler({
    onDelete: (sa) => {
      if (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT) queue.add(sa.metadata.namespace!);
    },
  });

  async function sync(namespace: string): Promise<void> {
    const ns = namespaces.lister.get(undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === "Terminating") return;
    if (serviceAccounts.lister.get(namespace, DEFAULT_SERVICE_ACCOUNT)) return;
    try {
      await ctx.client.create(SERVICE_ACCOUNTS, namespace, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: DEFAULT_SERVICE_ACCOUNT } });
    } catch (err) {
      // It exists and the cache lags, or the namespace is terminating or gone: each settles itself.
      if (isAlreadyExists(err) || isForbidden(err) || isNotFound(err)) return;
      throw err;
    }
  }

  return { queue, sync, removers: [removeNs, removeSa] };
}

export function startServiceAccountsController(ctx: ControllerContext): Running {
  const c = newServiceAccountsController(ctx);
  return runController(ctx.informers, c.queue, WORKERS, c.sync, c.removers);
}
