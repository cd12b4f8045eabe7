// The in-memory window behind metrics.k8s.io (metrics-server's storage): for the node and each
// container, the last two samples its agent reported. Usage is the CPU rate between them and
// the working set of the newer one, so a container shows up after its second report, as it does
// in metrics-server after its second scrape. Nothing here is written to the revision log: it is
// recomputed from the agents' reports and gone when the server restarts, as metrics-server's.
import type { ContainerUsage, NodeUsageReport, UsageSample } from "../../apis/metrics/metrics.ts";
import { compareStrings } from "../../apis/compare.ts";

export interface Usage {
  /** The newer sample's time (ms) and the span the CPU rate was taken over (ms). */
  timeMs: number;
  windowMs: number;
  cpuNanoCores: number;
  memoryBytes: number;
}

type Pair = { prev?: UsageSample; last: UsageSample; id?: string };

interface NodeEntry {
  node: Pair;
  /** "namespace/name" -> the pod's uid and containers by name. */
  pods: Map<string, { uid: string; containers: Map<string, Pair> }>;
  receivedMs: number;
}

/** The rate between two samples, or undefined when there is no usable earlier one (a restart resets the count). */
export function usageOf(p: Pair): Usage | undefined {
  const { prev, last } = p;
  if (!prev) return undefined;
  const dt = last.timeMs - prev.timeMs;
  const dcpu = last.cpuSeconds - prev.cpuSeconds;
  if (dt <= 0 || dcpu < 0) return undefined;
  return { timeMs: last.timeMs, windowMs: dt, cpuNanoCores: Math.round((dcpu / (dt / 1000)) * 1e9), memoryBytes: last.memoryWorkingSetBytes };
}

function advance(old: Pair | undefined, sample: UsageSample, id?: string): Pair {
  // A new or restarted container has no earlier sample of its own to take a rate against.
  if (!old || old.id !== id) return { last: sample, id };
  if (sample.timeMs <= old.last.timeMs) return old; // a repeated or reordered report
  return { prev: old.last, last: sample, id };
}

export interface PodUsage {
  namespace: string;
  name: string;
  timeMs: number;
  windowMs: number;
  containers: { name: string; usage: Usage }[];
}

export class MetricsWindow {
  private readonly nodes = new Map<string, NodeEntry>();

  /**
   * @param maxAgeMs a node whose agent has not reported for this long has no metrics (it is
   * down or cut off): stale usage would mislead `kubectl top` and the HPA.
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = 60_000,
  ) {}

  /** Takes a node's report: its pods not in it are gone from the window. */
  report(nodeName: string, r: NodeUsageReport): void {
    const old = this.nodes.get(nodeName);
    const pods: NodeEntry["pods"] = new Map();
    for (const p of r.pods) {
      const key = `${p.namespace}/${p.name}`;
      const before = old?.pods.get(key);
      const same = before && before.uid === p.uid ? before : undefined;
      const containers = new Map<string, Pair>();
      for (const c of p.containers) containers.set(c.name, advance(same?.containers.get(c.name), sampleOf(c), c.id));
      pods.set(key, { uid: p.uid, containers });
    }
    this.nodes.set(nodeName, { node: advance(old?.node, r.node), pods, receivedMs: this.now() });
  }

  forget(nodeName: string): void {
    this.nodes.delete(nodeName);
  }

  private fresh(): [string, NodeEntry][] {
    const t = this.now();
    return [...this.nodes].filter(([, e]) => t - e.receivedMs <= this.maxAgeMs);
  }

  node(name: string): Usage | undefined {
    const e = this.nodes.get(name);
    if (!e || this.now() - e.receivedMs > this.maxAgeMs) return undefined;
    return usageOf(e.node);
  }

  nodeNames(): string[] {
    return this.fresh().map(([n]) => n);
  }

  /** Pods with usage for every container the agent reported; `namespace` undefined: all namespaces. */
  pods(namespace?: string): PodUsage[] {
    const out: PodUsage[] = [];
    for (const [, e] of this.fresh()) {
      for (const [key, p] of e.pods) {
        const [ns, name] = key.split("/") as [string, string];
        if (namespace !== undefined && ns !== namespace) continue;
        const containers: PodUsage["containers"] = [];
        let complete = p.containers.size > 0;
        for (const [cname, pair] of p.containers) {
          const usage = usageOf(pair);
          if (!usage) complete = false;
          else containers.push({ name: cname, usage });
        }
        if (!complete) continue;
        const timeMs = Math.max(...containers.map((c) => c.usage.timeMs));
        const windowMs = Math.max(...containers.map((c) => c.usage.windowMs));
        out.push({ namespace: ns, name, timeMs, windowMs, containers: containers.sort((a, b) => compareStrings(a.name, b.name)) });
      }
    }
    return out.sort((a, b) => compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name));
  }

  pod(namespace: string, name: string): PodUsage | undefined {
    return this.pods(namespace).find((p) => p.name === name);
  }
}

const sampleOf = (c: ContainerUsage): UsageSample => ({ timeMs: c.timeMs, cpuSeconds: c.cpuSeconds, memoryWorkingSetBytes: c.memoryWorkingSetBytes });
