// The node IPAM controller's sync against a seeded cache and a fake client: no server.
import { expect, test } from "bun:test";
import { fakeControllerContext } from "../../test/helpers/fake-controller-context.ts";
import type { Node } from "../apis/index.ts";
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
