// ResourceQuota admission, after kube-apiserver's ResourceQuota plugin: a write that would take
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
import type { AdmitWrite, Release } from "./admit-write.ts";
import { compareStrings } from "../apis/compare.ts";

const QUOTAS = findResource("", "v1", "resourcequotas")!;
const QUOTAS_PREFIX = storePrefix(QUOTAS);

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

/**
 * The quota step for writes to namespaced kinds, or undefined when it doesn't apply. Creates are
 * charged in full, updates by what they add (a Service turned NodePort); pods only on create,
 * as kube without in-place resize.
 */
export function resourceQuotaAdmission(r: ResourceInfo, deps: QuotaDeps | undefined): AdmitWrite | undefined {
  if (!deps || !r.namespaced || !r.verbs.includes("list")) return undefined;
  const isPod = !r.group && r.kind === "Pod";
  // Synchronous until a quota charges the write: most namespaces have none, and their writes
  // take no promise of this step.
  return (obj, old) => {
    if (old && isPod) return;
    const namespace = obj.metadata.namespace!;
    const quotas = deps.store.list(`${QUOTAS_PREFIX}${namespace}/`).items;
    if (quotas.length === 0) return; // most namespaces: no quota, nothing to charge
    const now = deps.now?.() ?? new Date();
    // Only writes that ask for something wait for the lock; the check is redone under it.
    const charged = quotas.some((q) => requestedOf(q.object as ResourceQuota, r, obj, old, now).size > 0);
    if (!charged) return;
    return chargeUnderLock(deps, r, obj, old, namespace, now);
  };
}

async function chargeUnderLock(deps: QuotaDeps, r: ResourceInfo, obj: KubeObject, old: KubeObject | undefined, namespace: string, now: Date): Promise<Release> {
  const release = await deps.locks.acquire(namespace);
  try {
    checkQuotas(deps, r, obj, old, namespace, now);
  } catch (err) {
    release();
    throw err;
  }
  return release;
}

/** What the quota tracks of the object's usage, and, for an update, that usage before. */
function usageOf(quota: ResourceQuota, r: ResourceInfo, obj: KubeObject | undefined, now: Date): Amounts {
  if (!obj || !quotaMatches(quota, r, obj)) return new Map();
  return mask(objectUsage(r, obj, now), quota.spec?.hard ?? {});
}

/** What the write adds to the quota's usage: only the amounts that grow. */
function requestedOf(quota: ResourceQuota, r: ResourceInfo, obj: KubeObject, old: KubeObject | undefined, now: Date): Amounts {
  const before = usageOf(quota, r, old, now);
  const out: Amounts = new Map();
  for (const [k, v] of usageOf(quota, r, obj, now)) {
    const b = before.get(k);
    const delta = b ? { ...v, num: v.num * b.den - b.num * v.den, den: v.den * b.den } : v;
    if (delta.num > 0n) out.set(k, delta);
  }
  return out;
}

function checkQuotas(deps: QuotaDeps, r: ResourceInfo, obj: KubeObject, old: KubeObject | undefined, namespace: string, now: Date): void {
  const quotas = (listIn(deps.store, QUOTAS, namespace) as ResourceQuota[]).sort((a, b) => compareStrings(a.metadata.name!, b.metadata.name!));
  const what = `${r.resource}${r.group ? `.${r.group}` : ""} ${JSON.stringify(obj.metadata.name)} is forbidden`;
  let others: KubeObject[] | undefined;
  for (const quota of quotas) {
    const hard = quota.spec?.hard ?? {};
    const requested = requestedOf(quota, r, obj, old, now);
    if (!requested.size) continue;
    if (!r.group && r.kind === "Pod") {
      const missing = podConstraints(obj as Pod, hard);
      if (missing) throw forbidden(`${what}: failed quota: ${quota.metadata.name}: ${missing}`);
    }
    others ??= listIn(deps.store, r, namespace).filter((o) => o.metadata.name !== obj.metadata.name);
    const used = addAll(quotaUsage(quota, r, others, now), usageOf(quota, r, old, now));
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
