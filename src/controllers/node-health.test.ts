import { describe, expect, test } from "bun:test";
import type { Node, Pod, Taint } from "../apis/index.ts";
import { evictionTime } from "./node-eviction.ts";
import { observeHealth, reconcileTaints, silentNodeConditions } from "./node-health.ts";

const node = (ready?: string, extra: { unschedulable?: boolean; taints?: Taint[] } = {}): Node => ({
  metadata: { name: "n1" },
  spec: { unschedulable: extra.unschedulable, taints: extra.taints },
  status: ready ? { conditions: [{ type: "Ready", status: ready as "True", lastHeartbeatTime: "hb1" }] } : {},
});

describe("observeHealth", () => {
  const lease = (renewTime: string) => ({ metadata: { name: "n1" }, spec: { renewTime } });
  test("a node first seen is alive now", () => {
    expect(observeHealth(undefined, node("True"), undefined, 100).probeTimestamp).toBe(100);
  });
  test("a renewed lease moves the probe time; an unchanged one does not", () => {
    const first = observeHealth(undefined, node("True"), lease("t1"), 100);
    expect(observeHealth(first, node("True"), lease("t1"), 200).probeTimestamp).toBe(100);
    expect(observeHealth(first, node("True"), lease("t2"), 200).probeTimestamp).toBe(200);
  });
  test("a new Ready heartbeat moves the probe time", () => {
    const first = observeHealth(undefined, node("True"), undefined, 100);
    const posted = node("True");
    posted.status!.conditions![0]!.lastHeartbeatTime = "hb2";
    expect(observeHealth(first, posted, undefined, 300).probeTimestamp).toBe(300);
  });
});

describe("silentNodeConditions", () => {
  test("turns Ready Unknown and adds the pressure conditions", () => {
    const conds = silentNodeConditions(node("True"), "now")!;
    expect(conds.find((c) => c.type === "Ready")).toMatchObject({ status: "Unknown", reason: "NodeStatusUnknown", lastHeartbeatTime: "hb1" });
    expect(conds.find((c) => c.type === "DiskPressure")).toMatchObject({ status: "Unknown", reason: "NodeStatusNeverUpdated" });
  });
  test("nothing to do once everything is Unknown", () => {
    const n = node("True");
    n.status!.conditions = silentNodeConditions(n, "now");
    expect(silentNodeConditions(n, "later")).toBeUndefined();
  });
});

describe("reconcileTaints", () => {
  const custom: Taint = { key: "example.com/gpu", effect: "NoSchedule" };
  test.each([
    { name: "ready node, nothing", n: node("True"), want: undefined },
    { name: "unknown: unreachable", n: node("Unknown"), want: ["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"] },
    { name: "false: not-ready", n: node("False"), want: ["node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"] },
    { name: "cordoned", n: node("True", { unschedulable: true, taints: [custom] }), want: ["example.com/gpu:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"] },
    {
      name: "recovered: managed taints go, others stay",
      n: node("True", { taints: [custom, { key: "node.kubernetes.io/unreachable", effect: "NoExecute" }] }),
      want: ["example.com/gpu:NoSchedule"],
    },
    {
      name: "unreachable to not-ready",
      n: node("False", { taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }] }),
      want: ["node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"],
    },
  ])("$name", ({ n, want }) => {
    expect(reconcileTaints(n, "now")?.map((t) => `${t.key}:${t.effect}`)).toEqual(want as unknown as string[]);
  });
  test("NoExecute taints carry the time they were added, and keep it", () => {
    const taints = reconcileTaints(node("Unknown"), "t0")!;
    expect(taints.find((t) => t.effect === "NoExecute")?.timeAdded).toBe("t0");
    expect(reconcileTaints(node("Unknown", { taints }), "t1")).toBeUndefined();
  });
});

describe("evictionTime", () => {
  const t0 = Date.parse("2024-01-01T00:00:00Z");
  const unreachable: Taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "2024-01-01T00:00:00Z" };
  const pod = (tolerations: NonNullable<Pod["spec"]>["tolerations"]): Pod => ({ metadata: { name: "p" }, spec: { containers: [], tolerations } });
  const defaulted = [{ key: "node.kubernetes.io/unreachable", operator: "Exists" as const, effect: "NoExecute" as const, tolerationSeconds: 300 }];
  test.each([
    { name: "no NoExecute taints", taints: [{ ...unreachable, effect: "NoSchedule" as const }], p: pod([]), cap: undefined, want: undefined },
    { name: "untolerated: now", taints: [unreachable], p: pod([]), cap: undefined, want: t0 + 5000 },
    { name: "tolerated 300 s from timeAdded", taints: [unreachable], p: pod(defaulted), cap: undefined, want: t0 + 300_000 },
    { name: "capped for tests", taints: [unreachable], p: pod(defaulted), cap: 2, want: t0 + 2000 },
    { name: "tolerated forever", taints: [unreachable], p: pod([{ operator: "Exists" }]), cap: 2, want: undefined },
  ])("$name", ({ taints, p, cap, want }) => {
    expect(evictionTime(p, taints, t0 + 5000, cap)).toBe(want);
  });
});
