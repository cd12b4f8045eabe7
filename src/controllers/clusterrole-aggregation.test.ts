// The aggregation controller's sync over a seeded cache: no server.
import { expect, test } from "bun:test";
import type { ClusterRole, PolicyRule } from "../apis/rbac/rbac.ts";
import { ObjectCache } from "../client/index.ts";
import { ClusterRoleAggregationController } from "./clusterrole-aggregation.ts";

const rule = (resource: string): PolicyRule => ({ verbs: ["get"], apiGroups: [""], resources: [resource] });
const role = (name: string, labels: Record<string, string>, rules: PolicyRule[], gathers?: Record<string, string>): ClusterRole => ({
  metadata: { name, labels },
  rules,
  ...(gathers && { aggregationRule: { clusterRoleSelectors: [{ matchLabels: gathers }] } }),
});

function setup(...roles: ClusterRole[]) {
  const cache = new ObjectCache<ClusterRole>();
  for (const r of roles) cache.set(r);
  const writes: [string, PolicyRule[]][] = [];
  const controller = new ClusterRoleAggregationController({
    clusterRoles: cache,
    writeRules: async (r, rules) => {
      writes.push([r.metadata.name!, rules]);
      cache.set({ ...r, rules });
    },
  });
  return { cache, writes, controller };
}

test("an aggregated role gets the matching roles' rules in name order, each once, never its own", async () => {
  const { writes, controller } = setup(
    role("view", { agg: "edit" }, [rule("stale")], { agg: "view" }),
    role("z-widgets", { agg: "view" }, [rule("widgets"), rule("pods")]),
    role("a-pods", { agg: "view" }, [rule("pods")]),
    role("other", {}, [rule("secrets")]),
  );
  await controller.sync("view");
  expect(writes).toEqual([["view", [rule("pods"), rule("widgets")]]]);
  await controller.sync("view");
  expect(writes).toHaveLength(1); // nothing changed: nothing written
});

test("a role without an aggregationRule, or gone, is left alone", async () => {
  const { writes, controller } = setup(role("plain", { agg: "view" }, [rule("pods")]));
  await controller.sync("plain");
  await controller.sync("missing");
  expect(writes).toEqual([]);
});

test("any ClusterRole change enqueues every aggregated role", () => {
  const { controller } = setup(role("admin", {}, [], { agg: "admin" }), role("edit", { agg: "admin" }, [], { agg: "edit" }), role("plain", {}, []));
  controller.handler.onAdd!(role("new", { agg: "edit" }, [rule("x")]));
  expect(controller.queue.len()).toBe(2);
});
