// What an object costs against a ResourceQuota, after kube's quota evaluators
// (pkg/quota/v1/evaluator/core): every object counts 1 under count/<resource>[.<group>] (and
// its legacy name, e.g. "configmaps"); a pod that has not terminated also counts under "pods"
// and its compute requests/limits (sum of containers, max with each init container, plus
// overhead). Amounts are exact rationals, so 0.1+0.2 cpu is 300m.
import { type ParsedQuantity, formatQuantity, parseQuantity, compareQuantities, isQuantity } from "../quantity.ts";
import type { KubeObject } from "../meta.ts";
import type { Pod } from "./pod.ts";
import { qosClass } from "./pod-defaults.ts";
import { LEGACY_COUNTS, POD_COMPUTE_RESOURCES, scopeRequirements, type ResourceQuota, type ScopeRequirement } from "./resourcequota.ts";

export type Amounts = Map<string, ParsedQuantity>;

const ONE = parseQuantity("1");

export function addQ(a: ParsedQuantity, b: ParsedQuantity): ParsedQuantity {
  return { num: a.num * b.den + b.num * a.den, den: a.den * b.den, format: a.format };
}

const maxQ = (a: ParsedQuantity | undefined, b: ParsedQuantity) => (a === undefined || compareQuantities(b, a) > 0 ? b : a);

export function addAll(into: Amounts, more: Amounts): Amounts {
  for (const [k, v] of more) into.set(k, into.has(k) ? addQ(into.get(k)!, v) : v);
  return into;
}

export function amountsOf(list: Record<string, unknown> | undefined): Amounts {
  const out: Amounts = new Map();
  for (const [k, v] of Object.entries(list ?? {})) if (isQuantity(v)) out.set(k, parseQuantity(v));
  return out;
}

/** "requests.cpu=500m,pods=1", keys sorted, as kube's quota.PrettyPrint. */
export function prettyPrint(a: Amounts): string {
  return [...a.keys()].sort().map((k) => `${k}=${formatQuantity(a.get(k)!)}`).join(",");
}

export function toResourceList(a: Amounts): Record<string, string> {
  return Object.fromEntries([...a.keys()].sort().map((k) => [k, formatQuantity(a.get(k)!)]));
}

/** The quota name that counts objects of a resource: count/pods, count/deployments.apps. */
export const countName = (r: { group: string; resource: string }) => `count/${r.resource}${r.group ? `.${r.group}` : ""}`;

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
type Container = { name?: string; resources?: Resources };

/** A pod's effective requests or limits (resourcehelper.PodRequests/PodLimits without sidecars). */
export function podAmounts(pod: Pod, which: "requests" | "limits", opts: { overhead?: boolean } = {}): Amounts {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[]; overhead?: Record<string, unknown> };
  const sum: Amounts = new Map();
  for (const c of spec.containers ?? []) addAll(sum, amountsOf(c.resources?.[which]));
  for (const c of spec.initContainers ?? []) {
    for (const [k, v] of amountsOf(c.resources?.[which])) sum.set(k, maxQ(sum.get(k), v));
  }
  if (opts.overhead === false) return sum;
  const overhead = amountsOf(spec.overhead);
  if (which === "requests") return addAll(sum, overhead);
  // Limits get overhead only where a limit is set: a pod without one stays unbounded.
  for (const [k, v] of overhead) if (sum.has(k)) sum.set(k, addQ(sum.get(k)!, v));
  return sum;
}

/** Requests and limits as quota names them (podComputeUsageHelper). */
export function computeUsage(requests: Amounts, limits: Amounts): Amounts {
  const out: Amounts = new Map([["pods", ONE]]);
  for (const res of ["cpu", "memory", "ephemeral-storage"]) {
    const req = requests.get(res);
    if (req) out.set(res, req).set(`requests.${res}`, req);
    const lim = limits.get(res);
    if (lim) out.set(`limits.${res}`, lim);
  }
  return out;
}

/** A pod's phase is terminal, or its deletion grace has run out (QuotaV1Pod's opposite). */
export function podIsTerminal(pod: Pod, now: Date): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === "Succeeded" || phase === "Failed") return true;
  const del = pod.metadata.deletionTimestamp;
  return !!del && Date.parse(del) <= now.getTime();
}

export function podUsage(pod: Pod, now: Date): Amounts {
  const out: Amounts = new Map([["count/pods", ONE]]);
  if (podIsTerminal(pod, now)) return out;
  return addAll(out, computeUsage(podAmounts(pod, "requests"), podAmounts(pod, "limits")));
}

