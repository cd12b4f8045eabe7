// Kubernetes Pod and Node JSON -> the scheduler core's NodeInfo / PodQuery. Pure functions; they
// read plain objects so they work on anything the API returns before src/apis types exist.
import { quantityMilliValue, quantityValue } from "../apis/quantity.ts";
import type {
  Allocatable, HostPort, NodeInfo, NodeSelectorTerm, PodQuery, PreferredSchedulingTerm, Resources, Taint, Toleration,
} from "./types.ts";

/** kube-scheduler's defaults for containers without a request, used only by scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

type Json = any;

function amount(list: Json, name: string, milli: boolean): number {
  const q = list?.[name];
  if (q === undefined || q === null || q === "") return 0;
  return milli ? quantityMilliValue(q) : quantityValue(q);
}

export function nodeInfoFrom(node: Json): NodeInfo {
  const status = node?.status ?? {};
  const alloc = status.allocatable ?? status.capacity ?? {};
  const allocatable: Allocatable = {
    cpu: amount(alloc, "cpu", true),
    memory: amount(alloc, "memory", false),
    ephemeralStorage: amount(alloc, "ephemeral-storage", false),
    pods: amount(alloc, "pods", false),
  };
  const conditions: Json[] = status.conditions ?? [];
  return {
    name: node?.metadata?.name ?? "",
    labels: { ...(node?.metadata?.labels ?? {}) },
    taints: ((node?.spec?.taints ?? []) as Json[]).map((t): Taint => ({ key: t.key, value: t.value ?? "", effect: t.effect })),
    unschedulable: node?.spec?.unschedulable === true,
    ready: conditions.some((c) => c?.type === "Ready" && c?.status === "True"),
    allocatable,
  };
}

interface ContainerNeeds {
  requests: Resources;
  nonZero: { cpu: number; memory: number };
}

function containerNeeds(c: Json): ContainerNeeds {
  // API defaulting copies limits into missing requests; do the same for objects not yet defaulted.
  const req = { ...(c?.resources?.limits ?? {}), ...(c?.resources?.requests ?? {}) };
  const requests = {
    cpu: amount(req, "cpu", true),
    memory: amount(req, "memory", false),
    ephemeralStorage: amount(req, "ephemeral-storage", false),
  };
  return {
    requests,
    nonZero: {
      cpu: req.cpu !== undefined ? requests.cpu : DEFAULT_MILLI_CPU_REQUEST,
      memory: req.memory !== undefined ? requests.memory : DEFAULT_MEMORY_REQUEST,
    },
  };
}

/**
 * Effective pod requests: the sum over containers, at least the largest init container (init
 * containers run one at a time before the others), plus pod overhead.
 */
function podNeeds(spec: Json): ContainerNeeds {
  const sum: ContainerNeeds = { requests: { cpu: 0, memory: 0, ephemeralStorage: 0 }, nonZero: { cpu: 0, memory: 0 } };
  for (const c of spec?.containers ?? []) {
    const n = containerNeeds(c);
    sum.requests.cpu += n.requests.cpu;
    sum.requests.memory += n.requests.memory;
    sum.requests.ephemeralStorage += n.requests.ephemeralStorage;
    sum.nonZero.cpu += n.nonZero.cpu;
    sum.nonZero.memory += n.nonZero.memory;
  }
  for (const c of spec?.initContainers ?? []) {
    const n = containerNeeds(c);
    sum.requests.cpu = Math.max(sum.requests.cpu, n.requests.cpu);
    sum.requests.memory = Math.max(sum.requests.memory, n.requests.memory);
    sum.requests.ephemeralStorage = Math.max(sum.requests.ephemeralStorage, n.requests.ephemeralStorage);
    sum.nonZero.cpu = Math.max(sum.nonZero.cpu, n.nonZero.cpu);
    sum.nonZero.memory = Math.max(sum.nonZero.memory, n.nonZero.memory);
  }
  const overhead = spec?.overhead;
  if (overhead) {
    sum.requests.cpu += amount(overhead, "cpu", true);
    sum.requests.memory += amount(overhead, "memory", false);
    sum.requests.ephemeralStorage += amount(overhead, "ephemeral-storage", false);
    sum.nonZero.cpu += amount(overhead, "cpu", true);
    sum.nonZero.memory += amount(overhead, "memory", false);
  }
  return sum;
}

function hostPorts(spec: Json): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const p of c?.ports ?? []) {
      // With hostNetwork the container port is the host port (API defaulting sets it).
      const port = p.hostPort ?? (spec?.hostNetwork ? p.containerPort : undefined);
      if (!port) continue;
      out.push({ port, protocol: p.protocol ?? "TCP", hostIP: p.hostIP ?? "" });
    }
  }
  return out;
}

export function podQueryFrom(pod: Json): PodQuery {
  const spec = pod?.spec ?? {};
  const affinity = spec.affinity?.nodeAffinity;
  const required = affinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const preferred: Json[] = affinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const needs = podNeeds(spec);
  return {
    requests: needs.requests,
    nonZero: needs.nonZero,
    hostPorts: hostPorts(spec),
    nodeName: spec.nodeName || undefined,
    nodeSelector: { ...(spec.nodeSelector ?? {}) },
    requiredTerms: required ? ((required.nodeSelectorTerms ?? []) as NodeSelectorTerm[]) : undefined,
    preferredTerms: preferred.map((p): PreferredSchedulingTerm => ({ weight: p.weight ?? 0, preference: p.preference ?? {} })),
    tolerations: (spec.tolerations ?? []) as Toleration[],
  };
}
