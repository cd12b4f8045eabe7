// The scheduler's cache (kube-scheduler's internal/cache): which pods take room on which node,
// kept in the scorer incrementally. A pod counts from the moment the scheduler assumes it on a
// node — before its binding is confirmed — so the next decision already sees it; the informer's
// view of the bound pod then confirms it, a failed binding forgets it. Pods may name a node the
// cache has not seen yet (informers race): they are accounted once the node arrives.
//
// Its memory is one entry per pod of the cluster, so it is kept flat (issue 19: ~240 B a pod as
// an entry object and a Set of keys per node, 11.7 MB at 50,000 pods): a pod is a slot number,
// found by its key through a hash table of slot numbers, and its node, flags and place in its
// node's list are columns indexed by the slot (pod-slots.ts). A node's pods are a doubly linked
// list through the slots, in the order they were added — the order a Set of their keys had — so
// removal stays O(1) and podsOn() answers as before.
import { PodSlots } from "./pod-slots.ts";
import type { NodeInfo, PodUsage, Scorer } from "./types.ts";

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
  private readonly pods = new PodSlots();
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
    const slot = this.pods.slotOf(key);
    return slot !== undefined && this.pods.assumed(slot);
  }

  /** The node a pod is accounted on (assumed or bound). */
  nodeOf(key: string): string | undefined {
    const slot = this.pods.slotOf(key);
    return slot === undefined ? undefined : this.pods.nodeOf(slot);
  }

  /** Keys of the pods accounted on `node` (bound or assumed), in the order they were added. */
  podsOn(node: string): string[] {
    const keys: string[] = [];
    this.pods.forEachOn(node, (slot) => keys.push(this.pods.keyOf(slot)));
    return keys;
  }

  /** What a pod takes on its node, as accounted. */
  usageOf(key: string): PodUsage | undefined {
    const slot = this.pods.slotOf(key);
    return slot === undefined ? undefined : this.pods.usageOf(slot);
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
      this.pods.forEachOn(info.name, (slot) => {
        this.scorer.assume(this.pods.usageOf(slot), index);
        this.pods.setApplied(slot, true);
      });
    }
    return true;
  }

  removeNode(name: string): void {
    this.nodes.delete(name);
    if (!this.scorer.removeNode(name)) return;
    // Its pods stay known: if the node comes back they count again.
    this.pods.forEachOn(name, (slot) => this.pods.setApplied(slot, false));
  }

  /** The scheduler chose `node` for the pod: count it there before the binding lands. */
  assume(key: string, usage: PodUsage, node: string): void {
    this.remove(key);
    this.add(key, node, this.usages.intern(usage), true);
  }

  /** The binding failed: the assumed pod no longer counts. */
  forget(key: string): void {
    if (this.isAssumed(key)) this.remove(key);
  }

  /** The informer shows the pod bound to `node`: confirms an assumed pod, or accounts a new one. */
  addPod(key: string, node: string, usage: PodUsage): void {
    const slot = this.pods.slotOf(key);
    if (slot !== undefined && this.pods.nodeOf(slot) === node && sameUsage(this.pods.usageOf(slot), usage)) {
      this.pods.setAssumed(slot, false);
      return;
    }
    this.remove(key);
    this.add(key, node, this.usages.intern(usage), false);
  }

  /** The pod is gone (deleted, or finished); true if it was counted on a node. */
  removePod(key: string): boolean {
    return this.remove(key);
  }

  private add(key: string, node: string, usage: PodUsage, assumed: boolean): void {
    const slot = this.pods.add(key, node, usage, assumed);
    const index = this.scorer.nodeIndex(node);
    if (index === undefined) return;
    this.scorer.assume(usage, index);
    this.pods.setApplied(slot, true);
  }

  private remove(key: string): boolean {
    const slot = this.pods.slotOf(key);
    if (slot === undefined) return false;
    const node = this.pods.nodeOf(slot);
    const usage = this.pods.usageOf(slot);
    const applied = this.pods.applied(slot);
    this.pods.remove(slot);
    if (applied) this.scorer.forget(usage, this.scorer.nodeIndex(node)!);
    return true;
  }
}
