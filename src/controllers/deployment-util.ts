// The deployment controller's pure helpers (pkg/controller/deployment/util): the pod-template
// hash that names replicasets, revision bookkeeping in annotations, maxSurge/maxUnavailable
// fenceposts, status and condition math. Everything here is a function of its arguments.
import type { Deployment, DeploymentCondition, DeploymentStatus } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import type { PodTemplateSpec } from "../apis/core/pod.ts";
import { formatTime } from "../apis/time.ts";
import { compareStrings } from "../apis/compare.ts";

export const POD_TEMPLATE_HASH = "pod-template-hash";
export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
export const CHANGE_CAUSE = "kubernetes.io/change-cause";

/** Deployment annotations never copied onto its replicasets (annotationsToSkip). */
const SKIPPED_ANNOTATIONS = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  "deprecated.deployment.rollback.to",
]);

// --- hashing -------------------------------------------------------------------------------

/** k8s.io/apimachinery rand.SafeEncodeString's alphabet: no vowels, no look-alike digits. */
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return hash >>> 0;
}

export const safeEncodeString = (s: string): string => [...s].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join("");

const EMPTY = new Set(["null", "{}", "[]"]);

/**
 * JSON with object keys sorted and null/empty fields left out, so templates that are the same
 * to Kubernetes (apimachinery's Semantic.DeepEqual treats nil and empty alike; kubectl's Go
 * structs send `creationTimestamp: null`) compare and hash alike.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .map(([k, x]): [string, string] => [k, x === undefined ? "null" : canonicalJson(x)])
      .filter(([, x]) => !EMPTY.has(x));
    entries.sort(([a], [b]) => compareStrings(a, b));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${x}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** controller.ComputeHash: fnv32a of the template (plus the collision count), safe-encoded. */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let hash = fnv32a(new TextEncoder().encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv32a(bytes, hash);
  }
  return safeEncodeString(String(hash));
}

/** The template without the pod-template-hash label the controller adds. */
export function templateWithoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/** EqualIgnoreHash: the same template, whatever pod-template-hash label either carries. */
export const equalIgnoreHash = (a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean =>
  canonicalJson(templateWithoutHash(a)) === canonicalJson(templateWithoutHash(b));

// --- revisions and annotations -----------------------------------------------------------

export const revisionOf = (obj: { metadata: { annotations?: Record<string, string> } } | undefined): number =>
  Number.parseInt(obj?.metadata.annotations?.[REVISION] ?? "", 10) || 0;

export const maxRevision = (rss: ReplicaSet[]): number => rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

/** The annotations a deployment's replicaset carries: the deployment's own (minus controller-internal ones). */
export function copiedAnnotations(d: Deployment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!SKIPPED_ANNOTATIONS.has(k)) out[k] = v;
  return out;
}

/**
 * The annotations `rs` should carry as the deployment's new replicaset at `revision`: copied
 * ones, the revision (an old revision reused by a rollback goes to revision-history), and the
 * desired/max replica counts the scaler reads.
 */
export function newReplicaSetAnnotations(d: Deployment, rs: ReplicaSet | undefined, revision: number, maxSurge: number): Record<string, string> {
  const current = rs?.metadata.annotations ?? {};
  const out: Record<string, string> = { ...current, ...copiedAnnotations(d) };
  const old = current[REVISION];
  if (old && Number(old) < revision) {
    const history = current[REVISION_HISTORY] ? current[REVISION_HISTORY].split(",") : [];
    out[REVISION_HISTORY] = [...history, old].join(",");
  }
  if (!old || Number(old) < revision) out[REVISION] = String(revision);
  // An existing replicaset keeps the sizes it was scaled for: the scaler compares against them.
  if (rs && current[DESIRED_REPLICAS] !== undefined) return out;
  const replicas = d.spec?.replicas ?? 1;
  out[DESIRED_REPLICAS] = String(replicas);
  out[MAX_REPLICAS] = String(replicas + maxSurge);
  return out;
}

