// The service account controller's sync against seeded caches and a fake client: no server.
import { expect, test } from "bun:test";
import { fakeControllerContext } from "../../test/helpers/fake-controller-context.ts";
import { alreadyExists } from "../apis/errors.ts";
import { newServiceAccountsController } from "./serviceaccounts.ts";

const ns = (name: string, extra: object = {}) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, ...extra } });
const sa = (namespace: string) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } });

test.each([
  ["an active namespace without one gets a default ServiceAccount", [ns("a")], [], ["create serviceaccounts a/default"]],
  ["one that has it is left alone", [ns("a")], [sa("a")], []],
  ["a terminating namespace gets none", [ns("a", { deletionTimestamp: "2025-01-01T00:00:00Z" })], [], []],
  ["a namespace gone from the cache gets none", [], [], []],
])("%s", async (_, namespaces, accounts, want) => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newServiceAccountsController(ctx);
  seed("Namespace", namespaces);
  seed("ServiceAccount", accounts);
  await controller.sync("a");
  expect(client.calls).toEqual(want);
});

test("a create that finds it exists (a lagging cache) is done, not retried", async () => {
  const { ctx, client, seed } = fakeControllerContext();
  const controller = newServiceAccountsController(ctx);
  seed("Namespace", [ns("a")]);
  client.failures.set("create serviceaccounts a/default", alreadyExists({ resource: "serviceaccounts" }, "default"));
  await controller.sync("a");
  expect(client.calls).toEqual(["create serviceaccounts a/default"]);
});
