// The PodSecurity admission plugin (k8s.io/pod-security-admission/admission): pods are refused
// (enforce) or warned about (warn) by their namespace's policy; workload templates are only
// warned about, never refused, since refusing them would not stop their pods and would break
// rollouts; a namespace write validates the labels and warns about existing pods that its new
// enforce level would refuse. Audit mode's findings go into the request's audit event as the
// pod-security.kubernetes.io/audit-violations annotation, as upstream.
import { forbidden, invalid } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { findResource, storePrefix, type ResourceInfo } from "../../apis/registry.ts";
import type { UserInfo } from "../auth.ts";
import { evaluatePod, LEVELS, violationList, type Level } from "./evaluate.ts";
import { levelName, policyOf, validatePolicyLabels, type PodSecurityConfig } from "./policy.ts";
import type { CheckedPodSpec } from "./types.ts";

const NAMESPACES = findResource("", "v1", "namespaces")!;
const PODS = findResource("", "v1", "pods")!;

export interface PodSecurityDeps {
  config: PodSecurityConfig;
  storage: { get(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject; store: { list(prefix: string): { items: { object: KubeObject }[] } } };
}

type Spec = CheckedPodSpec | undefined;
interface Obj extends KubeObject {
  spec?: Record<string, unknown>;
}

/** Where a kind keeps its pod template (upstream's DefaultPodSpecExtractor). */
function templateOf(kind: string, obj: Obj): { metadata?: KubeObject["metadata"]; spec?: Spec } | undefined {
  const s = obj.spec as { template?: { metadata?: KubeObject["metadata"]; spec?: Spec }; jobTemplate?: { spec?: { template?: { metadata?: KubeObject["metadata"]; spec?: Spec } } } } | undefined;
  switch (kind) {
    case "PodTemplate":
      return (obj as { template?: { metadata?: KubeObject["metadata"]; spec?: Spec } }).template;
    case "ReplicationController":
    case "ReplicaSet":
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "Job":
      return s?.template;
    case "CronJob":
      return s?.jobTemplate?.spec?.template;
  }
  return undefined;
}

const rank = (l: Level) => LEVELS.indexOf(l);

/** The admission step of a write to `r`, pushing warnings to `warnings`; undefined when it does not apply. */
export function podSecurity(
  user: UserInfo | undefined,
  r: ResourceInfo,
  subresource: string | undefined,
  deps: PodSecurityDeps | undefined,
  warnings: string[],
  annotate: (key: string, value: string) => void = () => {},
) {
  if (!deps) return undefined;
  const ex = deps.config.exemptions;
  if (r === NAMESPACES && !subresource) return (obj: KubeObject, old: KubeObject | undefined) => admitNamespace(deps, obj, old, warnings);
  if (user && ex.usernames.includes(user.name)) return undefined;
  // Status and binding writes change nothing the checks look at; ephemeral containers do.
  if (subresource && subresource !== "ephemeralcontainers") return undefined;
  const isPod = r === PODS;
  if (!isPod && r.group !== "" && r.group !== "apps" && r.group !== "batch") return undefined;
  return (obj: KubeObject, old: KubeObject | undefined) => {
    const ns = obj.metadata.namespace;
    if (!ns || ex.namespaces.includes(ns)) return;
    const o = obj as Obj;
    const target = isPod ? { metadata: obj.metadata, spec: o.spec as Spec } : templateOf(r.kind, o);
    if (!target) return;
    if (ex.runtimeClasses.includes((target.spec as { runtimeClassName?: string } | undefined)?.runtimeClassName ?? "\0")) return;
    if (old && !significantUpdate(isPod, obj, old, r.kind)) return;
    const policy = policyOf(namespaceLabels(deps, ns), deps.config.defaults);
    if (isPod) {
      const vs = evaluatePod(policy.enforce, target.metadata ?? {}, target.spec);
      if (vs.length) {
        const err = forbidden(`pods ${JSON.stringify(obj.metadata.name)} is forbidden: violates PodSecurity ${JSON.stringify(levelName(policy.enforce))}: ${violationList(vs)}`);
        err.status.details = { name: obj.metadata.name, kind: "pods" };
        throw err;
      }
    }
    const audit = evaluatePod(policy.audit, target.metadata ?? {}, target.spec);
    if (audit.length) annotate("pod-security.kubernetes.io/audit-violations", `would violate PodSecurity ${JSON.stringify(levelName(policy.audit))}: ${violationList(audit)}`);
    // Upstream skips the warn evaluation when it is the enforce level that just passed.
    if (isPod && policy.warn === policy.enforce) return;
    const ws = evaluatePod(policy.warn, target.metadata ?? {}, target.spec);
    if (ws.length) warnings.push(`would violate PodSecurity ${JSON.stringify(levelName(policy.warn))}: ${violationList(ws)}`);
  };
}

function namespaceLabels(deps: PodSecurityDeps, ns: string): Record<string, string> | undefined {
  try {
    return deps.storage.get(NAMESPACES, undefined, ns).metadata.labels;
  } catch {
    return undefined; // the registry refuses a write to a missing namespace on its own
  }
}

/** Upstream re-checks an update only when it changes what the checks see: not metadata, not images. */
function significantUpdate(isPod: boolean, obj: KubeObject, old: KubeObject, kind: string): boolean {
  const spec = (o: KubeObject) => (isPod ? (o as Obj).spec : templateOf(kind, o as Obj));
  const withoutImages = (s: unknown) => JSON.parse(JSON.stringify(s ?? {}), (k, v) => (k === "image" ? undefined : v));
  if (!isPod) return !Bun.deepEquals(spec(obj), spec(old));
  return !Bun.deepEquals(withoutImages(spec(obj)), withoutImages(spec(old)));
}

function admitNamespace(deps: PodSecurityDeps, obj: KubeObject, old: KubeObject | undefined, warnings: string[]): void {
  const labels = obj.metadata.labels;
  const causes = validatePolicyLabels(labels);
  if (causes.length) throw invalid("Namespace", obj.metadata.name ?? "", causes);
  const name = obj.metadata.name!;
  if (!old || deps.config.exemptions.namespaces.includes(name)) return;
  const before = policyOf(old.metadata.labels, deps.config.defaults).enforce;
  const after = policyOf(labels, deps.config.defaults).enforce;
  if (rank(after) <= rank(before)) return;
  const offending: string[] = [];
  for (const { object: pod } of deps.storage.store.list(`${storePrefix(PODS)}${name}/`).items) {
    const runtimeClass = (pod as Obj).spec?.runtimeClassName as string | undefined;
    if (runtimeClass && deps.config.exemptions.runtimeClasses.includes(runtimeClass)) continue;
    const vs = evaluatePod(after, pod.metadata, (pod as Obj).spec as Spec);
    if (vs.length) offending.push(`${pod.metadata.name}: ${vs.map((v) => v.reason).join(", ")}`);
  }
  if (!offending.length) return;
  warnings.push(`existing pods in namespace ${JSON.stringify(name)} violate the new PodSecurity enforce level ${JSON.stringify(levelName(after))}`);
  warnings.push(...offending);
}
