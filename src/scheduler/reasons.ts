// Filter rejection reasons worded as kube-scheduler's plugins word them, and the FitError message
// built from their histogram ("0/3 nodes are available: 1 ..., 2 Insufficient cpu.").
import {
  R_INSUFFICIENT_CPU, R_INSUFFICIENT_EPHEMERAL, R_INSUFFICIENT_MEMORY, R_NODE_AFFINITY, R_NODE_NAME,
  R_NODE_PORTS, R_NOT_READY, R_TOO_MANY_PODS, R_UNSCHEDULABLE,
} from "./layout.ts";
import type { Rejections } from "./types.ts";
import { formatTime } from "../apis/time.ts";

export const REASON_NOT_READY = "node(s) were not ready";
export const REASON_UNSCHEDULABLE = "node(s) were unschedulable";
export const REASON_NODE_NAME = "node(s) didn't match the requested node name";
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY_PODS = "Too many pods";
export const REASON_INSUFFICIENT_CPU = "Insufficient cpu";
export const REASON_INSUFFICIENT_MEMORY = "Insufficient memory";
export const REASON_INSUFFICIENT_EPHEMERAL = "Insufficient ephemeral-storage";

/** Fixed reasons by their id in the wasm rejection array (layout.ts R_*). */
export const FIXED_REASONS: readonly string[] = (() => {
  const r: string[] = [];
  r[R_NOT_READY] = REASON_NOT_READY;
  r[R_UNSCHEDULABLE] = REASON_UNSCHEDULABLE;
  r[R_NODE_NAME] = REASON_NODE_NAME;
  r[R_NODE_AFFINITY] = REASON_NODE_AFFINITY;
  r[R_NODE_PORTS] = REASON_NODE_PORTS;
  r[R_TOO_MANY_PODS] = REASON_TOO_MANY_PODS;
  r[R_INSUFFICIENT_CPU] = REASON_INSUFFICIENT_CPU;
  r[R_INSUFFICIENT_MEMORY] = REASON_INSUFFICIENT_MEMORY;
  r[R_INSUFFICIENT_EPHEMERAL] = REASON_INSUFFICIENT_EPHEMERAL;
  return r;
})();

export function addRejection(rejections: Rejections, reason: string, count = 1): void {
  rejections[reason] = (rejections[reason] ?? 0) + count;
}

/**
 * kube-scheduler's FitError.Error(): "<count> <reason>" entries sorted as plain strings (Go's
 * sort.Strings, so "10 ..." sorts before "2 ..."), joined with ", ".
 */
export function unschedulableMessage(totalNodes: number, rejections: Rejections): string {
  if (totalNodes === 0) return "no nodes available to schedule pods";
  const entries = Object.entries(rejections)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let msg = `0/${totalNodes} nodes are available:`;
  if (entries.length > 0) msg += ` ${entries.join(", ")}.`;
  return msg;
}

export interface PodCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastProbeTime: string | null;
  lastTransitionTime?: string;
}

/** The PodScheduled=False condition written on a pod that fits nowhere. */
export function unschedulableCondition(totalNodes: number, rejections: Rejections, now = new Date()): PodCondition {
  return {
    type: "PodScheduled",
    status: "False",
    reason: "Unschedulable",
    message: unschedulableMessage(totalNodes, rejections),
    lastProbeTime: null,
    lastTransitionTime: formatTime(now),
  };
}
