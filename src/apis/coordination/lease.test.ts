import { expect, test } from "bun:test";
import { toTable, validateObject } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";

const leases = findResource("coordination.k8s.io", "v1", "leases")!;
const lease = (spec: Record<string, unknown>) => ({ metadata: { name: "n1", namespace: "kube-node-lease", creationTimestamp: "2026-01-01T00:00:00Z" }, spec }) as KubeObject;

test("a node heartbeat lease is valid and shows its holder", () => {
  const l = lease({ holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: "2026-01-01T00:00:10.000000Z" });
  expect(validateObject(leases, l)).toEqual([]);
  expect(toTable(leases, [l], { now: new Date("2026-01-01T00:00:10Z") }).rows[0]!.cells).toEqual(["n1", "n1", "10s"]);
  expect(toTable(leases, [lease({})], { now: new Date("2026-01-01T00:00:10Z") }).rows[0]!.cells[1]).toBe("");
});

test.each<[string, Record<string, unknown>, string, string]>([
  ["zero duration", { leaseDurationSeconds: 0 }, "spec.leaseDurationSeconds", "must be greater than 0"],
  ["negative transitions", { leaseTransitions: -1 }, "spec.leaseTransitions", "must be greater than or equal to 0"],
  ["preferred holder without strategy", { preferredHolder: "n2" }, "spec.preferredHolder", "may only be specified if `strategy` is defined"],
  ["bad strategy", { strategy: "Newest" }, "spec.strategy", "Unsupported value"],
  ["duration a string", { leaseDurationSeconds: "40" }, "spec.leaseDurationSeconds", "must be an integer"],
])("%s", (_, spec, field, message) => {
  const causes = validateObject(leases, lease(spec));
  expect(causes.find((c) => c.field === field)?.message).toContain(message);
});
