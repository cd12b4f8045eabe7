// Small builders for scheduler tests: a node or pod with sensible defaults and overrides.
import type { NodeInfo, PodQuery } from "../../src/scheduler/types.ts";

export const GI = 2 ** 30;

export function makeNode(name: string, o: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    labels: {},
    taints: [],
    unschedulable: false,
    ready: true,
    allocatable: { cpu: 4000, memory: 8 * GI, ephemeralStorage: 100 * GI, pods: 110 },
    ...o,
  };
}

export function makePod(o: Partial<PodQuery> & { cpu?: number; memory?: number } = {}): PodQuery {
  const { cpu = 0, memory = 0, ...rest } = o;
  return {
    requests: { cpu, memory, ephemeralStorage: 0 },
    nonZero: { cpu: cpu || 100, memory: memory || 200 * 2 ** 20 },
    hostPorts: [],
    nodeSelector: {},
    preferredTerms: [],
    tolerations: [],
    ...rest,
  };
}
