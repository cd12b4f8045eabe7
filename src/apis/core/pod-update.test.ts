import { describe, expect, test } from "bun:test";
import { applyDefaults, validateObject, validateStatusUpdate } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";
import { jsonDiff } from "./pod-update.ts";

const pods = findResource("", "v1", "pods")!;

function pod(): Record<string, any> {
  const p = {
    metadata: { name: "web", namespace: "default", uid: "u1", creationTimestamp: "2026-01-01T00:00:00Z", resourceVersion: "5" },
    spec: { nodeName: "n1", activeDeadlineSeconds: 100, containers: [{ name: "web", image: "nginx:1.25" }], initContainers: [{ name: "init", image: "busybox:1" }] },
    status: { phase: "Running", podIP: "10.42.0.5", podIPs: [{ ip: "10.42.0.5" }] },
  };
  applyDefaults(pods, p as KubeObject);
  return p;
}

const update = (change: (p: Record<string, any>) => void) => {
  const old = pod();
  const next = structuredClone(old);
  change(next);
  return validateObject(pods, next as KubeObject, old as KubeObject);
};

describe("pod spec updates", () => {
  test.each<[string, (p: Record<string, any>) => void]>([
    ["container image", (p) => (p.spec.containers[0].image = "nginx:1.26")],
    ["init container image", (p) => (p.spec.initContainers[0].image = "busybox:2")],
    ["shorter deadline", (p) => (p.spec.activeDeadlineSeconds = 50)],
    ["added toleration", (p) => p.spec.tolerations.push({ key: "k", operator: "Exists" })],
    ["changed tolerationSeconds", (p) => (p.spec.tolerations[0].tolerationSeconds = 60)],
    ["labels", (p) => (p.metadata.labels = { a: "b" })],
    ["uid left out (the server carries it over)", (p) => delete p.metadata.uid],
  ])("allowed: %s", (_, change) => {
    expect(update(change)).toEqual([]);
  });

  test.each<[string, (p: Record<string, any>) => void, string, string]>([
    ["restart policy", (p) => (p.spec.restartPolicy = "Never"), "spec", "pod updates may not change fields other than `spec.containers[*].image`"],
    ["node name", (p) => (p.spec.nodeName = "n2"), "spec", 'spec.nodeName: "n2"'],
    ["container ports", (p) => (p.spec.containers[0].ports = [{ containerPort: 80, protocol: "TCP" }]), "spec", "pod updates may not change fields other than"],
    ["added container", (p) => p.spec.containers.push({ name: "b", image: "x:1", imagePullPolicy: "Always", terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File" }), "spec.containers", "pod updates may not add or remove containers"],
    ["longer deadline", (p) => (p.spec.activeDeadlineSeconds = 200), "spec.activeDeadlineSeconds", "must be less than or equal to previous value"],
    ["removed deadline", (p) => delete p.spec.activeDeadlineSeconds, "spec.activeDeadlineSeconds", "must not update from a positive integer to nil value"],
    ["removed toleration", (p) => p.spec.tolerations.pop(), "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"],
    ["renamed", (p) => (p.metadata.name = "other"), "metadata.name", "field is immutable"],
    ["moved namespace", (p) => (p.metadata.namespace = "other"), "metadata.namespace", "field is immutable"],
    ["new uid", (p) => (p.metadata.uid = "u2"), "metadata.uid", "field is immutable"],
    ["new creationTimestamp", (p) => (p.metadata.creationTimestamp = "2027-01-01T00:00:00Z"), "metadata.creationTimestamp", "field is immutable"],
  ])("forbidden: %s", (_, change, field, message) => {
    const causes = update(change);
    const cause = causes.find((c) => c.field === field);
    expect(cause, JSON.stringify(causes)).toBeDefined();
    expect(cause!.message).toContain(message);
  });
});

describe("pod status updates", () => {
  const statusUpdate = (change: (p: Record<string, any>) => void, oldChange?: (p: Record<string, any>) => void) => {
    const old = pod();
    oldChange?.(old);
    const next = structuredClone(old);
    change(next);
    return validateStatusUpdate(pods, next as KubeObject, old as KubeObject);
  };

  test("the agent may report running containers and conditions", () => {
    expect(
      statusUpdate((p) => {
        p.status.conditions = [{ type: "Ready", status: "True" }];
        p.status.containerStatuses = [{ name: "web", ready: true, restartCount: 0, image: "nginx:1.25", imageID: "", state: { running: {} } }];
      }),
    ).toEqual([]);
  });

  test.each<[string, (p: Record<string, any>) => void, ((p: Record<string, any>) => void) | undefined, string, string]>([
    ["bad phase", (p) => (p.status.phase = "Sleeping"), undefined, "status.phase", "Unsupported value"],
    ["leaving a terminal phase", (p) => (p.status.phase = "Running"), (p) => (p.status.phase = "Succeeded"), "status.phase", "cannot transition from a terminal phase"],
    ["bad pod IP", (p) => (p.status.podIPs = [{ ip: "10.42.0.500" }]), undefined, "status.podIPs[0].ip", "must be a valid IP address"],
    ["bad condition status", (p) => (p.status.conditions = [{ type: "Ready", status: "Yes" }]), undefined, "status.conditions[0].status", "Unsupported value"],
    [
      "resurrecting a container under restartPolicy Never",
      (p) => (p.status.containerStatuses = [{ name: "web", state: { running: {} } }]),
      (p) => {
        p.spec.restartPolicy = "Never";
        p.status.containerStatuses = [{ name: "web", state: { terminated: { exitCode: 1 } } }];
      },
      "status.containerStatuses[0].state",
      "may not be transitioned to non-terminated state",
    ],
  ])("%s", (_, change, oldChange, field, message) => {
    const causes = statusUpdate(change, oldChange);
    const cause = causes.find((c) => c.field === field);
    expect(cause, JSON.stringify(causes)).toBeDefined();
    expect(cause!.message).toContain(message);
  });
});

test("jsonDiff names each changed leaf", () => {
  expect(jsonDiff({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] }, d: "x" }, "spec")).toEqual([
    "-\tspec.b.c[1]: 2",
    "+\tspec.b.c[1]: 3",
    '+\tspec.d: "x"',
  ]);
});
