// The fake cluster's objects shared by the benches: a Node as an agent registers it (from the
// scheduler core's fake NodeInfo), the pod shapes of the core bench's workloads, and the status a
// kubelet writes to a running pod.
import type { NodeInfo } from "../src/scheduler/index.ts";

type Json = any;

/** A Node object for one of the fake nodes, as an agent would register it. */
export function nodeObject(n: NodeInfo): Json {
  const allocatable = {
    cpu: `${n.allocatable.cpu}m`,
    memory: String(n.allocatable.memory),
    "ephemeral-storage": String(n.allocatable.ephemeralStorage),
    pods: String(n.allocatable.pods),
  };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: n.labels },
    spec: { taints: n.taints.length ? n.taints : undefined, unschedulable: n.unschedulable || undefined },
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [{ type: "Ready", status: n.ready ? "True" : "False", reason: "KubeletReady", message: "bench" }],
    },
  };
}

const container = (cpu?: string, memory?: string): Json => ({
  name: "app",
  image: "busybox",
  resources: cpu ? { requests: { cpu, memory } } : {},
});

/** The pod shapes of the core bench: several workloads interleaved, as Deployments scaling at once. */
export const WORKLOADS: Json[] = [
  { containers: [container("100m", "128Mi")] },
  { containers: [container("250m", "512Mi")] },
  { containers: [container("500m", "1Gi")] },
  { containers: [container()] },
  { containers: [container("1", "2Gi")], nodeSelector: { "topology.kubernetes.io/zone": "zone-b" } },
  {
    containers: [container("2", "4Gi")],
    tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: "dedicated", operator: "In", values: ["gpu"] }] } }] } },
  },
];

/** The status a kubelet writes once a pod's container runs: what makes a real pod's bytes. */
export function kubeletStatus(name: string, node: string, i: number): Json {
  const now = new Date().toISOString();
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const condition = (type: string) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: now });
  return {
    status: {
      phase: "Running",
      conditions: ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map(condition),
      hostIP: "172.16.0.1",
      hostIPs: [{ ip: "172.16.0.1" }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      qosClass: "Burstable",
      containerStatuses: [{
        name: "app",
        state: { running: { startedAt: now } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: "docker.io/library/busybox:latest",
        imageID: "docker.io/library/busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7",
        containerID: `containerd://${Bun.hash(`${name}/${node}`).toString(16).padStart(16, "0").repeat(4)}`,
        started: true,
      }],
    },
  };
}
