// What the scheduler reads off a Pod and writes back to it: whether it is its to schedule, its
// priority and age for the queue, and the PodScheduled=False condition of a failed attempt.
import type { KubeObject } from "../apis/meta.ts";
import type { PodCondition } from "./reasons.ts";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

type Json = any;

export const podKey = (pod: KubeObject): string => `${pod.metadata.namespace ?? ""}/${pod.metadata.name}`;

export const boundNode = (pod: KubeObject): string | undefined => (pod as Json).spec?.nodeName || undefined;

/** Finished pods hold no resources (kube-scheduler's informer filters them out). */
export function isTerminal(pod: KubeObject): boolean {
  const phase = (pod as Json).status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

/** A pending pod this scheduler should place: unbound, not being deleted, and naming it. */
export function isPendingFor(pod: KubeObject, schedulerName: string): boolean {
  const spec = (pod as Json).spec ?? {};
  if (spec.nodeName || pod.metadata.deletionTimestamp || isTerminal(pod)) return false;
  return (spec.schedulerName || DEFAULT_SCHEDULER_NAME) === schedulerName;
}

export const podPriority = (pod: KubeObject): number => {
  const p = (pod as Json).spec?.priority;
  return typeof p === "number" ? p : 0;
};

export const podCreated = (pod: KubeObject): number => Date.parse(pod.metadata.creationTimestamp ?? "") || 0;

/**
 * The strategic merge patch of status.conditions (merged by type) that records `condition`, or
 * undefined when the pod already says the same (kube's UpdatePodCondition ignores probe and
 * transition times). The transition time stays that of the first failure while the status holds.
 */
export function podConditionPatch(pod: KubeObject, condition: PodCondition): object | undefined {
  const conditions: Json[] = (pod as Json).status?.conditions ?? [];
  const current = conditions.find((c) => c?.type === condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason && current.message === condition.message) {
    return undefined;
  }
  const next = { ...condition };
  if (current?.status === condition.status && current.lastTransitionTime) next.lastTransitionTime = current.lastTransitionTime;
  return { status: { conditions: [next] } };
}

/** Spec or labels changed (not just status): a parked pod may fit now. */
export function podUpdated(oldPod: KubeObject, newPod: KubeObject): boolean {
  const a = oldPod as Json;
  const b = newPod as Json;
  if (a.spec === b.spec && a.metadata?.labels === b.metadata?.labels) return false;
  return JSON.stringify(a.spec) !== JSON.stringify(b.spec) || JSON.stringify(a.metadata?.labels) !== JSON.stringify(b.metadata?.labels);
}
