import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import { isPendingFor, podConditionPatch, podUpdated } from "./pod-status.ts";
import type { PodCondition } from "./reasons.ts";

const pod = (spec: object = {}, status: object = {}, meta: object = {}): KubeObject =>
  ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", ...meta }, spec, status }) as KubeObject;

const failed = (message: string, at = "2026-01-01T00:00:10Z"): PodCondition => ({
  type: "PodScheduled", status: "False", reason: "Unschedulable", message, lastProbeTime: null, lastTransitionTime: at,
});

describe("isPendingFor", () => {
  test.each([
    ["unbound, default scheduler implied", pod(), true],
    ["unbound, named default-scheduler", pod({ schedulerName: "default-scheduler" }), true],
    ["another scheduler's", pod({ schedulerName: "other" }), false],
    ["bound", pod({ nodeName: "n1" }), false],
    ["being deleted", pod({}, {}, { deletionTimestamp: "2026-01-01T00:00:00Z" }), false],
    ["finished", pod({}, { phase: "Failed" }), false],
  ])("%s", (_name, p, want) => {
    expect(isPendingFor(p, "default-scheduler")).toBe(want);
  });
});

describe("podConditionPatch", () => {
  test("a first failure patches the condition in, keyed by type", () => {
    expect(podConditionPatch(pod(), failed("0/1 nodes are available: 1 Insufficient cpu."))).toEqual({
      status: { conditions: [failed("0/1 nodes are available: 1 Insufficient cpu.")] },
    });
  });

  test("the same verdict again writes nothing", () => {
    const p = pod({}, { conditions: [failed("m", "2026-01-01T00:00:00Z")] });
    expect(podConditionPatch(p, failed("m"))).toBeUndefined();
  });

  test("a new message keeps the first transition time", () => {
    const p = pod({}, { conditions: [failed("old", "2026-01-01T00:00:00Z")] });
    expect(podConditionPatch(p, failed("new"))).toEqual({ status: { conditions: [failed("new", "2026-01-01T00:00:00Z")] } });
  });
});

describe("podUpdated", () => {
  test.each([
    ["status only", pod({ a: 1 }, { phase: "Pending" }), pod({ a: 1 }, { conditions: [] }), false],
    ["spec changed", pod({ a: 1 }), pod({ a: 2 }), true],
    ["labels changed", pod({}, {}, { labels: { x: "1" } }), pod({}, {}, { labels: { x: "2" } }), true],
  ])("%s", (_name, a, b, want) => {
    expect(podUpdated(a, b)).toBe(want);
  });
});