// --- fenceposts ---------------------------------------------------------------------------

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** ResolveFenceposts: surge rounds up, unavailability down; both zero would stall, so unavailable becomes 1. */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  if (d.spec?.strategy?.type !== "RollingUpdate" && d.spec?.strategy?.type !== undefined) return { maxSurge: 0, maxUnavailable: 0 };
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge ?? "25%", replicas, true);
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? "25%", replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

// --- counting ----------------------------------------------------------------------------

const sum = (rss: (ReplicaSet | undefined)[], f: (rs: ReplicaSet) => number | undefined) => rss.reduce((n, rs) => n + (rs ? (f(rs) ?? 0) : 0), 0);
export const specReplicas = (rss: (ReplicaSet | undefined)[]) => sum(rss, (rs) => rs.spec?.replicas);
export const actualReplicas = (rss: (ReplicaSet | undefined)[]) => sum(rss, (rs) => rs.status?.replicas);
export const availableReplicas = (rss: (ReplicaSet | undefined)[]) => sum(rss, (rs) => rs.status?.availableReplicas);
export const readyReplicas = (rss: (ReplicaSet | undefined)[]) => sum(rss, (rs) => rs.status?.readyReplicas);
/** Pods a replicaset may have: what it was asked for, or more while its surplus is still going away. */
export const podsAtMost = (rss: (ReplicaSet | undefined)[]) => sum(rss, (rs) => Math.max(rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0));

// --- conditions --------------------------------------------------------------------------

export const condition = (d: { status?: DeploymentStatus }, type: string) => d.status?.conditions?.find((c) => c.type === type);

export function newCondition(type: string, status: DeploymentCondition["status"], reason: string, message: string, now: Date): DeploymentCondition {
  const t = formatTime(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** SetDeploymentCondition: replaces the condition of that type, keeping lastTransitionTime if the status did not change. */
export function setCondition(status: DeploymentStatus, c: DeploymentCondition): DeploymentStatus {
  const old = status.conditions?.find((x) => x.type === c.type);
  if (old && old.status === c.status && old.reason === c.reason) return status;
  const next = old && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  return { ...status, conditions: [...(status.conditions ?? []).filter((x) => x.type !== c.type), next] };
}

export const removeCondition = (status: DeploymentStatus, type: string): DeploymentStatus => ({
  ...status,
  conditions: (status.conditions ?? []).filter((c) => c.type !== type),
});

/** calculateStatus (sync.go): counts from the replicasets, and the Available condition. */
export function calculateDeploymentStatus(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, now: Date): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const unavailable = Math.max(0, specReplicas(allRSs) - available);
  let status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    conditions: d.status?.conditions ?? [],
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
  };
  const { maxUnavailable } = resolveFenceposts(d);
  const minAvailable = (d.spec?.replicas ?? 1) - maxUnavailable;
  status =
    available >= minAvailable
      ? setCondition(status, newCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now))
      : setCondition(status, newCondition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now));
  return status;
}

/** DeploymentComplete: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const replicas = d.spec?.replicas ?? 1;
  return (
    s.updatedReplicas === replicas &&
    s.replicas === replicas &&
    s.availableReplicas === replicas &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** DeploymentProgressing: the new status moved the rollout forward compared with the stored one. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Milliseconds until the progress deadline passes (negative: passed), if one runs. */
export function progressDeadlineIn(d: Deployment, s: DeploymentStatus, now: Date): number | undefined {
  const deadline = d.spec?.progressDeadlineSeconds;
  const c = condition({ status: s }, "Progressing");
  if (deadline === undefined || deadline === 2147483647 || !c || c.status !== "True") return undefined;
  if (c.reason === "NewReplicaSetAvailable") return undefined;
  return Date.parse(c.lastUpdateTime ?? "") + deadline * 1000 - now.getTime();
}

export const rsName = (rs: ReplicaSet | undefined) => rs?.metadata.name ?? "";
