// CRDs and their objects across a restart: the server serves the stored CRDs before it listens,
// and a watch resumed from a resourceVersion seen before the restart gets exactly the later events.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/cli/server.ts";
import { setCustomResources } from "../src/apis/registry.ts";

const tmp = mkdtempSync(join(tmpdir(), "kubun-crd-restart-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const opts = { dataDir: join(tmp, "data"), port: 0, bind: "127.0.0.1", controllers: false as const, scheduler: false as const };

test("custom resources are served after a restart, and a watch resumes from an old resourceVersion", async () => {
  let server = await startServer(opts);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" }, tls: { ca: server.ca.cert } } as RequestInit);
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "notes.example.com" },
    spec: { group: "example.com", scope: "Namespaced", names: { plural: "notes", kind: "Note" }, versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { text: { type: "string" } } } } }] },
  };
  expect((await api("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", { method: "POST", body: JSON.stringify(crd) })).status).toBe(201);
  let created: Response | undefined;
  for (let i = 0; i < 50; i++) {
    created = await api("/apis/example.com/v1/namespaces/default/notes", { method: "POST", body: JSON.stringify({ apiVersion: "example.com/v1", kind: "Note", metadata: { name: "a" }, text: "one" }) });
    if (created.status !== 404) break;
    await Bun.sleep(20);
  }
  expect(created!.status).toBe(201);
  const rv = ((await created!.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  expect((await api("/apis/example.com/v1/namespaces/default/notes", { method: "POST", body: JSON.stringify({ apiVersion: "example.com/v1", kind: "Note", metadata: { name: "b" }, text: "two" }) })).status).toBe(201);
  await server.stop();
  // A fresh process knows nothing of the CRD: forget what this one served.
  setCustomResources("notes.example.com", []);

  server = await startServer(opts);
  const got = await api("/apis/example.com/v1/namespaces/default/notes/a");
  expect(got.status).toBe(200);
  expect(((await got.json()) as { text: string }).text).toBe("one");
  const watch = await api(`/apis/example.com/v1/namespaces/default/notes?watch=1&resourceVersion=${rv}&timeoutSeconds=1`);
  const events = (await watch.text()).trim().split("\n").map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
  expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED b"]);
  await server.stop();
});
