// Custom resources with the controllers that serve every kind: the garbage collector follows
// ownerReferences to and from custom resources (it picks up a CRD's resource once served), and
// deleting a namespace deletes its custom resources before the namespace goes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ controllers: true });
  const r = await s.kubectl(["apply", "-f", join(import.meta.dir, "crd", "website-crd.yaml")]);
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await s.close();
});

async function json(path: string, init?: RequestInit): Promise<any> {
  const res = await s.api(path, { ...init, headers: { "content-type": "application/json" } });
  return res.json();
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const status = async (path: string) => (await s.api(path)).status;

test("a custom resource owner: its dependents are collected when it goes", async () => {
  const site = await json("/apis/example.com/v1/namespaces/default/websites", { method: "POST", body: JSON.stringify({ apiVersion: "example.com/v1", kind: "Website", metadata: { name: "owner" }, spec: { image: "x" } }) });
  const ownerReferences = [{ apiVersion: "example.com/v1", kind: "Website", name: "owner", uid: site.metadata.uid, controller: true }];
  await json("/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: "owned", ownerReferences } }) });
  expect(await status("/api/v1/namespaces/default/configmaps/owned")).toBe(200);
  await s.api("/apis/example.com/v1/namespaces/default/websites/owner", { method: "DELETE" });
  await until("the owned configmap to be collected", async () => (await status("/api/v1/namespaces/default/configmaps/owned")) === 404);
});

test("a custom resource dependent: collected when its owner goes", async () => {
  const cm = await json("/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: "parent" } }) });
  const ownerReferences = [{ apiVersion: "v1", kind: "ConfigMap", name: "parent", uid: cm.metadata.uid }];
  await json("/apis/example.com/v1/namespaces/default/websites", { method: "POST", body: JSON.stringify({ apiVersion: "example.com/v1", kind: "Website", metadata: { name: "child", ownerReferences }, spec: { image: "x" } }) });
  await s.api("/api/v1/namespaces/default/configmaps/parent", { method: "DELETE" });
  await until("the dependent website to be collected", async () => (await status("/apis/example.com/v1/namespaces/default/websites/child")) === 404);
});

test("deleting a namespace deletes its custom resources", async () => {
  await json("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "sites" } }) });
  await json("/apis/example.com/v1/namespaces/sites/websites", { method: "POST", body: JSON.stringify({ apiVersion: "example.com/v1", kind: "Website", metadata: { name: "a" }, spec: { image: "x" } }) });
  await s.api("/api/v1/namespaces/sites", { method: "DELETE" });
  await until("the namespace to go", async () => (await status("/api/v1/namespaces/sites")) === 404);
  expect(s.store.list("/example.com/websites/sites/").items).toEqual([]);
});

test("RBAC: a ClusterRole aggregated into `view` by label grants reading the custom resource", async () => {
  await json("/apis/rbac.authorization.k8s.io/v1/clusterroles", {
    method: "POST",
    body: JSON.stringify({
      metadata: { name: "websites-view", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
      rules: [{ apiGroups: ["example.com"], resources: ["websites"], verbs: ["get", "list", "watch"] }],
    }),
  });
  await until("view to aggregate the rule", async () => {
    const view = await json("/apis/rbac.authorization.k8s.io/v1/clusterroles/view");
    return (view.rules ?? []).some((r: { resources?: string[] }) => r.resources?.includes("websites"));
  });
  await json("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", {
    method: "POST",
    body: JSON.stringify({ metadata: { name: "viewer" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" }, subjects: [{ kind: "User", name: "viewer" }] }),
  });
  const review = (verb: string) =>
    json("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      method: "POST",
      body: JSON.stringify({ spec: { user: "viewer", resourceAttributes: { group: "example.com", resource: "websites", verb, namespace: "default" } } }),
    });
  await until("the binding to take effect", async () => (await review("list")).status?.allowed === true);
  expect((await review("delete")).status.allowed).toBe(false);
});
