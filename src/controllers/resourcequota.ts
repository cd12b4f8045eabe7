// The resource quota controller (kube-controller-manager's resourcequota controller): keeps each
// ResourceQuota's status.hard and status.used current as the objects it counts come and go.
// Admission (src/api/quota-admission.ts) computes usage itself; status is for people
// (`kubectl describe quota`) and clients. Handlers only enqueue the quotas of the object's
// namespace; sync(key) recomputes one quota from the informer caches.
import type { KubeObject } from "../apis/meta.ts";
import { allResources, type ResourceInfo } from "../apis/registry.ts";
import type { ResourceQuota } from "../apis/core/resourcequota.ts";
import { quotaUsage, resourceTracks, toResourceList, type Amounts } from "../apis/core/quota-usage.ts";
import { parseQuantity } from "../apis/quantity.ts";
import { resourceFor, type Lister } from "../client/index.ts";
import { WorkQueue, warnUnlessConflict, type ControllerContext, type Running } from "../client/index.ts";

/** A counted kind's cache is still filling: the key is retried with back-off, quietly. */
class CachesNotSynced extends Error {}

const QUOTAS = resourceFor("ResourceQuota");
const WORKERS = 1;

/**
 * The served, listable namespaced resources a quota's keys count (pods for compute names),
 * custom resources included (count/websites.example.com); one version of each group/resource.
 */
export function trackedResources(hard: Record<string, unknown>): ResourceInfo[] {
  const names = Object.keys(hard);
  const seen = new Set<string>();
  return allResources().filter((r) => {
    if (!r.namespaced || !r.verbs.includes("list") || !names.some((n) => resourceTracks(r, n)) || seen.has(`${r.group}/${r.resource}`)) return false;
    seen.add(`${r.group}/${r.resource}`);
    return true;
  });
}

/** status.used of a quota: every hard name, 0 when nothing counts under it. */
export function computeUsed(quota: ResourceQuota, listers: (r: ResourceInfo) => Lister | undefined, now: Date): Record<string, string> {
  const hard = quota.spec?.hard ?? {};
  const used: Amounts = new Map(Object.keys(hard).map((k) => [k, parseQuantity("0")]));
  for (const r of trackedResources(hard)) {
    const lister = listers(r);
    if (!lister) continue;
    for (const [k, v] of quotaUsage(quota, r, lister.list(quota.metadata.namespace), now)) used.set(k, v);
  }
  return toResourceList(used);
}

export interface QuotaStatusWriter {
  writeStatus(quota: ResourceQuota, status: NonNullable<ResourceQuota["status"]>): Promise<void>;
}

export class ResourceQuotaController {
  constructor(
    private readonly deps: {
      quotas: Lister<ResourceQuota>;
      /** The cache of a resource, or undefined while it hasn't synced (the key is then retried). */
      listerFor(r: ResourceInfo): Lister | undefined;
      status: QuotaStatusWriter;
      now: () => Date;
    },
  ) {}

  async sync(key: string): Promise<void> {
    const [namespace, name] = key.split("/") as [string, string];
    const quota = this.deps.quotas.get(namespace, name);
    if (!quota || quota.metadata.deletionTimestamp) return;
    const hard = quota.spec?.hard ?? {};
    let synced = true;
    const used = computeUsed(quota, (r) => {
      const lister = this.deps.listerFor(r);
      if (!lister) synced = false;
      return lister;
    }, this.deps.now());
    if (!synced) throw new CachesNotSynced(key);
    const status = { hard: { ...hard }, used };
    if (Bun.deepEquals(quota.status ?? {}, status)) return;
    await this.deps.status.writeStatus(quota, status);
  }
}

export function startResourceQuotaController(ctx: ControllerContext): Running {
  const queue = new WorkQueue<string>();
  const quotas = ctx.informers.informerFor<ResourceQuota>(QUOTAS);
  const removers: (() => void)[] = [];
  const watched = new Set<ResourceInfo>();
  const enqueue = (q: KubeObject) => queue.add(`${q.metadata.namespace}/${q.metadata.name}`);
  const enqueueNamespace = (obj: KubeObject) => {
    for (const q of quotas.lister.list(obj.metadata.namespace)) enqueue(q);
  };
  // Informers of counted kinds are made when a quota first names them, then feed every quota.
  const watch = (r: ResourceInfo) => {
    if (watched.has(r)) return;
    watched.add(r);
    const informer = ctx.informers.informerFor(r);
    removers.push(informer.addEventHandler({ onAdd: enqueueNamespace, onUpdate: (_, o) => enqueueNamespace(o), onDelete: enqueueNamespace }));
  };
  const onQuota = (q: ResourceQuota) => {
    trackedResources(q.spec?.hard ?? {}).forEach(watch);
    enqueue(q);
  };
  removers.push(quotas.addEventHandler({ onAdd: onQuota, onUpdate: (_, q) => onQuota(q) }));
  const controller = new ResourceQuotaController({
    quotas: quotas.lister,
    listerFor: (r) => {
      watch(r);
      const informer = ctx.informers.informerFor(r);
      return informer.hasSynced() ? informer.lister : undefined;
    },
    status: {
      async writeStatus(quota, status) {
        try {
          await ctx.client.updateStatus(QUOTAS, { ...structuredClone(quota), status });
        } catch (err) {
          if ((err as { code?: number }).code === 404) return; // deleted meanwhile
          throw err; // 409: requeued, and the newer quota is recomputed
        }
      },
    },
    now: ctx.now,
  });

  const abort = new AbortController();
  const workers = (async () => {
    if (!(await quotas.waitForSync(abort.signal))) return;
    const warn = warnUnlessConflict("resourcequota");
    await queue.runWorkers(WORKERS, (key) => controller.sync(key), { onError: (key, err) => err instanceof CachesNotSynced || warn(key, err) });
  })();

  return {
    async stop() {
      abort.abort();
      queue.shutDown();
      removers.forEach((remove) => remove());
      await workers;
    },
  };
}
