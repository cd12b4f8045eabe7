// Pure pieces of the StatefulSet controller (pkg/controller/statefulset/stateful_set_utils.go):
// a pod's identity (name, ordinal, hostname, subdomain, labels), the claims it gets from the
// volumeClaimTemplates, the revision a pod runs, and status math.
import { CONTROLLER_REVISION_HASH } from "../apis/apps/controllerrevision.ts";
import type { StatefulSet, StatefulSetStatus } from "../apis/apps/statefulset.ts";
import type { PersistentVolumeClaim } from "../apis/core/persistentvolume.ts";
import type { Pod } from "../apis/core/pod.ts";
import { isPodReady } from "../apis/core/pod.ts";
import type { OwnerReference } from "../apis/meta.ts";
import { isPodAvailable } from "./controller-utils.ts";
import { podFromTemplate } from "./pod-control.ts";

/** A StatefulSet pod carries its revision's name (not only the hash) in this label, as kube sets it. */
export const REVISION_LABEL = CONTROLLER_REVISION_HASH;
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

/** The ordinal in a pod's name `<set>-<n>`, or -1 for a pod not named as the set names its pods. */
export function ordinalOf(set: StatefulSet, pod: Pod): number {
  const prefix = `${set.metadata.name}-`;
  const name = pod.metadata.name ?? "";
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : -1;
}

export const podName = (set: StatefulSet, ordinal: number) => `${set.metadata.name}-${ordinal}`;
export const claimName = (template: PersistentVolumeClaim, pod: string) => `${template.metadata.name}-${pod}`;

/** The pod of ordinal `ordinal` at the set's template, labelled with `revision`'s name, with its stable identity and claims. */
export function newStatefulSetPod(set: StatefulSet, ordinal: number, revision: string, ref: OwnerReference): Pod {
  const name = podName(set, ordinal);
  const pod = podFromTemplate(set.spec!.template, set, ref);
  delete pod.metadata.generateName;
  pod.metadata.name = name;
  pod.metadata.labels = { ...pod.metadata.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision };
  const spec = pod.spec!;
  // Its DNS identity: <pod>.<service>.<ns>.svc through the governing headless service.
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const templates = set.spec?.volumeClaimTemplates ?? [];
  const claimed = new Set(templates.map((t) => t.metadata.name));
  spec.volumes = [
    ...(spec.volumes ?? []).filter((v) => !claimed.has(v.name)),
    ...templates.map((t) => ({ name: t.metadata.name!, persistentVolumeClaim: { claimName: claimName(t, name) } })),
  ];
  return pod;
}

/** The claims pod `pod` of the set uses, labelled with the set's selector as kube labels them. */
export function claimsFor(set: StatefulSet, pod: string, ordinal: number): PersistentVolumeClaim[] {
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimName(t, pod),
      namespace: set.metadata.namespace,
      labels: { ...t.metadata.labels, ...set.spec?.selector.matchLabels, [POD_INDEX_LABEL]: String(ordinal) },
      ...(t.metadata.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
    },
    spec: structuredClone(t.spec),
  }));
}

export const isTerminating = (pod: Pod) => !!pod.metadata.deletionTimestamp;
export const isRunningAndReady = (pod: Pod) => pod.status?.phase === "Running" && isPodReady(pod);
export const isFailed = (pod: Pod) => pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded";
export const revisionOf = (pod: Pod) => pod.metadata.labels?.[REVISION_LABEL];

/** Status from the pods the set owns (non-terminating ones count), after kube's computeReplicaStatus. */
export function statefulSetStatus(set: StatefulSet, pods: Pod[], currentRevision: string, updateRevision: string, collisionCount: number, now: Date): StatefulSetStatus {
  const live = pods.filter((p) => !isTerminating(p));
  const minReady = set.spec?.minReadySeconds ?? 0;
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation,
    replicas: live.length,
    readyReplicas: live.filter(isRunningAndReady).length,
    availableReplicas: live.filter((p) => isRunningAndReady(p) && isPodAvailable(p, minReady, now)).length,
    currentReplicas: live.filter((p) => revisionOf(p) === currentRevision).length,
    updatedReplicas: live.filter((p) => revisionOf(p) === updateRevision).length,
    currentRevision,
    updateRevision,
    collisionCount,
  };
  // Once every replica runs the new template, it is the current one (completeRollingUpdate).
  const replicas = set.spec?.replicas ?? 1;
  if (status.updatedReplicas === replicas && status.readyReplicas === replicas && status.replicas === replicas) {
    status.currentRevision = updateRevision;
    status.currentReplicas = status.updatedReplicas;
  }
  return status;
}
