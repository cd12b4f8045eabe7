// The Pod strategy: a pod starts Pending, and a delete of a pod a node may be running waits
// for the agent (kubelet) to stop it and confirm with a grace-0 delete.
import { defaultPod } from "../core/pod-defaults.ts";
import { podPrinter } from "../core/pod-table.ts";
import { validatePodSpecUpdate, validatePodStatusUpdate } from "../core/pod-update.ts";
import { validatePod } from "../core/pod-validation.ts";
import type { KubeObject } from "../meta.ts";
import { nameIsDNSSubdomain } from "../validation.ts";
import type { Strategy } from "./strategy.ts";

type Obj = Record<string, any>;

export const podStrategy: Strategy = {
  name: nameIsDNSSubdomain,
  defaults: defaultPod,
  validate: validatePod,
  validateUpdate: validatePodSpecUpdate,
  validateStatus: validatePodStatusUpdate,
  printer: podPrinter,
  prepareForCreate(obj: KubeObject) {
    (obj as Obj).status = { phase: "Pending" }; // defaulting adds qosClass
  },
  // Only pods bound to a node and not finished wait; the rest go at once.
  gracePeriodSeconds(obj: KubeObject, requested?: number): number {
    const pod = obj as Obj;
    if (!pod.spec?.nodeName) return 0;
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return 0;
    return Math.max(0, requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
  },
};
