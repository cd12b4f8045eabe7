// The cache's flat pod table (pod-slots.ts) against the entry-object-and-Set cache it replaced,
// kept here as the model: random sequences of what the scheduler and the informers do (assume,
// forget, confirm, move, remove pods; nodes added, changed, removed, re-added; pods on nodes
// the cache has not seen) must make the same scorer calls in the same order and answer every
// query alike — podsOn in the same order, since preemption walks it.
import { describe, expect, test } from "bun:test";
import { SchedulerCache } from "./cache.ts";
import { XorShift32 } from "./tie-break.ts";
import type { Decision, NodeInfo, PodUsage, Scorer } from "./types.ts";

/** A scorer that only records the calls the cache makes (and knows which nodes it has). */
function recordingScorer(log: string[]): Scorer {
  const index = new Map<string, number>();
  let next = 0;
  const usage = (u: PodUsage) => `${u.requests.cpu}/${u.hostPorts.map((p) => p.port).join(",")}`;
  return {
    get nodeCount() {
      return index.size;
    },
    nodeIndex: (name) => index.get(name),
    upsertNode(node: NodeInfo) {
      let i = index.get(node.name);
      if (i === undefined) index.set(node.name, (i = next++));
      log.push(`upsert ${node.name} ${i}`);
      return i;
    },
    removeNode(name) {
      log.push(`remove ${name}`);
      return index.delete(name);
    },
    assume: (u, i) => void log.push(`assume ${usage(u)} ${i}`),
    forget: (u, i) => void log.push(`forget ${usage(u)} ${i}`),
    schedule: (): Decision => ({ nodeIndex: -1, feasible: 0, rejections: {} }),
  };
}

