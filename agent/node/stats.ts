// The node's and its containers' resource usage (kubelet's /metrics/resource): CPU as cumulative
// seconds and memory as the working set, from CRI ListContainerStats, falling back to the
// container's cgroup files when the runtime leaves a figure out, and from /proc for the node.
// The agent reports them to the API server (reportUsage), which serves metrics.k8s.io from them
// (src/api/metrics/: why push rather than metrics-server's pull is written there).
import { readFileSync } from "node:fs";
import type { ContainerUsage, NodeUsageReport, UsageSample } from "../../src/apis/metrics/metrics.ts";
import { NODE_USAGE_PATH } from "../../src/apis/metrics/metrics.ts";
import type { KubeClient } from "../../src/client/index.ts";
import type { ContainerStats, StatsService } from "../cri/index.ts";
import { CONTAINER_NAME, MANAGED_BY, MANAGED_BY_VALUE, POD_NAME, POD_NAMESPACE, POD_UID } from "../pods/labels.ts";

const USER_HZ = 100; // /proc/stat counts in clock ticks; Linux's USER_HZ is 100 on every architecture kubun runs on

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** Busy CPU seconds since boot from /proc/stat's first line (all but idle and iowait). */
export function nodeCpuSeconds(procStat: string): number {
  const f = procStat.split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / USER_HZ;
}

/** Memory in use from /proc/meminfo: total less what is available without swapping (kB lines). */
export function nodeWorkingSetBytes(meminfo: string): number {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(meminfo)?.[1] ?? 0);
  return Math.max(0, kb("MemTotal") - kb("MemAvailable")) * 1024;
}

export function nodeSample(now = Date.now()): UsageSample {
  return { timeMs: now, cpuSeconds: nodeCpuSeconds(read("/proc/stat") ?? "cpu 0"), memoryWorkingSetBytes: nodeWorkingSetBytes(read("/proc/meminfo") ?? "") };
}

/** memory.stat's inactive file pages: cache the kernel drops first, not part of the working set (as cAdvisor). */
const inactiveFile = (stat: string | undefined, key: string) => Number(new RegExp(`^${key} (\\d+)`, "m").exec(stat ?? "")?.[1] ?? 0);

/**
 * A container's usage from its cgroup, where containerd puts a CRI container without a cgroup
 * parent (/k8s.io/<id>): cgroup v1 (cpuacct.usage, memory.usage_in_bytes) or v2 (cpu.stat,
 * memory.current). undefined when neither is there.
 */
export function cgroupUsage(id: string, root = "/sys/fs/cgroup"): { cpuSeconds: number; memoryWorkingSetBytes: number } | undefined {
  const v1cpu = read(`${root}/cpuacct/k8s.io/${id}/cpuacct.usage`);
  const v1mem = read(`${root}/memory/k8s.io/${id}/memory.usage_in_bytes`);
  if (v1cpu !== undefined && v1mem !== undefined) {
    const stat = read(`${root}/memory/k8s.io/${id}/memory.stat`);
    return { cpuSeconds: Number(v1cpu) / 1e9, memoryWorkingSetBytes: Math.max(0, Number(v1mem) - inactiveFile(stat, "total_inactive_file")) };
  }
  const v2cpu = read(`${root}/k8s.io/${id}/cpu.stat`);
  const v2mem = read(`${root}/k8s.io/${id}/memory.current`);
  if (v2cpu !== undefined && v2mem !== undefined) {
    const usec = Number(/^usage_usec (\d+)/m.exec(v2cpu)?.[1] ?? 0);
    const stat = read(`${root}/k8s.io/${id}/memory.stat`);
    return { cpuSeconds: usec / 1e6, memoryWorkingSetBytes: Math.max(0, Number(v2mem) - inactiveFile(stat, "inactive_file")) };
  }
  return undefined;
}

const num = (v: { value: string } | null | undefined) => (v ? Number(v.value) : undefined);

/** One container's CRI stats as a usage sample; the cgroup files fill what the runtime left out. */
export function containerUsage(s: ContainerStats, now: number, cgroup = cgroupUsage): ContainerUsage | undefined {
  const a = s.attributes;
  const name = a?.labels[CONTAINER_NAME];
  if (!a || !name) return undefined;
  let cpuSeconds = num(s.cpu?.usage_core_nano_seconds);
  let memory = num(s.memory?.working_set_bytes);
  if (cpuSeconds !== undefined) cpuSeconds /= 1e9;
  if (cpuSeconds === undefined || memory === undefined) {
    const fallback = cgroup(a.id);
    if (!fallback) return undefined;
    cpuSeconds ??= fallback.cpuSeconds;
    memory ??= fallback.memoryWorkingSetBytes;
  }
  const ns = Number(s.cpu?.timestamp ?? 0);
  return { name, id: a.id, timeMs: ns > 0 ? Math.floor(ns / 1e6) : now, cpuSeconds, memoryWorkingSetBytes: memory };
}

/** The usage of the node and of every container this agent runs, grouped by pod. */
export async function collectUsage(stats: StatsService, now = Date.now()): Promise<NodeUsageReport> {
  const all = await stats.listContainerStats({ label_selector: { [MANAGED_BY]: MANAGED_BY_VALUE } });
  const pods = new Map<string, NodeUsageReport["pods"][number]>();
  for (const s of all) {
    const labels = s.attributes?.labels ?? {};
    const uid = labels[POD_UID];
    const c = containerUsage(s, now);
    if (!uid || !c) continue;
    let pod = pods.get(uid);
    if (!pod) pods.set(uid, (pod = { namespace: labels[POD_NAMESPACE] ?? "", name: labels[POD_NAME] ?? "", uid, containers: [] }));
    // Two containers of one name: the newer (restarted) one is the one running.
    const same = pod.containers.findIndex((x) => x.name === c.name);
    if (same < 0) pod.containers.push(c);
    else if (pod.containers[same]!.timeMs <= c.timeMs) pod.containers[same] = c;
  }
  return { apiVersion: "kubun.io/v1", kind: "NodeUsageReport", node: nodeSample(now), pods: [...pods.values()] };
}

/** Sends one report: PUT NODE_USAGE_PATH/<node> with the node's own credential. */
export async function reportUsage(client: KubeClient, nodeName: string, stats: StatsService): Promise<void> {
  const report = await collectUsage(stats);
  await client.request("PUT", `${NODE_USAGE_PATH}/${encodeURIComponent(nodeName)}`, { body: report });
}
