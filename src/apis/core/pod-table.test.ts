import { expect, test } from "bun:test";
import { toTable } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";
import type { ContainerStatus } from "./container.ts";
import type { Pod } from "./pod.ts";

const pods = findResource("", "v1", "pods")!;
const now = new Date("2026-01-01T01:00:00Z");

const cs = (state: ContainerStatus["state"], extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name: "c",
  ready: false,
  restartCount: 0,
  image: "x",
  imageID: "",
  state,
  ...extra,
});

function pod(status: Pod["status"], extra: { spec?: Partial<NonNullable<Pod["spec"]>>; deleting?: boolean } = {}): Pod {
  return {
    metadata: {
      name: "web",
      namespace: "default",
      creationTimestamp: "2026-01-01T00:00:00Z",
      ...(extra.deleting ? { deletionTimestamp: "2026-01-01T00:59:00Z" } : {}),
    },
    spec: { containers: [{ name: "c", image: "x" }], ...extra.spec },
    status,
  };
}

const cells = (p: Pod) => toTable(pods, [p as KubeObject], { now }).rows[0]!.cells;

test.each<[string, Pod, string, string, string]>([
  ["new pod", pod({ phase: "Pending" }), "0/1", "Pending", "0"],
  ["creating", pod({ phase: "Pending", containerStatuses: [cs({ waiting: { reason: "ContainerCreating" } })] }), "0/1", "ContainerCreating", "0"],
  ["running and ready", pod({ phase: "Running", containerStatuses: [cs({ running: {} }, { ready: true })] }), "1/1", "Running", "0"],
  ["running not ready", pod({ phase: "Running", containerStatuses: [cs({ running: {} })] }), "0/1", "Running", "0"],
  ["completed", pod({ phase: "Succeeded", containerStatuses: [cs({ terminated: { exitCode: 0, reason: "Completed" } })] }), "0/1", "Completed", "0"],
  ["exit code without reason", pod({ phase: "Failed", containerStatuses: [cs({ terminated: { exitCode: 3 } })] }), "0/1", "ExitCode:3", "0"],
  ["signal", pod({ phase: "Failed", containerStatuses: [cs({ terminated: { exitCode: 137, signal: 9 } })] }), "0/1", "Signal:9", "0"],
  [
    "crash loop with last restart",
    pod({
      phase: "Running",
      containerStatuses: [cs({ waiting: { reason: "CrashLoopBackOff" } }, { restartCount: 4, lastState: { terminated: { exitCode: 1, finishedAt: "2026-01-01T00:55:00Z" } } })],
    }),
    "0/1",
    "CrashLoopBackOff",
    "4 (5m ago)",
  ],
  ["terminating", pod({ phase: "Running", containerStatuses: [cs({ running: {} }, { ready: true })] }, { deleting: true }), "1/1", "Terminating", "0"],
  ["deleted after success stays Completed", pod({ phase: "Succeeded", containerStatuses: [cs({ terminated: { exitCode: 0, reason: "Completed" } })] }, { deleting: true }), "0/1", "Completed", "0"],
  ["evicted", pod({ phase: "Failed", reason: "Evicted" }), "0/1", "Evicted", "0"],
  [
    "waiting for init containers",
    pod({ phase: "Pending", initContainerStatuses: [cs({ waiting: { reason: "PodInitializing" } }, { name: "init" })] }, { spec: { initContainers: [{ name: "init", image: "x" }] } }),
    "0/1",
    "Init:0/1",
    "0",
  ],
  [
    "init container failing",
    pod({ phase: "Pending", initContainerStatuses: [cs({ waiting: { reason: "CrashLoopBackOff" } }, { name: "init", restartCount: 2 })] }, { spec: { initContainers: [{ name: "init", image: "x" }] } }),
    "0/1",
    "Init:CrashLoopBackOff",
    "2",
  ],
  [
    "init container exited badly",
    pod({ phase: "Pending", initContainerStatuses: [cs({ terminated: { exitCode: 2 } }, { name: "init" })] }, { spec: { initContainers: [{ name: "init", image: "x" }] } }),
    "0/1",
    "Init:ExitCode:2",
    "0",
  ],
  [
    "sidecar counts toward ready",
    pod(
      { phase: "Running", initContainerStatuses: [cs({ running: {} }, { name: "side", started: true, ready: true })], containerStatuses: [cs({ running: {} }, { ready: true })] },
      { spec: { initContainers: [{ name: "side", image: "x", restartPolicy: "Always" }] } },
    ),
    "2/2",
    "Running",
    "0",
  ],
  [
    "scheduling gated",
    pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] }),
    "0/1",
    "SchedulingGated",
    "0",
  ],
])("%s", (_, p, ready, status, restarts) => {
  expect(cells(p).slice(1, 4)).toEqual([ready, status, restarts]);
});

test("wide cells: IP, node, nominated node, readiness gates", () => {
  const p = pod({ phase: "Running", podIP: "10.42.0.7", podIPs: [{ ip: "10.42.0.7" }], conditions: [{ type: "example.com/gate", status: "True" }] }, {
    spec: { nodeName: "n1", readinessGates: [{ conditionType: "example.com/gate" }, { conditionType: "other" }] },
  });
  expect(cells(p)).toEqual(["web", "0/1", "Running", "0", "60m", "10.42.0.7", "n1", "<none>", "1/2"]);
  expect(cells(pod({}))[5]).toBe("<none>");
});

test("table shape: columns with priorities and PartialObjectMetadata rows", () => {
  const p = pod({ phase: "Succeeded" });
  p.metadata.managedFields = [{ manager: "kubectl" }];
  const table = toTable(pods, [p as KubeObject], { now, resourceVersion: "42", continue: "tok" });
  expect(table.kind).toBe("Table");
  expect(table.apiVersion).toBe("meta.k8s.io/v1");
  expect(table.metadata).toEqual({ resourceVersion: "42", continue: "tok" });
  expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
    ["Name", 0],
    ["Ready", 0],
    ["Status", 0],
    ["Restarts", 0],
    ["Age", 0],
    ["IP", 1],
    ["Node", 1],
    ["Nominated Node", 1],
    ["Readiness Gates", 1],
  ]);
  expect(table.columnDefinitions[0]!.format).toBe("name");
  const row = table.rows[0]!;
  expect(row.object).toEqual({
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1",
    metadata: { name: "web", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
  });
  expect(row.conditions).toEqual([{ type: "Completed", status: "True", reason: "Succeeded", message: "The pod has completed successfully." }]);
});

test.each<["None" | "Object", unknown]>([
  ["None", undefined],
  ["Object", "the pod"],
])("includeObject=%s", (includeObject, want) => {
  const p = pod({ phase: "Running" });
  const row = toTable(pods, [p as KubeObject], { now, includeObject }).rows[0]!;
  expect(row.object).toEqual(want === "the pod" ? p : undefined);
});