/** The cache as it was before its pods were flattened (an entry per pod, a Set of keys per node). */
class ModelCache {
  private readonly pods = new Map<string, { node: string; usage: PodUsage; assumed: boolean; applied: boolean }>();
  private readonly podsOnNode = new Map<string, Set<string>>();
  private readonly nodes = new Map<string, number | bigint>();
  constructor(readonly scorer: Scorer) {}
  get podCount() {
    return this.pods.size;
  }
  get nodeCount() {
    return this.nodes.size;
  }
  isAssumed = (key: string) => this.pods.get(key)?.assumed === true;
  nodeOf = (key: string) => this.pods.get(key)?.node;
  usageOf = (key: string) => this.pods.get(key)?.usage;
  podsOn = (node: string) => [...(this.podsOnNode.get(node) ?? [])];
  upsertNode(info: NodeInfo): boolean {
    const fingerprint = Bun.hash(JSON.stringify(info));
    if (this.nodes.get(info.name) === fingerprint) return false;
    this.nodes.set(info.name, fingerprint);
    const known = this.scorer.nodeIndex(info.name) !== undefined;
    const index = this.scorer.upsertNode(info);
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
    for (const key of this.podsOnNode.get(name) ?? []) this.pods.get(key)!.applied = false;
  }
  assume(key: string, usage: PodUsage, node: string): void {
    this.remove(key);
    this.add(key, { node, usage, assumed: true, applied: false });
  }
  forget(key: string): void {
    if (this.pods.get(key)?.assumed) this.remove(key);
  }
  addPod(key: string, node: string, usage: PodUsage): void {
    const entry = this.pods.get(key);
    if (entry && entry.node === node && JSON.stringify(entry.usage) === JSON.stringify(usage)) {
      entry.assumed = false;
      return;
    }
    this.remove(key);
    this.add(key, { node, usage, assumed: false, applied: false });
  }
  removePod = (key: string) => this.remove(key);
  private add(key: string, entry: { node: string; usage: PodUsage; assumed: boolean; applied: boolean }): void {
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

const node = (name: string, cpu: number): NodeInfo => ({
  name, labels: {}, taints: [], unschedulable: false, ready: true,
  allocatable: { cpu, memory: 1 << 30, ephemeralStorage: 0, pods: 110 },
});

const usage = (cpu: number, port?: number): PodUsage => ({
  requests: { cpu, memory: 0, ephemeralStorage: 0 },
  nonZero: { cpu, memory: 0 },
  hostPorts: port ? [{ port, protocol: "TCP", hostIP: "" }] : [],
});

describe("SchedulerCache's flat pod table against the per-pod entries it replaced", () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])("seed %i: same scorer calls and answers over 6,000 random steps", (seed) => {
    const rng = new XorShift32(seed * 7919);
    const pick = (n: number) => rng.next() % n;
    const actualLog: string[] = [];
    const modelLog: string[] = [];
    const actual = new SchedulerCache(recordingScorer(actualLog));
    const model = new ModelCache(recordingScorer(modelLog));
    // Few nodes and many pods, so lists grow long, empty out, and slots and node ids are reused.
    const nodes = Array.from({ length: 6 }, (_, i) => `n${i}`);
    const keys = Array.from({ length: 300 }, (_, i) => `ns/p${i}`);
    for (let step = 0; step < 6000; step++) {
      const key = keys[pick(keys.length)]!;
      const name = nodes[pick(nodes.length)]!;
      const u = usage(100 * (1 + pick(3)), pick(10) === 0 ? 8000 + pick(2) : undefined);
      const op = pick(100);
      if (op < 30) {
        actual.assume(key, u, name);
        model.assume(key, u, name);
      } else if (op < 40) {
        actual.forget(key);
        model.forget(key);
      } else if (op < 65) {
        // Confirmed as assumed (usually), or bound elsewhere / with other requests.
        const n = pick(4) === 0 ? name : (model.nodeOf(key) ?? name);
        const v = pick(4) === 0 ? u : (model.usageOf(key) ?? u);
        actual.addPod(key, n, v);
        model.addPod(key, n, v);
      } else if (op < 85) {
        expect(actual.removePod(key)).toBe(model.removePod(key));
      } else if (op < 95) {
        const info = node(name, 1000 * (1 + pick(2)));
        expect(actual.upsertNode(info)).toBe(model.upsertNode(info));
      } else {
        actual.removeNode(name);
        model.removeNode(name);
      }
      expect(actualLog.length).toBe(modelLog.length);
      if (step % 50 === 0 || step > 5900) {
        expect(actualLog).toEqual(modelLog);
        expect(actual.podCount).toBe(model.podCount);
        expect(actual.nodeCount).toBe(model.nodeCount);
        for (const n of nodes) expect(actual.podsOn(n)).toEqual(model.podsOn(n));
        for (const k of keys) {
          expect(actual.isAssumed(k)).toBe(model.isAssumed(k));
          expect(actual.nodeOf(k)).toBe(model.nodeOf(k));
          expect(actual.usageOf(k)).toEqual(model.usageOf(k));
        }
      }
    }
    // The pods went everywhere and were removed often: every list is walked to its end above.
    expect(actualLog.filter((l) => l.startsWith("forget")).length).toBeGreaterThan(100);
  });

  test("a node's list keeps the order pods were added in after removals from its middle and ends", () => {
    const log: string[] = [];
    const cache = new SchedulerCache(recordingScorer(log));
    for (const k of ["a", "b", "c", "d", "e"]) cache.addPod(k, "n1", usage(100));
    cache.removePod("a");
    cache.removePod("c");
    cache.removePod("e");
    cache.addPod("f", "n1", usage(100));
    cache.addPod("b", "n2", usage(100));
    cache.addPod("b", "n1", usage(100));
    expect(cache.podsOn("n1")).toEqual(["d", "f", "b"]);
    expect(cache.podsOn("n2")).toEqual([]);
    for (const k of ["d", "f", "b"]) cache.removePod(k);
    expect(cache.podsOn("n1")).toEqual([]);
    expect(cache.podCount).toBe(0);
    // No node was known: nothing was counted in the scorer.
    expect(log).toEqual([]);
  });
});
