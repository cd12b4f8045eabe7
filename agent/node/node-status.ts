// The Node object the agent registers and the status it keeps posting: capacity, addresses,
// system info, the images on the node and the Ready / pressure conditions (a pure function of
// what was measured).
import type { Node, NodeCondition, NodeStatus, ResourceList } from "../../src/apis/index.ts";
import type { NodeAddress, NodeSystemInfo } from "../../src/apis/index.ts";
import { formatTime } from "../../src/apis/time.ts";

export interface NodeStatusInput {
  capacity: ResourceList;
  addresses: NodeAddress[];
  nodeInfo: NodeSystemInfo;
  /** Whether the runtime answered and reported itself and its network ready. */
  runtimeReady: boolean;
  runtimeMessage?: string;
  previous?: NodeCondition[];
  logPort?: number;
  /** The node's images as kubelet reports them (nodeImages: the 50 largest). */
  images?: { names: string[]; sizeBytes: number }[];
  now: Date;
}

function condition(prev: NodeCondition[] | undefined, type: string, ok: boolean, reason: string, message: string, now: Date): NodeCondition {
  const status = ok ? "True" : "False";
  const old = prev?.find((c) => c.type === type);
  return {
    type,
    status,
    lastHeartbeatTime: formatTime(now),
    lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : formatTime(now),
    reason,
    message,
  };
}

export function nodeStatus(input: NodeStatusInput): NodeStatus {
  const { now, previous } = input;
  return {
    capacity: input.capacity,
    allocatable: input.capacity,
    addresses: input.addresses,
    nodeInfo: input.nodeInfo,
    ...(input.logPort ? { daemonEndpoints: { kubeletEndpoint: { Port: input.logPort } } } : {}),
    ...(input.images ? { images: input.images } : {}),
    conditions: [
      condition(previous, "MemoryPressure", false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now),
      condition(previous, "DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
      condition(previous, "PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),
      input.runtimeReady
        ? condition(previous, "Ready", true, "KubeletReady", "kubelet is posting ready status", now)
        : condition(previous, "Ready", false, "KubeletNotReady", input.runtimeMessage ?? "container runtime is down", now),
    ],
  };
}

export function nodeObject(name: string, labels: Record<string, string>, status: NodeStatus, podCIDR?: string): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": status.nodeInfo?.architecture ?? "amd64", ...labels } },
    spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
    status,
  };
}
