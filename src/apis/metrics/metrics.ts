// metrics.k8s.io/v1beta1 (NodeMetrics, PodMetrics: what metrics-server serves and `kubectl top`
// and the HPA read) and the usage report a node's agent sends to feed them. The report carries
// cumulative CPU seconds, not rates: the API server turns two reports into a rate over their
// window, as metrics-server does with two scrapes of kubelet's /metrics/resource.
import type { KubeObject } from "../meta.ts";
import type { ResourceInfo } from "../registry.ts";

export const METRICS_GROUP = "metrics.k8s.io";
export const METRICS_VERSION = "v1beta1";

export type ResourceUsage = { cpu: string; memory: string };

export interface NodeMetrics extends KubeObject {
  timestamp: string;
  window: string;
  usage: ResourceUsage;
}

export interface PodMetrics extends KubeObject {
  timestamp: string;
  window: string;
  containers: { name: string; usage: ResourceUsage }[];
}

/** One sample of a cgroup: cumulative CPU time and the working set, at a time (ms since the epoch). */
export interface UsageSample {
  timeMs: number;
  cpuSeconds: number;
  memoryWorkingSetBytes: number;
}

export interface ContainerUsage extends UsageSample {
  name: string;
  /** The runtime's container id: a restarted container starts its CPU count again. */
  id: string;
}

/** kubun.io/v1 NodeUsageReport: PUT by a node's agent to NODE_USAGE_PATH/<node>. */
export interface NodeUsageReport {
  apiVersion: "kubun.io/v1";
  kind: "NodeUsageReport";
  node: UsageSample;
  pods: { namespace: string; name: string; uid: string; containers: ContainerUsage[] }[];
}

export const NODE_USAGE_RESOURCE = "nodeusagereports";
export const NODE_USAGE_PATH = `/apis/kubun.io/v1/${NODE_USAGE_RESOURCE}`;

/** Discovery entries of metrics.k8s.io/v1beta1 (read-only: kubectl top checks the group is served). */
export const METRICS_RESOURCES: ResourceInfo[] = [
  { group: METRICS_GROUP, version: METRICS_VERSION, resource: "nodes", singular: "", kind: "NodeMetrics", listKind: "NodeMetricsList", namespaced: false, verbs: ["get", "list"], subresources: [] },
  { group: METRICS_GROUP, version: METRICS_VERSION, resource: "pods", singular: "", kind: "PodMetrics", listKind: "PodMetricsList", namespaced: true, verbs: ["get", "list"], subresources: [] },
];
