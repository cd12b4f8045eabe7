import { describe, expect, test } from "bun:test";
import { SchedulerCache } from "./cache.ts";
import { createTsScorer } from "./ts-scorer.ts";
import type { NodeInfo, PodQuery } from "./types.ts";

const GI = 2 ** 30;

const node = (name: string, cpu = 1000): NodeInfo => ({
  name,
  labels: {},
  taints: [],
  unschedulable: false,
  ready: true,
  allocatable: { cpu, memory: 4 * GI, ephemeralStorage: 0, pods: 110 },
});

const pod = (cpu: number): PodQuery => ({
  requests: { cpu, memory: 0, ephemeralStorage: 0 },
  nonZero: { cpu, memory: 0 },
  hostPorts: [],
  nodeSelector: {},
  preferredTerms: [],
  tolerations: [],
});

/** Whether a pod asking for `cpu` millicores fits anywhere. */
const fits = (cache: SchedulerCache, cpu: number) => cache.scorer.schedule(pod(cpu)).node !== undefined;

describe("SchedulerCache", () => {
  test("an assumed pod takes room until forgotten; a confirmed one until removed", () => {
    const cache = new SchedulerCache(createTsScorer());
    cache.upsertNode(node("n1"));
    cache.assume("ns/a", pod(600), "n1");
    expect(cache.isAssumed("ns/a")).toBe(true);
    expect(fits(cache, 600)).toBe(false);
    cache.forget("ns/a");
    expect(fits(cache, 600)).toBe(true);

    cache.assume("ns/a", pod(600), "n1");
    cache.addPod("ns/a", "n1", pod(600));
    expect(cache.isAssumed("ns/a")).toBe(false);
    // Forgetting a confirmed pod does nothing: only the informer's delete frees it.
    cache.forget("ns/a");
    expect(fits(cache, 600)).toBe(false);
    expect(cache.removePod("ns/a")).toBe(true);
    expect(fits(cache, 600)).toBe(true);
  });

  test("confirming is idempotent: the pod counts once", () => {
    const cache = new SchedulerCache(createTsScorer());
    cache.upsertNode(node("n1"));
    cache.assume("ns/a", pod(400), "n1");
    cache.addPod("ns/a", "n1", pod(400));
    cache.addPod("ns/a", "n1", pod(400));
    expect(fits(cache, 600)).toBe(true);
    expect(fits(cache, 601)).toBe(false);
  });

  test("a pod bound to a node not seen yet counts once the node arrives, and again after it returns", () => {
    const cache = new SchedulerCache(createTsScorer());
    cache.addPod("ns/a", "n1", pod(700));
    cache.upsertNode(node("n1"));
    expect(fits(cache, 400)).toBe(false);
    cache.removeNode("n1");
    expect(fits(cache, 1)).toBe(false);
    cache.upsertNode(node("n1"));
    expect(fits(cache, 300)).toBe(true);
    expect(fits(cache, 400)).toBe(false);
  });

  test("upsertNode reports only changes filters and scores can see", () => {
    const cache = new SchedulerCache(createTsScorer());
    expect(cache.upsertNode(node("n1"))).toBe(true);
    expect(cache.upsertNode(node("n1"))).toBe(false);
    expect(cache.upsertNode(node("n1", 2000))).toBe(true);
    expect(cache.nodeCount).toBe(1);
  });

  test("a pod moving nodes is accounted on the new one only", () => {
    const cache = new SchedulerCache(createTsScorer());
    cache.upsertNode(node("n1"));
    cache.upsertNode(node("n2"));
    cache.addPod("ns/a", "n1", pod(800));
    cache.addPod("ns/a", "n2", pod(800));
    expect(cache.nodeOf("ns/a")).toBe("n2");
    expect(cache.scorer.schedule(pod(800)).node).toBe("n1");
  });
});
