// The namespace controller's sync against a seeded cache and a fake client: no server.
import { expect, test } from "bun:test";
import { fakeControllerContext } from "../../test/helpers/fake-controller-context.ts";
import { newNamespaceController } from "./namespace.ts";

const deleting = (finalizers: string[]) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: "a", resourceVersion: "7", deletionTimestamp: "2025-01-01T00:00:00Z" },
  spec: { finalizers },
});

test("an emptied Terminating namespace has its kubernetes finalizer removed through /finalize", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newNamespaceController(ctx);
  seed("Namespace", [deleting(["kubernetes", "example.com/other"])]);
  await controller.sync("a");
  expect(client.calls.at(-1)).toBe("PUT /api/v1/namespaces/a/finalize");
  expect(client.bodies.at(-1)).toMatchObject({ metadata: { name: "a", resourceVersion: "7" }, spec: { finalizers: ["example.com/other"] } });
});

test("while content remains, the namespace is looked at again later and not finalized", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newNamespaceController(ctx, { retryMs: 60_000 });
  seed("Namespace", [deleting(["kubernetes"])]);
  client.listed.set("pods", [{ metadata: { name: "p", namespace: "a", deletionTimestamp: "2025-01-01T00:00:00Z" } }]);
  await controller.sync("a");
  expect(client.calls.filter((c) => c.includes("finalize"))).toEqual([]);
  controller.queue.shutDown();
});

test.each([
  ["not being deleted", { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } }],
  ["finalized already", deleting([])],
])("a namespace %s is left alone", async (_, namespace) => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newNamespaceController(ctx);
  seed("Namespace", [namespace]);
  await controller.sync("a");
  expect(client.calls).toEqual([]);
});
