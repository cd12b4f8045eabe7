// Node health as the node lifecycle controller judges it: when a node last proved alive (its
// Lease renewed, or its Ready condition's heartbeat advanced — measured on this controller's
// clock, so node clock skew does not matter), the conditions a silent node gets, and the taints
// that follow from its conditions and cordon. Pure functions over API objects.
import type { Lease, Node, NodeCondition, Taint } from "../apis/index.ts";
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE } from "../apis/index.ts";

export interface NodeHealth {
  /** When (ms, controller clock) the node last showed a sign of life. */
  probeTimestamp: number;
  leaseRenewTime?: string;
  readyHeartbeat?: string;
}

export const readyCondition = (node: Node): NodeCondition | undefined => node.status?.conditions?.find((c) => c.type === "Ready");

/** Updates the saved health with what the node and its lease show now. A node first seen counts as alive now. */
export function observeHealth(saved: NodeHealth | undefined, node: Node, lease: Lease | undefined, now: number): NodeHealth {
  const leaseRenewTime = lease?.spec?.renewTime;
  const readyHeartbeat = readyCondition(node)?.lastHeartbeatTime;
  if (!saved) return { probeTimestamp: now, leaseRenewTime, readyHeartbeat };
  const renewed = leaseRenewTime !== undefined && leaseRenewTime !== saved.leaseRenewTime;
  const posted = readyHeartbeat !== undefined && readyHeartbeat !== saved.readyHeartbeat;
  return { probeTimestamp: renewed || posted ? now : saved.probeTimestamp, leaseRenewTime, readyHeartbeat };
}

const WATCHED_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/**
 * The conditions of a node whose agent went silent: Ready and the pressure conditions Unknown,
 * as kube-controller-manager writes them. Undefined when they already are.
 */
export function silentNodeConditions(node: Node, now: string): NodeCondition[] | undefined {
  const conditions = structuredClone(node.status?.conditions ?? []);
  let changed = false;
  for (const type of WATCHED_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({ type, status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: now, lastTransitionTime: now });
      changed = true;
    } else if (c.status !== "Unknown") {
      Object.assign(c, { status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: now });
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

const MANAGED = new Set([TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE]);

/**
 * The node's taints with the managed ones brought in line: not-ready (Ready False) or
 * unreachable (Ready Unknown) as NoSchedule and NoExecute, unschedulable as NoSchedule for a
 * cordoned node. Existing taints keep their timeAdded. Undefined when nothing changes.
 */
export function reconcileTaints(node: Node, now: string): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const want: Taint[] = [];
  const status = readyCondition(node)?.status;
  const condition = status === "False" ? TAINT_NODE_NOT_READY : status === "Unknown" ? TAINT_NODE_UNREACHABLE : undefined;
  if (condition) want.push({ key: condition, effect: "NoSchedule" }, { key: condition, effect: "NoExecute" });
  if (node.spec?.unschedulable) want.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: "NoSchedule" });
  const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
  const kept = current.filter((t) => !MANAGED.has(t.key) || want.some((w) => same(w, t)));
  const added = want.filter((w) => !current.some((t) => same(t, w))).map((w) => (w.effect === "NoExecute" ? { ...w, timeAdded: now } : w));
  if (kept.length === current.length && added.length === 0) return undefined;
  return [...kept, ...added];
}
