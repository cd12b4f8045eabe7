// LimitRanger admission, after kube-apiserver's plugin of that name: on a pod create, the
// namespace's LimitRanges fill in missing container requests/limits, then their min/max/ratio
// are enforced (403 with upstream's messages); a claim's storage request, on create and on a
// resize, is held to their PersistentVolumeClaim min/max. It runs before ResourceQuota, so quota charges
// the defaulted pod, and the defaulted pod is what is stored.
//
// kube-apiserver validates after mutating admission; kubun's registry validates before
// admission (storage.ts), so this step validates the pod again after defaulting: a default
// limit below an explicit request must come back as the 422 upstream gives, never be stored.
import { forbidden, invalid } from "../apis/errors.ts";
import { validateObject } from "../apis/index.ts";
import { findResource, storePrefix, type ResourceInfo } from "../apis/registry.ts";
import type { LimitRange } from "../apis/core/limitrange.ts";
import { applyLimitDefaults, claimLimitViolations, limitViolations } from "../apis/core/limitranger.ts";
import type { Pod } from "../apis/core/pod.ts";
import { qosClass } from "../apis/core/pod-defaults.ts";
import type { Store } from "../store/index.ts";
import type { AdmitWrite } from "./admit-write.ts";

const LIMIT_RANGES = findResource("", "v1", "limitranges")!;
const ANNOTATION = "kubernetes.io/limit-ranger";

const refusal = (resource: string, name: string | undefined, violations: string[]) =>
  forbidden(`${resource} ${JSON.stringify(name)} is forbidden: ${violations.length === 1 ? violations[0] : `[${violations.join(", ")}]`}`);

export function limitRangerAdmission(r: ResourceInfo, store: Store | undefined, subresource?: string): AdmitWrite | undefined {
  // Subresource writes (a claim's status) are not the LimitRanger's, as upstream.
  if (!store || r.group || subresource) return undefined;
  const rangesOf = (namespace: string | undefined) => store.list(`${storePrefix(LIMIT_RANGES)}${namespace}/`).items.map((e) => e.object as LimitRange);
  if (r.kind === "PersistentVolumeClaim") {
    return (obj) => {
      const violations = claimLimitViolations(obj, rangesOf(obj.metadata.namespace));
      if (violations.length) throw refusal("persistentvolumeclaims", obj.metadata.name, violations);
    };
  }
  if (r.kind !== "Pod") return undefined;
  return (obj, old) => {
    if (old) return; // containers' resources never change after create
    const ranges = rangesOf(obj.metadata.namespace);
    if (!ranges.length) return;
    const pod = obj as Pod;
    const note = applyLimitDefaults(pod, ranges);
    if (note) pod.metadata.annotations = { ...pod.metadata.annotations, [ANNOTATION]: note };
    // The QoS class follows from the resources, which defaulting may just have changed.
    if (note && pod.status) pod.status.qosClass = qosClass(pod);
    const causes = validateObject(r, pod);
    if (causes.length) throw invalid(r.kind, pod.metadata.name ?? "", causes);
    const violations = limitViolations(pod, ranges);
    if (violations.length) throw refusal("pods", pod.metadata.name, violations);
  };
}
