// The node IPAM controller's sync against a seeded cache and a fake client: no server.
import { expect, test } from "bun:test";
import { fakeControllerContext } from "../../test/helpers/fake-controller-context.ts";
import type { Node } from "../apis/index.ts";
import type { KubeObject } from "../apis/meta.ts";
import { SharedInformerFactory, type ListerWatcher, type ObjectEvent } from "../client/index.ts";
import { newNodeIpamController } from "./node-ipam.ts";

const node = (name: string, podCIDR?: string): Node => ({ apiVersion: "v1", kind: "Node", metadata: { name, resourceVersion: "3" }, spec: podCIDR ? { podCIDR } : {} });

test("nodes without a pod CIDR get free ones, each patch pinned to the version it was decided on", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newNodeIpamController(ctx, { clusterCIDR: "10.42.0.0/16" });
  seed("Node", [node("a"), node("b")]);
  await controller.sync("a");
  await controller.sync("b");
  expect(client.calls).toEqual(["patch nodes a", "patch nodes b"]);
  expect(client.bodies).toEqual([
    { metadata: { resourceVersion: "3" }, spec: { podCIDR: "10.42.0.0/24", podCIDRs: ["10.42.0.0/24"] } },
    { metadata: { resourceVersion: "3" }, spec: { podCIDR: "10.42.1.0/24", podCIDRs: ["10.42.1.0/24"] } },
  ]);
});

test("syncs running at once (the controller's workers) give every node its own CIDR", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newNodeIpamController(ctx, { clusterCIDR: "10.42.0.0/16" });
  const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
  seed("Node", names.map((n) => node(n)));
  await Promise.all(names.map((n) => controller.sync(n)));
  const given = (client.bodies as { spec: { podCIDR: string } }[]).map((b) => b.spec.podCIDR);
  expect(client.calls.sort()).toEqual(names.map((n) => `patch nodes ${n}`).sort());
  expect(new Set(given).size).toBe(names.length);
  expect(given.every((c) => /^10\.42\.([0-9]|[1-3][0-9])\.0\/24$/.test(c))).toBe(true);
});

test("a failed patch keeps the node's reservation for the retry", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newNodeIpamController(ctx, { clusterCIDR: "10.42.0.0/16" });
  seed("Node", [node("a")]);
  client.failures.set("patch nodes a", Object.assign(new Error("conflict"), { code: 409, reason: "Conflict" }));
  await expect(controller.sync("a")).rejects.toThrow("conflict");
  client.failures.clear();
  await controller.sync("a");
  expect(client.bodies.at(-1)).toMatchObject({ spec: { podCIDR: "10.42.0.0/24" } });
});

test("a node that has one is left alone", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newNodeIpamController(ctx);
  seed("Node", [node("a", "10.42.3.0/24")]);
  await controller.sync("a");
  expect(client.calls).toEqual([]);
});

test("a CIDR the API server says another node holds (422 on spec.podCIDR) is marked taken and the node gets the next", async () => {
  const { ctx, client, seed, events } = fakeControllerContext();
  const controller = newNodeIpamController(ctx, { clusterCIDR: "10.42.0.0/16" });
  seed("Node", [node("a"), node("b")]);
  const taken = Object.assign(new Error("node b already holds it"), { code: 422, reason: "Invalid", status: { code: 422, reason: "Invalid", details: { causes: [{ field: "spec.podCIDR" }] } } });
  client.failures.set("patch nodes a", taken);
  // The first attempt is refused; the controller takes the next /24 without waiting for its cache.
  const patch = client.patch.bind(client);
  client.patch = async (...args: Parameters<typeof patch>) => {
    const result = patch(...args);
    client.failures.clear();
    return result;
  };
  await controller.sync("a");
  expect(client.bodies.map((b) => (b as Node).spec?.podCIDR)).toEqual(["10.42.0.0/24", "10.42.1.0/24"]);
  expect(events).toEqual([{ component: "node-ipam-controller", object: "Node/a", type: "Warning", reason: "CIDRNotAvailable" }]);
  // Nor does the next node get the refused one.
  await controller.sync("b");
  expect((client.bodies.at(-1) as Node).spec?.podCIDR).toBe("10.42.2.0/24");
});

/** Informers over a list of `items` and a watch the test feeds with push(). */
function scriptedContext(items: Node[]) {
  const base = fakeControllerContext();
  let push: ((e: ObjectEvent<KubeObject>) => void) | undefined;
  const informers = new SharedInformerFactory({
    listerWatcher: <T extends KubeObject>(): ListerWatcher<T> => ({
      list: async () => ({ apiVersion: "v1", kind: "NodeList", items: items as unknown as T[], metadata: { resourceVersion: "1" } }),
      watch: (_opts, onEvent, signal) =>
        new Promise<void>((resolve) => {
          push = onEvent as (e: ObjectEvent<KubeObject>) => void;
          signal.addEventListener("abort", () => resolve(), { once: true });
        }),
    }),
  });
  return { ...base, ctx: { ...base.ctx, informers }, push: (e: ObjectEvent<KubeObject>) => push!(e) };
}

test("two stored nodes with one CIDR are reported (CIDRNotAvailable), and neither CIDR is handed out again", async () => {
  const { ctx, client, events } = scriptedContext([node("a", "10.42.0.0/24"), node("b", "10.42.0.0/24"), node("c")]);
  const controller = newNodeIpamController(ctx, { clusterCIDR: "10.42.0.0/16" });
  ctx.informers.start();
  await ctx.informers.waitForSync();
  expect(events).toEqual([{ component: "node-ipam-controller", object: "Node/b", type: "Warning", reason: "CIDRNotAvailable" }]);
  await controller.sync("c");
  expect((client.bodies.at(-1) as Node).spec?.podCIDR).toBe("10.42.1.0/24");
  await ctx.informers.stop();
});

test("a stored CIDR wins over this controller's reservation for a node whose Node has none yet", async () => {
  const { ctx, client, push } = scriptedContext([node("a"), node("b")]);
  const controller = newNodeIpamController(ctx, { clusterCIDR: "10.42.0.0/16" });
  ctx.informers.start();
  await ctx.informers.waitForSync();
  // a's patch fails for a reason that keeps its reservation (10.42.0.0/24) for the retry ...
  client.failures.set("patch nodes a", Object.assign(new Error("unavailable"), { code: 503 }));
  await expect(controller.sync("a")).rejects.toThrow("unavailable");
  client.failures.clear();
  // ... meanwhile b stores that CIDR (its agent's --pod-cidr, through another API server): b keeps it, a gets another.
  push({ type: "MODIFIED", object: { ...node("b", "10.42.0.0/24"), metadata: { name: "b", resourceVersion: "4" } } });
  await controller.sync("a");
  expect((client.bodies.at(-1) as Node).spec?.podCIDR).toBe("10.42.1.0/24");
  await ctx.informers.stop();
});
