// A pod created without imagePullSecrets gets its ServiceAccount's, through the real API.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Pod } from "../src/apis/index.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const post = (path: string, body: unknown) => server.api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const pod = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "x:1" }], ...spec } });

test("the ServiceAccount's pull secrets go to pods that name none; a pod's own list is kept", async () => {
  expect((await post("/api/v1/namespaces/default/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "puller" }, imagePullSecrets: [{ name: "regcred" }] })).status).toBe(201);
  const a = (await (await post("/api/v1/namespaces/default/pods", pod("a", { serviceAccountName: "puller" }))).json()) as Pod;
  expect(a.spec!.imagePullSecrets).toEqual([{ name: "regcred" }]);
  const b = (await (await post("/api/v1/namespaces/default/pods", pod("b", { serviceAccountName: "puller", imagePullSecrets: [{ name: "own" }] }))).json()) as Pod;
  expect(b.spec!.imagePullSecrets).toEqual([{ name: "own" }]);
  const c = (await (await post("/api/v1/namespaces/default/pods", pod("c"))).json()) as Pod;
  expect(c.spec!.imagePullSecrets).toBeUndefined();
});
