import { describe, expect, test } from "bun:test";
import { applyDefaults, toTable, validateObject, validateScale, validateStatusUpdate } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";

const deployments = findResource("apps", "v1", "deployments")!;
const replicasets = findResource("apps", "v1", "replicasets")!;

function deployment(spec: Record<string, unknown> = {}): Record<string, any> {
  const d = {
    metadata: { name: "web", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.25" }, { name: "log", image: "busybox" }] } },
      ...spec,
    },
  };
  applyDefaults(deployments, d as KubeObject);
  return d;
}

function replicaset(spec: Record<string, unknown> = {}): Record<string, any> {
  const { selector, template } = deployment().spec;
  const rs = { metadata: { name: "web-5d4f", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" }, spec: { selector, template, ...spec } };
  applyDefaults(replicasets, rs as KubeObject);
  return rs;
}

describe("deployment defaults", () => {
  test.each<[string, unknown]>([
    ["replicas", 1],
    ["strategy", { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } }],
    ["revisionHistoryLimit", 10],
    ["progressDeadlineSeconds", 600],
  ])("%s", (field, want) => {
    expect(deployment().spec[field]).toEqual(want);
  });

  test("Recreate gets no rollingUpdate; set values stay", () => {
    const d = deployment({ replicas: 0, strategy: { type: "Recreate" }, revisionHistoryLimit: 0 });
    expect(d.spec.strategy).toEqual({ type: "Recreate" });
    expect(d.spec.replicas).toBe(0);
    expect(d.spec.revisionHistoryLimit).toBe(0);
  });

  test("replicasets default replicas and their template", () => {
    const rs = replicaset();
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.template.spec.restartPolicy).toBe("Always");
  });
});

const causesOf = (r: typeof deployments, obj: Record<string, any>, old?: Record<string, any>) => validateObject(r, obj as KubeObject, old as KubeObject | undefined);

describe("deployment and replicaset validation", () => {
  test("valid", () => {
    expect(causesOf(deployments, deployment())).toEqual([]);
    expect(causesOf(replicasets, replicaset())).toEqual([]);
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ["no selector", { selector: undefined }, "spec.selector", "Required value"],
    ["empty selector", { selector: {} }, "spec.selector", "empty selector is invalid for deployment"],
    ["selector not matching", { selector: { matchLabels: { app: "db" } } }, "spec.template.metadata.labels", "`selector` does not match template `labels`"],
    ["bad selector operator", { selector: { matchExpressions: [{ key: "app", operator: "Near", values: ["x"] }] } }, "spec.selector.matchExpressions[0].operator", "not a valid selector operator"],
    ["negative replicas", { replicas: -1 }, "spec.replicas", "must be greater than or equal to 0"],
    ["replicas a string", { replicas: "3" }, "spec.replicas", "must be an integer"],
    ["bad strategy type", { strategy: { type: "BlueGreen" } }, "spec.strategy.type", "Unsupported value"],
    ["Recreate with rollingUpdate", { strategy: { type: "Recreate", rollingUpdate: { maxSurge: 1 } } }, "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"],
    ["both zero", { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } } }, "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0"],
    ["over 100%", { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "150%" } } }, "spec.strategy.rollingUpdate.maxUnavailable", "must not be greater than 100%"],
    ["bad percent", { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "lots", maxUnavailable: 1 } } }, "spec.strategy.rollingUpdate.maxSurge", "a valid percent string"],
    ["deadline below minReady", { minReadySeconds: 700 }, "spec.progressDeadlineSeconds", "must be greater than minReadySeconds"],
    ["template restartPolicy", { template: { metadata: { labels: { app: "web" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "x" }] } } }, "spec.template.spec.restartPolicy", 'supported values: "Always"'],
    ["template without containers", { template: { metadata: { labels: { app: "web" } }, spec: { containers: [] } } }, "spec.template.spec.containers", "Required value"],
    ["template container without image", { template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c" }] } } }, "spec.template.spec.containers[0].image", "Required value"],
  ])("%s", (_, spec, field, message) => {
    const causes = causesOf(deployments, deployment(spec));
    const cause = causes.find((c) => c.field === field);
    expect(cause, JSON.stringify(causes)).toBeDefined();
    expect(cause!.message).toContain(message);
  });

  test.each([
    ["deployments", deployments, deployment],
    ["replicasets", replicasets, replicaset],
  ] as const)("%s: the selector is immutable", (_, r, make) => {
    const old = make();
    const next = make({ selector: { matchLabels: { app: "web", v: "2" } }, template: { metadata: { labels: { app: "web", v: "2" } }, spec: old.spec.template.spec } });
    expect(causesOf(r, next, old).map((c) => c.field)).toEqual(["spec.selector"]);
    expect(causesOf(r, make({ replicas: 5 }), old)).toEqual([]);
  });

  test("deployment status counts must add up", () => {
    const old = deployment();
    const next: Record<string, any> = { ...deployment(), status: { replicas: 2, readyReplicas: 3, availableReplicas: 1, updatedReplicas: -1 } };
    expect(validateStatusUpdate(deployments, next as KubeObject, old as KubeObject).map((c) => c.field)).toEqual(["status.updatedReplicas", "status.readyReplicas"]);
  });

  test("scale replicas must be nonnegative", () => {
    const errs: ReturnType<typeof validateObject> = [];
    validateScale(errs, { spec: { replicas: -2 } });
    expect(errs.map((c) => c.field)).toEqual(["spec.replicas"]);
  });
});

describe("tables", () => {
  const now = new Date("2026-01-01T00:03:20Z");

  test("deployments", () => {
    const d: Record<string, any> = { ...deployment({ replicas: 3 }), status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    d.spec.selector = { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }] };
    const table = toTable(deployments, [d as KubeObject], { now });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]);
    expect(table.rows[0]!.cells).toEqual(["web", "2/3", 3, 2, "3m20s", "web,log", "nginx:1.25,busybox", "app=web,tier in (a,b)"]);
  });

  test("a deployment without status", () => {
    expect(toTable(deployments, [deployment() as KubeObject], { now }).rows[0]!.cells.slice(0, 4)).toEqual(["web", "0/1", 0, 0]);
  });

  test("replicasets", () => {
    const rs: Record<string, any> = { ...replicaset({ replicas: 2 }), status: { replicas: 2, readyReplicas: 1 } };
    const table = toTable(replicasets, [rs as KubeObject], { now });
    expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ["Name", 0],
      ["Desired", 0],
      ["Current", 0],
      ["Ready", 0],
      ["Age", 0],
      ["Containers", 1],
      ["Images", 1],
      ["Selector", 1],
    ]);
    expect(table.rows[0]!.cells).toEqual(["web-5d4f", 2, 2, 1, "3m20s", "web,log", "nginx:1.25,busybox", "app=web"]);
  });
});
