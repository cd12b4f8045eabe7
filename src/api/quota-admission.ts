// ResourceQuota admission, after kube-apiserver's ResourceQuota plugin: a create that would take
// any quota of its namespace past `hard` is refused with 403 and upstream's message.
//
// Usage is computed from the store at admission rather than read from status.used (which the
// quota controller keeps for people), so it is never stale. kube makes racing creates safe by
// writing the quota's status with its resourceVersion before admitting; kubun serves one store
// from one process, so it serializes instead: a create holds its namespace's quota lock from
// the usage check until its store write has settled (the release returned to storage.ts), and
// the next create in that namespace then sees it in the store.
import { forbidden } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { findResource, storePrefix, type ResourceInfo } from "../apis/registry.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { ResourceQuota } from "../apis/core/resourcequota.ts";
import { addAll, amountsOf, mask, objectUsage, podConstraints, prettyPrint, quotaMatches, quotaUsage, type Amounts } from "../apis/core/quota-usage.ts";
import { compareQuantities } from "../apis/quantity.ts";
import type { Store } from "../store/index.ts";
import type { AdmitWrite, Release } from "./admission.ts";

const QUOTAS = findResource("", "v1", "resourcequotas")!;

/** Per-namespace locks of one API server process. */
export class QuotaLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(namespace: string): Promise<Release> {
    const prev = this.tails.get(namespace) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = prev.then(() => mine);
    this.tails.set(namespace, tail);
    await prev;
    return () => {
      release();
      if (this.tails.get(namespace) === tail) this.tails.delete(namespace);
    };
  }
}

export interface QuotaDeps {
  store: Store;
  locks: QuotaLocks;
  now?: () => Date;
}

const listIn = (store: Store, r: ResourceInfo, namespace: string): KubeObject[] =>
  store.list(`${storePrefix(r)}${namespace}/`).items.map((e) => e.object);

/** The quota step for creates of namespaced kinds, or undefined when it doesn't apply. */
export function resourceQuotaAdmission(r: ResourceInfo, deps: QuotaDeps | undefined): AdmitWrite | undefined {
  if (!deps || !r.namespaced || !r.verbs.includes("list")) return undefined;
  return async (obj, old) => {
    if (old) return; // only creates are charged (pod resizes and service type changes are not)
    const namespace = obj.metadata.namespace!;
    if (!listIn(deps.store, QUOTAS, namespace).length) return;
    const release = await deps.locks.acquire(namespace);
    try {
      checkQuotas(deps, r, obj, namespace);
    } catch (err) {
      release();
      throw err;
    }
    return release;
  };
}

function checkQuotas(deps: QuotaDeps, r: ResourceInfo, obj: KubeObject, namespace: string): void {
  const now = deps.now?.() ?? new Date();
  const quotas = (listIn(deps.store, QUOTAS, namespace) as ResourceQuota[]).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const what = `${r.resource}${r.group ? `.${r.group}` : ""} ${JSON.stringify(obj.metadata.name)} is forbidden`;
  let objects: KubeObject[] | undefined;
  for (const quota of quotas) {
    const hard = quota.spec?.hard ?? {};
    if (!quotaMatches(quota, r, obj)) continue;
    const requested = mask(objectUsage(r, obj, now), hard);
    if (!requested.size) continue;
    if (r.kind === "Pod" && !r.group) {
      const missing = podConstraints(obj as Pod, hard);
      if (missing) throw forbidden(`${what}: failed quota: ${quota.metadata.name}: ${missing}`);
    }
    objects ??= listIn(deps.store, r, namespace).filter((o) => o.metadata.name !== obj.metadata.name);
    const used = quotaUsage(quota, r, objects, now);
    const exceeded = exceededNames(addAll(new Map(used), requested), amountsOf(hard), requested);
    if (!exceeded.length) continue;
    const only = (a: Amounts) => new Map(exceeded.map((k) => [k, a.get(k) ?? amountsOf({ [k]: "0" }).get(k)!]));
    throw forbidden(
      `${what}: exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(only(requested))}, used: ${prettyPrint(only(used))}, limited: ${prettyPrint(only(amountsOf(hard)))}`,
    );
  }
}

function exceededNames(total: Amounts, hard: Amounts, requested: Amounts): string[] {
  return [...requested.keys()].filter((k) => hard.has(k) && compareQuantities(total.get(k)!, hard.get(k)!) > 0).sort();
}
