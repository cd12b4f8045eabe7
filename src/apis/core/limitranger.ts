// The LimitRanger's rules, after plugin/pkg/admission/limitranger: fill each container's
// missing limits from `default` and missing requests from `defaultRequest`, then check
// min/max/maxLimitRequestRatio per Container and per Pod, and a claim's storage request against
// min/max per PersistentVolumeClaim. Pure; the admission step in
// src/api/limitranger-admission.ts reads the namespace's LimitRanges and applies these.
import { compareQuantities, formatQuantity, type ParsedQuantity } from "../quantity.ts";
import type { KubeObject } from "../meta.ts";
import type { Pod } from "./pod.ts";
import type { LimitRange, LimitRangeItem } from "./limitrange.ts";
import { amountsOf, podAmounts, type Amounts } from "./quota-usage.ts";
import { compareStrings } from "../compare.ts";

type Container = { name?: string; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } };

const containersOf = (pod: Pod): Container[] => {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
};

/** Sets defaults on the pod's containers; returns the annotation text upstream records, or undefined. */
export function applyLimitDefaults(pod: Pod, ranges: LimitRange[]): string | undefined {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  for (const lr of ranges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type !== "Container") continue;
      Object.assign(requests, item.defaultRequest);
      Object.assign(limits, item.default);
    }
  }
  const set: string[] = [];
  for (const c of containersOf(pod)) {
    const res = (c.resources ??= {});
    const fill = (which: "requests" | "limits", defaults: Record<string, string>): string[] => {
      const missing = Object.keys(defaults).sort().filter((k) => res[which]?.[k] === undefined);
      for (const k of missing) (res[which] ??= {})[k] = defaults[k];
      return missing;
    };
    const req = fill("requests", requests);
    const lim = fill("limits", limits);
    // "cpu, memory request for container c; cpu limit for container c", as upstream annotates.
    if (req.length) set.push(`${req.join(", ")} request for ${kindOf(pod, c)} ${c.name}`);
    if (lim.length) set.push(`${lim.join(", ")} limit for ${kindOf(pod, c)} ${c.name}`);
  }
  return set.length ? `LimitRanger plugin set: ${set.join("; ")}` : undefined;
}

const kindOf = (pod: Pod, c: Container) =>
  ((pod.spec as { initContainers?: Container[] } | undefined)?.initContainers ?? []).includes(c) ? "init container" : "container";

/** Every violation of the ranges by the (defaulted) pod, in upstream's words. */
export function limitViolations(pod: Pod, ranges: LimitRange[]): string[] {
  const out: string[] = [];
  for (const lr of ranges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type === "Container") {
        for (const c of containersOf(pod)) out.push(...check(item, "Container", amountsOf(c.resources?.requests), amountsOf(c.resources?.limits)));
      } else if (item.type === "Pod") {
        out.push(...check(item, "Pod", podTotal(pod, "requests"), podTotal(pod, "limits")));
      }
    }
  }
  return out;
}

/**
 * Every violation of the ranges' PersistentVolumeClaim items by a claim's storage request, in
 * upstream's words (PersistentVolumeClaimValidateLimitFunc: a claim has requests, no limits).
 */
export function claimLimitViolations(claim: KubeObject, ranges: LimitRange[]): string[] {
  const requests = amountsOf((claim as { spec?: { resources?: { requests?: Record<string, string> } } }).spec?.resources?.requests);
  const out: string[] = [];
  const q = formatQuantity;
  for (const lr of ranges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type !== "PersistentVolumeClaim") continue;
      for (const [res, enforced] of [...amountsOf(item.min)].sort(([a], [b]) => compareStrings(a, b))) {
        const req = requests.get(res);
        if (!req) out.push(`minimum ${res} usage per PersistentVolumeClaim is ${q(enforced)}.  No request is specified`);
        else if (compareQuantities(req, enforced) < 0) out.push(`minimum ${res} usage per PersistentVolumeClaim is ${q(enforced)}, but request is ${q(req)}`);
      }
      for (const [res, enforced] of [...amountsOf(item.max)].sort(([a], [b]) => compareStrings(a, b))) {
        const req = requests.get(res);
        if (!req) out.push(`maximum ${res} usage per PersistentVolumeClaim is ${q(enforced)}.  No request is specified`);
        else if (compareQuantities(req, enforced) > 0) out.push(`maximum ${res} usage per PersistentVolumeClaim is ${q(enforced)}, but request is ${q(req)}`);
      }
    }
  }
  return out;
}

// The LimitRanger's pod totals leave overhead out, as upstream's podRequests/podLimits do here.
const podTotal = (pod: Pod, which: "requests" | "limits") => podAmounts(pod, which, { overhead: false });

// One message per constraint and resource: the first that fails, as upstream's min/maxConstraint.
function check(item: LimitRangeItem, type: string, requests: Amounts, limits: Amounts): string[] {
  const out: string[] = [];
  const q = formatQuantity;
  for (const [res, enforced] of [...amountsOf(item.min)].sort(([a], [b]) => compareStrings(a, b))) {
    const req = requests.get(res);
    const lim = limits.get(res);
    if (!req) out.push(`minimum ${res} usage per ${type} is ${q(enforced)}.  No request is specified`);
    else if (compareQuantities(req, enforced) < 0) out.push(`minimum ${res} usage per ${type} is ${q(enforced)}, but request is ${q(req)}`);
    else if (lim && compareQuantities(lim, enforced) < 0) out.push(`minimum ${res} usage per ${type} is ${q(enforced)}, but limit is ${q(lim)}`);
  }
  for (const [res, enforced] of [...amountsOf(item.max)].sort(([a], [b]) => compareStrings(a, b))) {
    const req = requests.get(res);
    const lim = limits.get(res);
    if (!lim) out.push(`maximum ${res} usage per ${type} is ${q(enforced)}.  No limit is specified`);
    else if (compareQuantities(lim, enforced) > 0) out.push(`maximum ${res} usage per ${type} is ${q(enforced)}, but limit is ${q(lim)}`);
    else if (req && compareQuantities(req, enforced) > 0) out.push(`maximum ${res} usage per ${type} is ${q(enforced)}, but request is ${q(req)}`);
  }
  for (const [res, enforced] of [...amountsOf(item.maxLimitRequestRatio)].sort(([a], [b]) => compareStrings(a, b))) {
    const req = requests.get(res);
    const lim = limits.get(res);
    if (!req || req.num === 0n) out.push(`${res} max limit to request ratio per ${type} is ${q(enforced)}, but no request is specified or request is 0`);
    else if (!lim) out.push(`${res} max limit to request ratio per ${type} is ${q(enforced)}, but no limit is specified`);
    else {
      const ratio = ratioOf(lim, req);
      if (ratio > toNumber(enforced)) out.push(`${res} max limit to request ratio per ${type} is ${q(enforced)}, but provided ratio is ${ratio.toFixed(6)}`);
    }
  }
  return out;
}

const toNumber = (x: ParsedQuantity) => Number(x.num) / Number(x.den);
const ratioOf = (lim: ParsedQuantity, req: ParsedQuantity) => toNumber(lim) / toNumber(req);
