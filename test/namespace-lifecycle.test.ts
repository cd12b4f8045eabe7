// NamespaceLifecycle as kube-apiserver enforces it, through stock kubectl: the cluster's own
// namespaces can't be deleted (not even by the admin), and a namespace being terminated takes
// no new objects.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { waitFor } from "./helpers/wait.ts";

let s: TestServer;
const SYSTEM = ["default", "kube-system", "kube-public", "kube-node-lease"];

beforeAll(async () => {
  s = await startTestServer({ controllers: {} });
});

afterAll(async () => {
  await s?.close();
});

test("kubectl delete namespace --all leaves the cluster's own namespaces", async () => {
  const one = await s.kubectl(["delete", "namespace", "kube-system"]);
  expect(one.code).not.toBe(0);
  expect(one.stderr).toContain(`Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted`);

  expect((await s.kubectl(["create", "namespace", "team"])).code).toBe(0);
  const all = await s.kubectl(["delete", "namespace", "--all", "--wait=false"]);
  expect(all.code).not.toBe(0);
  for (const ns of SYSTEM) expect(all.stderr).toContain(`namespaces "${ns}" is forbidden: this namespace may not be deleted`);
  expect(all.stdout).toContain(`namespace "team" deleted`);
  const left = (await s.kubectl(["get", "ns", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}"])).stdout;
  for (const ns of SYSTEM) expect(left).toContain(`${ns}=Active`);
});

test("a terminating namespace takes no new objects", async () => {
  expect((await s.kubectl(["create", "namespace", "closing"])).code).toBe(0);
  // A finalizer nobody removes keeps the namespace in Terminating while its content can't go.
  const held = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "held", namespace: "closing", finalizers: ["example.com/hold"] } };
  expect((await s.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(held) })).code).toBe(0);
  expect((await s.kubectl(["delete", "namespace", "closing", "--wait=false"])).code).toBe(0);
  await waitFor("closing to be Terminating", async () => (await s.kubectl(["get", "ns", "closing", "-o", "jsonpath={.status.phase}"])).stdout === "Terminating");
  const refused = await s.kubectl(["create", "configmap", "late", "-n", "closing"]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain("unable to create new content in namespace closing because it is being terminated");
  // Let it go: the finalizer comes off, the namespace controller finishes.
  expect((await s.kubectl(["patch", "configmap", "held", "-n", "closing", "--type=merge", "-p", '{"metadata":{"finalizers":null}}'])).code).toBe(0);
  await waitFor("closing to be gone", async () => (await s.kubectl(["get", "ns", "closing"])).code !== 0);
});
