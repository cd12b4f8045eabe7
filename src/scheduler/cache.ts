// The scheduler's cache (kube-scheduler's internal/cache): which pods take room on which node,
// kept in the scorer incrementally. A pod counts from the moment the scheduler assumes it on a
// node — before its binding is confirmed — so the next decision already sees it; the informer's
// view of the bound pod then confirms it, a failed binding forgets it. Pods may name a node the
// cache has not seen yet (informers race): they are accounted once the node arrives.
import type { NodeInfo, PodUsage, Scorer } from "./types.ts";

interface PodEntry {
  node: string;
  usage: PodUsage;
  /** Assumed by this scheduler, binding not yet seen in the informer. */
  assumed: boolean;
  /** Counted in the scorer (false while its node is unknown). */
  applied: boolean;
}

function sameUsage(a: PodUsage, b: PodUsage): boolean {
  return a.requests.cpu === b.requests.cpu && a.requests.memory === b.requests.memory &&
    a.requests.ephemeralStorage === b.requests.ephemeralStorage && a.nonZero.cpu === b.nonZero.cpu &&
    a.nonZero.memory === b.nonZero.memory && JSON.stringify(a.hostPorts) === JSON.stringify(b.hostPorts);
}

/** Distinct usages remembered for sharing; beyond this, new ones are kept unshared. */
const SHARED_USAGES_MAX = 4096;

/**
 * The usage the cache keeps of a pod: only what it accounts (not the pod's whole PodQuery), and
 * one object for all pods with equal requests — the pods of a workload are alike.
 */
class UsageTable {
  private readonly shared = new Map<string, PodUsage>();

  intern(u: PodUsage): PodUsage {
    if (u.hostPorts.length) return { requests: { ...u.requests }, nonZero: { ...u.nonZero }, hostPorts: u.hostPorts };
    const r = u.requests;
    const key = `${r.cpu} ${r.memory} ${r.ephemeralStorage} ${u.nonZero.cpu} ${u.nonZero.memory}`;
    let usage = this.shared.get(key);
    if (usage) return usage;
    usage = { requests: { cpu: r.cpu, memory: r.memory, ephemeralStorage: r.ephemeralStorage }, nonZero: { cpu: u.nonZero.cpu, memory: u.nonZero.memory }, hostPorts: [] };
    if (this.shared.size < SHARED_USAGES_MAX) this.shared.set(key, usage);
    return usage;
  }
}

export class SchedulerCache {
  private readonly pods = new Map<string, PodEntry>();
  private readonly podsOnNode = new Map<string, Set<string>>();
  /** What each node last looked like to filters and scores (a hash of it), to skip no-op updates (heartbeats). */
  private readonly nodes = new Map<string, number | bigint>();
  private readonly usages = new UsageTable();

  constructor(readonly scorer: Scorer) {}

  get nodeCount(): number {
    return this.nodes.size;
  }

  get podCount(): number {
    return this.pods.size;
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed === true;
  }

  /** The node a pod is accounted on (assumed or bound). */
  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.node;
  }

  /** Keys of the pods accounted on `node` (bound or assumed). */
  podsOn(node: string): string[] {
    return [...(this.podsOnNode.get(node) ?? [])];
  }

  /** What a pod takes on its node, as accounted. */
  usageOf(key: string): PodUsage | undefined {
    return this.pods.get(key)?.usage;
  }

  /** Adds or updates a node; true if anything filters or scores read has changed. */
  upsertNode(info: NodeInfo): boolean {
    const fingerprint = Bun.hash(JSON.stringify(info));
    if (this.nodes.get(info.name) === fingerprint) return false;
    this.nodes.set(info.name, fingerprint);
    const known = this.scorer.nodeIndex(info.name) !== undefined;
    const index = this.scorer.upsertNode(info);
    // A node new to the scorer starts empty: count the pods already bound or assumed there.
    if (!known) {
      for (const key of this.podsOnNode.get(info.name) ?? []) {
        const pod = this.pods.get(key)!;
        this.scorer.assume(pod.usage, index);
        pod.applied = true;
      }
    }
    return true;
  }

  removeNode(name: string): void {
    this.nodes.delete(name);
    if (!this.scorer.removeNode(name)) return;
    // Its pods stay known: if the node comes back they count again.
    for (const key of this.podsOnNode.get(name) ?? []) this.pods.get(key)!.applied = false;
  }

  /** The scheduler chose `node` for the pod: count it there before the binding lands. */
  assume(key: string, usage: PodUsage, node: string): void {
    this.remove(key);
    this.add(key, { node, usage: this.usages.intern(usage), assumed: true, applied: false });
  }

  /** The binding failed: the assumed pod no longer counts. */
  forget(key: string): void {
    if (this.pods.get(key)?.assumed) this.remove(key);
  }

  /** The informer shows the pod bound to `node`: confirms an assumed pod, or accounts a new one. */
  addPod(key: string, node: string, usage: PodUsage): void {
    const entry = this.pods.get(key);
    if (entry && entry.node === node && sameUsage(entry.usage, usage)) {
      entry.assumed = false;
      return;
    }
    this.remove(key);
    this.add(key, { node, usage: this.usages.intern(usage), assumed: false, applied: false });
  }

  /** The pod is gone (deleted, or finished); true if it was counted on a node. */
  removePod(key: string): boolean {
    return this.remove(key);
  }

  private add(key: string, entry: PodEntry): void {
    this.pods.set(key, entry);
    let keys = this.podsOnNode.get(entry.node);
    if (!keys) this.podsOnNode.set(entry.node, (keys = new Set()));
    keys.add(key);
    const index = this.scorer.nodeIndex(entry.node);
    if (index === undefined) return;
    this.scorer.assume(entry.usage, index);
    entry.applied = true;
  }

  private remove(key: string): boolean {
    const entry = this.pods.get(key);
    if (!entry) return false;
    this.pods.delete(key);
    const keys = this.podsOnNode.get(entry.node);
    keys?.delete(key);
    if (keys?.size === 0) this.podsOnNode.delete(entry.node);
    if (entry.applied) this.scorer.forget(entry.usage, this.scorer.nodeIndex(entry.node)!);
    return true;
  }
}
