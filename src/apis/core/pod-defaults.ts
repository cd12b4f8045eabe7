// Pod defaulting, after pkg/apis/core/v1/defaults.go (SetDefaults_PodSpec, _Container, _Probe,
// _Volume ...) plus what admission adds to every real pod (priority, default service account,
// not-ready/unreachable tolerations). Mutates in place and skips anything mis-shaped: validation,
// which runs next, reports that.
import { type JsonObject, isObject, objOf, objsOf } from "../field.ts";
import { isQuantity, quantityMilliValue } from "../quantity.ts";
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from "./scheduling.ts";
import type { Pod, PodQOSClass } from "./pod.ts";

const DEFAULT_MODE = 0o644; // 420, as secret/configMap/projected/downwardAPI volumes default

/** Kubernetes' ParseImageName: no tag and no digest means ":latest". */
export function imageTag(image: string): string {
  const at = image.indexOf("@");
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const tag = colon > lastSlash ? name.slice(colon + 1) : "";
  return tag === "" && at < 0 ? "latest" : tag;
}

function defaultProbe(probe: unknown): void {
  const p = objOf(probe);
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  const http = objOf(p.httpGet);
  if (http) {
    http.path ??= "/";
    http.scheme ??= "HTTP";
  }
}

function defaultContainer(c: JsonObject, hostNetwork: boolean): void {
  if (!c.imagePullPolicy && typeof c.image === "string") c.imagePullPolicy = imageTag(c.image) === "latest" ? "Always" : "IfNotPresent";
  c.terminationMessagePath ||= "/dev/termination-log";
  c.terminationMessagePolicy ||= "File";
  for (const port of objsOf(c.ports)) {
    port.protocol ||= "TCP";
    // With the host's network namespace the container port is the host port.
    if (hostNetwork && port.hostPort === undefined) port.hostPort = port.containerPort;
  }
  for (const env of objsOf(c.env)) {
    const fieldRef = objOf(objOf(env.valueFrom)?.fieldRef);
    if (fieldRef) fieldRef.apiVersion ||= "v1";
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

function defaultVolume(v: JsonObject): void {
  const sources = ["emptyDir", "hostPath", "configMap", "secret", "downwardAPI", "projected", "persistentVolumeClaim", "nfs", "csi", "ephemeral", "image"];
  if (!sources.some((s) => v[s] !== undefined)) v.emptyDir = {};
  for (const s of ["secret", "configMap", "downwardAPI", "projected"]) {
    const src = objOf(v[s]);
    if (src) src.defaultMode ??= DEFAULT_MODE;
  }
  const hostPath = objOf(v.hostPath);
  if (hostPath) hostPath.type ??= "";
  for (const item of objsOf(objOf(v.downwardAPI)?.items)) {
    const fieldRef = objOf(item.fieldRef);
    if (fieldRef) fieldRef.apiVersion ||= "v1";
  }
}

/** SetDefaults_PodSpec and everything nested: applies to pods and to pod templates alike. */
export function defaultPodSpec(spec: unknown): void {
  const s = objOf(spec);
  if (!s) return;
  s.dnsPolicy ||= "ClusterFirst";
  s.restartPolicy ||= "Always";
  if (!isObject(s.securityContext)) s.securityContext ??= {};
  s.terminationGracePeriodSeconds ??= 30;
  s.schedulerName ||= "default-scheduler";
  const hostNetwork = s.hostNetwork === true;
  for (const c of [...objsOf(s.initContainers), ...objsOf(s.containers)]) defaultContainer(c, hostNetwork);
  for (const v of objsOf(s.volumes)) defaultVolume(v);
}

// Only real pods get requests copied from limits (SetDefaults_Pod): templates stay as written.
function defaultRequestsFromLimits(c: JsonObject): void {
  const resources = objOf(c.resources);
  const limits = objOf(resources?.limits);
  if (!resources || !limits) return;
  const requests = objOf(resources.requests) ?? {};
  for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
  resources.requests = requests;
}

const defaultTolerations = [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE].map((key) => ({
  key,
  operator: "Exists",
  effect: "NoExecute",
  tolerationSeconds: 300,
}));

/** SetDefaults_Pod plus the admission plugins every cluster runs (Priority, ServiceAccount, DefaultTolerationSeconds). */
export function defaultPod(pod: Pod): void {
  const spec = objOf(pod.spec);
  if (!spec) return;
  for (const c of [...objsOf(spec.initContainers), ...objsOf(spec.containers)]) defaultRequestsFromLimits(c);
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  if (!spec.priorityClassName) spec.priority ??= 0;
  spec.preemptionPolicy ??= "PreemptLowerPriority";
  spec.serviceAccountName ||= typeof spec.serviceAccount === "string" && spec.serviceAccount ? spec.serviceAccount : "default";
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.tolerations === undefined || Array.isArray(spec.tolerations)) {
    const tolerations = (spec.tolerations ?? []) as unknown[];
    for (const t of defaultTolerations) {
      const tolerated = objsOf(tolerations).some((x) => (x.key === t.key || x.key === undefined || x.key === "") && (!x.effect || x.effect === "NoExecute"));
      if (!tolerated) tolerations.push({ ...t });
    }
    spec.tolerations = tolerations;
  }
  const status = objOf(pod.status) ?? {};
  status.phase ||= "Pending";
  status.qosClass = qosClass(pod); // derived from resources, which never change on a pod
  pod.status = status;
}

/** The pod's QoS class (pkg/apis/core/helper/qos.GetPodQOS), from cpu and memory requests and limits. */
export function qosClass(pod: Pod): PodQOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  // Only positive cpu/memory amounts count; anything unparsable is validation's business.
  const positive = (list: unknown): [string, number][] =>
    Object.entries(objOf(list) ?? {}).flatMap(([k, v]): [string, number][] => {
      if (k !== "cpu" && k !== "memory") return [];
      const n = isQuantity(v) ? quantityMilliValue(v) : 0;
      return n > 0 ? [[k, n]] : [];
    });
  const spec = objOf(pod.spec);
  for (const c of [...objsOf(spec?.initContainers), ...objsOf(spec?.containers)]) {
    const res = objOf(c.resources);
    for (const [k, n] of positive(res?.requests)) requests.set(k, (requests.get(k) ?? 0) + n);
    const found = positive(res?.limits);
    for (const [k, n] of found) limits.set(k, (limits.get(k) ?? 0) + n);
    if (found.length < 2) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  for (const [k, v] of requests) if (limits.get(k) !== v) guaranteed = false;
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}
