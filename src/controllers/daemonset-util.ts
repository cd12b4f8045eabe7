// The pure half of the daemonset controller (pkg/controller/daemon/util and the daemon
// tolerations of pkg/controller/daemon): which nodes should run the daemon pod, the pod for one
// node (pinned there by a required node affinity on metadata.name, then bound by the default
// scheduler as Kubernetes ≥ 1.12 does), which node a pod belongs to, and the status counts.
import type { DaemonSet, DaemonSetStatus } from "../apis/apps/daemonset.ts";
import { CONTROLLER_REVISION_HASH } from "../apis/apps/controllerrevision.ts";
import { isPodReady, type Pod, type PodTemplateSpec } from "../apis/core/pod.ts";
import type { Node } from "../apis/core/node.ts";
import type { Toleration } from "../apis/core/scheduling.ts";
import { matchesNodeSelector, matchesTerm } from "../apis/core/node-affinity.ts";
import { firstUntoleratedTaint } from "../apis/core/taints.ts";
import { isPodAvailable } from "./controller-utils.ts";
import { compareStrings } from "../apis/compare.ts";

/** AddOrUpdateDaemonPodTolerations: a daemon keeps running through the node conditions that evict others. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
  ];
  if (hostNetwork) t.push({ key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" });
  return t;
}

function withTolerations(existing: Toleration[] | undefined, add: Toleration[]): Toleration[] {
  const out = [...(existing ?? [])];
  for (const t of add) if (!out.some((e) => e.key === t.key && e.effect === t.effect)) out.push(t);
  return out;
}

/** The pod template for `nodeName`: the revision's hash label, the node pin and the daemon tolerations. */
export function daemonPodTemplate(ds: DaemonSet, hash: string, nodeName: string): PodTemplateSpec {
  const t = structuredClone(ds.spec!.template);
  t.metadata = { ...t.metadata, labels: { ...t.metadata?.labels, [CONTROLLER_REVISION_HASH]: hash } };
  const spec = t.spec!;
  // ReplaceDaemonSetPodNodeNameNodeAffinity: the node was already checked against the template's terms.
  spec.affinity = {
    ...spec.affinity,
    nodeAffinity: {
      ...spec.affinity?.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [nodeName] }] }] },
    },
  };
  spec.tolerations = withTolerations(spec.tolerations, daemonTolerations(!!spec.hostNetwork));
  return t;
}

/** The node a daemon pod is for: where it is bound, else its metadata.name affinity. */
export function nodeOfPod(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const f = term.matchFields?.find((r) => r.key === "metadata.name" && r.operator === "In" && r.values?.length === 1);
    if (f) return f.values![0];
  }
  return undefined;
}

export interface NodeFit {
  /** A daemon pod should be started here. */
  shouldRun: boolean;
  /** A daemon pod already here may stay (an untolerated NoSchedule taint only stops new ones). */
  shouldContinueRunning: boolean;
}

/** nodeShouldRunDaemonPod: nodeName, nodeSelector, required node affinity, then taints. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeFit {
  const spec = ds.spec!.template.spec!;
  const name = node.metadata.name!;
  const labels = node.metadata.labels ?? {};
  const no = { shouldRun: false, shouldContinueRunning: false };
  if (spec.nodeName && spec.nodeName !== name) return no;
  if (!matchesNodeSelector(labels, spec.nodeSelector ?? {})) return no;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => matchesTerm(name, labels, t))) return no;
  const tolerations = withTolerations(spec.tolerations, daemonTolerations(!!spec.hostNetwork));
  const taints = node.spec?.taints ?? [];
  if (firstUntoleratedTaint(taints.filter((t) => t.effect === "NoExecute"), tolerations)) return no;
  if (firstUntoleratedTaint(taints, tolerations)) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** Oldest first (the one a node keeps when it has several). */
export const byCreation = (a: Pod, b: Pod): number =>
  compareStrings(a.metadata.creationTimestamp ?? "", b.metadata.creationTimestamp ?? "") || compareStrings(a.metadata.name ?? "", b.metadata.name ?? "");

export const podHash = (pod: Pod): string | undefined => pod.metadata.labels?.[CONTROLLER_REVISION_HASH];

/** updateDaemonSetStatus's counts, node by node over the nodes' oldest daemon pod. */
export function calculateDaemonSetStatus(ds: DaemonSet, fits: Map<string, NodeFit>, nodePods: Map<string, Pod[]>, hash: string, now: Date): DaemonSetStatus {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const [node, fit] of fits) {
    const pods = (nodePods.get(node) ?? []).filter((p) => !p.metadata.deletionTimestamp).sort(byCreation);
    if (fit.shouldRun) desired++;
    if (pods.length === 0) continue;
    if (!fit.shouldRun) {
      misscheduled++;
      continue;
    }
    current++;
    const pod = pods.find((p) => podHash(p) === hash && isPodReady(p)) ?? pods[0]!;
    if (isPodReady(pod)) ready++;
    if (isPodAvailable(pod, ds.spec?.minReadySeconds ?? 0, now)) available++;
    if (pods.some((p) => podHash(p) === hash)) updated++;
  }
  return {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: ds.metadata.generation,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
    ...(ds.status?.collisionCount !== undefined ? { collisionCount: ds.status.collisionCount } : {}),
  };
}
