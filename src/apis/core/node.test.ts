import { describe, expect, test } from "bun:test";
import { applyDefaults, toTable, validateObject, validateStatusUpdate } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";

const nodes = findResource("", "v1", "nodes")!;

function node(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): Record<string, any> {
  const n = {
    metadata: { name: "n1", creationTimestamp: "2026-01-01T00:00:00Z", labels: { "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "worker" } },
    spec: { podCIDR: "10.42.1.0/24", ...spec },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      conditions: [{ type: "Ready", status: "True" }],
      addresses: [{ type: "InternalIP", address: "192.168.1.10" }, { type: "Hostname", address: "n1" }],
      nodeInfo: { kubeletVersion: "v1.32.0-kubun", osImage: "Debian 12", kernelVersion: "6.1.0", containerRuntimeVersion: "containerd://1.7" },
      ...status,
    },
  };
  applyDefaults(nodes, n as KubeObject);
  return n;
}

test("defaults: podCIDRs from podCIDR, allocatable from capacity", () => {
  const n = node();
  expect(n.spec.podCIDRs).toEqual(["10.42.1.0/24"]);
  expect(n.status.allocatable).toEqual({ cpu: "4", memory: "8Gi", pods: "110" });
  expect(validateObject(nodes, n as KubeObject)).toEqual([]);
});

describe("validation", () => {
  test.each<[string, Record<string, unknown>, string, string]>([
    ["bad CIDR", { podCIDR: "10.42.1.0/40", podCIDRs: undefined }, "spec.podCIDRs[0]", "must be a valid CIDR value"],
    ["taint without effect", { taints: [{ key: "dedicated", value: "gpu" }] }, "spec.taints[0].effect", "Required value"],
    ["bad taint effect", { taints: [{ key: "dedicated", effect: "Sometimes" }] }, "spec.taints[0].effect", "Unsupported value"],
    ["duplicate taint", { taints: [{ key: "a", effect: "NoSchedule" }, { key: "a", value: "x", effect: "NoSchedule" }] }, "spec.taints[1]", "Duplicate value"],
    ["unschedulable not a bool", { unschedulable: "yes" }, "spec.unschedulable", "must be a boolean"],
  ])("%s", (_, spec, field, message) => {
    const causes = validateObject(nodes, node(spec) as KubeObject);
    const cause = causes.find((c) => c.field === field);
    expect(cause, JSON.stringify(causes)).toBeDefined();
    expect(cause!.message).toContain(message);
  });

  test("nodes are cluster-scoped", () => {
    const n = node();
    n.metadata.namespace = "default";
    expect(validateObject(nodes, n as KubeObject).map((c) => [c.field, c.message])).toEqual([["metadata.namespace", "Forbidden: not allowed on this type"]]);
  });

  test("pod CIDRs may be set once, not changed", () => {
    const unset = node({ podCIDR: undefined });
    delete unset.spec.podCIDR;
    expect(validateObject(nodes, node() as KubeObject, unset as KubeObject)).toEqual([]);
    const causes = validateObject(nodes, node({ podCIDR: "10.42.2.0/24", podCIDRs: ["10.42.2.0/24"] }) as KubeObject, node() as KubeObject);
    expect(causes.map((c) => c.field)).toEqual(["spec.podCIDRs"]);
  });

  test("status writes check conditions", () => {
    const causes = validateStatusUpdate(nodes, node({}, { conditions: [{ type: "Ready", status: "Maybe" }] }) as KubeObject, node() as KubeObject);
    expect(causes.map((c) => c.field)).toEqual(["status.conditions[0].status"]);
  });
});

describe("table", () => {
  const now = new Date("2026-01-03T04:00:00Z");
  test.each<[string, Record<string, any>, unknown[]]>([
    ["ready", node(), ["n1", "Ready", "control-plane,worker", "2d4h", "v1.32.0-kubun", "192.168.1.10", "<none>", "Debian 12", "6.1.0", "containerd://1.7"]],
    ["cordoned and not ready", node({ unschedulable: true }, { conditions: [{ type: "Ready", status: "Unknown" }] }), ["n1", "NotReady,SchedulingDisabled"]],
    ["no conditions", node({}, { conditions: [] }), ["n1", "Unknown"]],
  ])("%s", (_, n, want) => {
    const cells = toTable(nodes, [n as KubeObject], { now }).rows[0]!.cells;
    expect(cells.slice(0, want.length)).toEqual(want);
  });

  test("a node without labels or info", () => {
    const cells = toTable(nodes, [{ metadata: { name: "bare" } }], { now }).rows[0]!.cells;
    expect(cells).toEqual(["bare", "Unknown", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]);
  });
});
