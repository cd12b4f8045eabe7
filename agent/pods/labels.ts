// The labels and annotations kubelet puts on CRI sandboxes and containers. They are how the agent
// finds its pods again after a restart (re-adoption) and how restart counts survive it.
import type { Pod } from "../../src/apis/index.ts";

export const POD_UID = "io.kubernetes.pod.uid";
export const POD_NAME = "io.kubernetes.pod.name";
export const POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const CONTAINER_NAME = "io.kubernetes.container.name";
export const RESTART_COUNT = "io.kubernetes.container.restartCount";
export const TERMINATION_GRACE = "io.kubernetes.pod.terminationGracePeriod";
/** Marks what this agent created, so a shared containerd's other sandboxes are left alone. */
export const MANAGED_BY = "io.kubun.managed-by";
export const MANAGED_BY_VALUE = "kubun-agent";

export function podLabels(pod: Pod): Record<string, string> {
  const m = pod.metadata;
  return {
    ...(m.labels ?? {}),
    [POD_UID]: m.uid ?? "",
    [POD_NAME]: m.name ?? "",
    [POD_NAMESPACE]: m.namespace ?? "default",
    [MANAGED_BY]: MANAGED_BY_VALUE,
  };
}

export function containerLabels(pod: Pod, container: string): Record<string, string> {
  const m = pod.metadata;
  return {
    [POD_UID]: m.uid ?? "",
    [POD_NAME]: m.name ?? "",
    [POD_NAMESPACE]: m.namespace ?? "default",
    [CONTAINER_NAME]: container,
    [MANAGED_BY]: MANAGED_BY_VALUE,
  };
}