/** Everything an object of `r` counts under. */
export function objectUsage(r: { group: string; resource: string }, obj: KubeObject, now: Date): Amounts {
  if (!r.group && r.resource === "pods") return podUsage(obj as Pod, now);
  const out: Amounts = new Map([[countName(r), ONE]]);
  if (!r.group && LEGACY_COUNTS[r.resource]) out.set(LEGACY_COUNTS[r.resource]!, ONE);
  if (!r.group && r.resource === "persistentvolumeclaims") {
    const storage = (obj as { spec?: { resources?: { requests?: Record<string, unknown> } } }).spec?.resources?.requests?.storage;
    if (isQuantity(storage)) out.set("requests.storage", parseQuantity(storage));
  }
  if (!r.group && r.resource === "services") {
    const spec = ((obj as { spec?: { type?: string; ports?: { nodePort?: number }[] } }).spec ?? {});
    if (spec.type === "NodePort" || spec.type === "LoadBalancer") out.set("services.nodeports", parseQuantity(spec.ports?.length ?? 0));
    if (spec.type === "LoadBalancer") out.set("services.loadbalancers", ONE);
  }
  return out;
}

/** Whether a quota's scopes and scopeSelector select the object (they only ever select pods). */
export function quotaMatches(quota: ResourceQuota, r: { group: string; resource: string }, obj: KubeObject): boolean {
  const requirements = scopeRequirements(quota);
  if (!requirements.length) return true;
  if (r.group || r.resource !== "pods") return false;
  return requirements.every((req) => podMatchesScope(obj as Pod, req));
}

// Upstream's podMatchesScopeFunc.
function podMatchesScope(pod: Pod, req: ScopeRequirement): boolean {
  const spec = (pod.spec ?? {}) as { activeDeadlineSeconds?: number; priorityClassName?: string; affinity?: Record<string, { requiredDuringSchedulingIgnoredDuringExecution?: AffinityTerm[]; preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm?: AffinityTerm }[] } | undefined> };
  switch (req.scopeName) {
    case "Terminating":
      return spec.activeDeadlineSeconds !== undefined;
    case "NotTerminating":
      return spec.activeDeadlineSeconds === undefined;
    case "BestEffort":
      return qosClass(pod) === "BestEffort";
    case "NotBestEffort":
      return qosClass(pod) !== "BestEffort";
    case "PriorityClass": {
      const name = spec.priorityClassName ?? "";
      // Exists asks for a class; the other operators read a label set that always holds the key
      // (with "" for no class), so DoesNotExist never matches, as upstream.
      if (req.operator === "Exists") return name !== "";
      if (req.operator === "In") return (req.values ?? []).includes(name);
      if (req.operator === "NotIn") return !(req.values ?? []).includes(name);
      return false;
    }
    case "CrossNamespacePodAffinity":
      return [spec.affinity?.podAffinity, spec.affinity?.podAntiAffinity].some(
        (a) => (a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(crossNamespace) || (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((w) => crossNamespace(w.podAffinityTerm)),
      );
  }
  return false;
}

type AffinityTerm = { namespaces?: string[]; namespaceSelector?: unknown };
const crossNamespace = (t: AffinityTerm | undefined) => (t?.namespaces?.length ?? 0) > 0 || (t?.namespaceSelector !== undefined && t?.namespaceSelector !== null);

/** Only the amounts the quota tracks. */
export function mask(a: Amounts, hard: Record<string, unknown>): Amounts {
  return new Map([...a].filter(([k]) => k in hard));
}

/** A quota's usage over `objects` of resource `r` (only the resource names that `r` affects). */
export function quotaUsage(quota: ResourceQuota, r: { group: string; resource: string }, objects: KubeObject[], now: Date): Amounts {
  const used: Amounts = new Map();
  for (const obj of objects) if (quotaMatches(quota, r, obj)) addAll(used, mask(objectUsage(r, obj, now), quota.spec?.hard ?? {}));
  return used;
}

/** The resource names an object of `r` can count under: what a quota key needs to be recomputed from. */
export function resourceTracks(r: { group: string; resource: string }, name: string): boolean {
  if (name === countName(r)) return true;
  if (r.group) return false;
  if (r.resource === "pods") return POD_COMPUTE_RESOURCES.has(name);
  if (r.resource === "services") return name === "services" || name.startsWith("services.");
  if (r.resource === "persistentvolumeclaims") return name === "persistentvolumeclaims" || name === "requests.storage";
  return LEGACY_COUNTS[r.resource] === name;
}

// Compute resources every container must state when a quota tracks them (podEvaluator.Constraints).
const MUST_SPECIFY = new Set(["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]);

/** "must specify requests.cpu for: web; limits.memory for: web,side", or undefined. */
export function podConstraints(pod: Pod, hard: Record<string, unknown>): string | undefined {
  const required = Object.keys(hard).filter((k) => MUST_SPECIFY.has(k));
  if (!required.length) return undefined;
  const missing = new Map<string, Set<string>>();
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const has = computeUsage(amountsOf(c.resources?.requests), amountsOf(c.resources?.limits));
    for (const k of required) if (!has.has(k)) missing.set(k, (missing.get(k) ?? new Set()).add(c.name ?? ""));
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((k) => `${k} for: ${[...missing.get(k)!].sort().join(",")}`);
  return `must specify ${parts.join("; ")}`;
}
