// The merge-patch path of PATCH patches storage.update's private copy of the stored object in
// place (no second copy): what it answers and stores must be what a copying patch gives, and the
// objects the store already holds must stay as they were.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../app.ts";
import { StaticTokens } from "../auth.ts";
import { ensureDefaultNamespaces } from "../bootstrap.ts";
import { Storage } from "../storage.ts";
import { SqliteStore } from "../../store/index.ts";
import { findResource } from "../../apis/registry.ts";

const dir = mkdtempSync(join(tmpdir(), "kubun-patch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MERGE = "application/merge-patch+json";
const cm = "/api/v1/namespaces/default/configmaps";

async function setup() {
  const store = new SqliteStore(join(dir, `${crypto.randomUUID()}.db`));
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  const app = createApp({ storage, now: () => new Date(), auth: new StaticTokens().add("t", { name: "admin", groups: ["system:masters"] }) });
  const call = async (method: string, path: string, body?: unknown, type = "application/json") => {
    const res = await app.request(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { authorization: "Bearer t", "content-type": type } });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { store, storage, call };
}

describe("PATCH with a merge patch", () => {
  test("patches the current object; the version stored before stays as it was", async () => {
    const { store, storage, call } = await setup();
    const created = await call("POST", cm, { metadata: { name: "c", labels: { a: "1", b: "2" } }, data: { x: "1", y: "2" } });
    expect(created.status).toBe(201);
    const before = storage.get(findResource("", "v1", "configmaps")!, "default", "c");
    const beforeText = JSON.stringify(before);
    const patched = await call("PATCH", `${cm}/c`, { metadata: { labels: { a: null, c: "3" } }, data: { y: "22", z: "3" } }, MERGE);
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.labels).toEqual({ b: "2", c: "3" });
    expect(patched.body.data).toEqual({ x: "1", y: "22", z: "3" });
    expect(JSON.stringify(before)).toBe(beforeText);
    expect((await call("GET", `${cm}/c`)).body).toEqual(patched.body);
    await store.close();
  });

  test("a patch naming another resourceVersion is a Conflict and changes nothing; naming the current one succeeds", async () => {
    const { store, call } = await setup();
    const created = await call("POST", cm, { metadata: { name: "c" }, data: { x: "1" } });
    const rv = created.body.metadata.resourceVersion;
    const stale = await call("PATCH", `${cm}/c`, { metadata: { resourceVersion: String(Number(rv) - 1) }, data: { x: "2" } }, MERGE);
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe("Conflict");
    const after = await call("GET", `${cm}/c`);
    expect(after.body.data).toEqual({ x: "1" });
    expect(after.body.metadata.resourceVersion).toBe(rv);
    const ok = await call("PATCH", `${cm}/c`, { metadata: { resourceVersion: rv }, data: { x: "3" } }, MERGE);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ x: "3" });
    await store.close();
  });

  test("a merge patch of the status subresource changes the status only, whatever else it names", async () => {
    const { store, call } = await setup();
    const pods = "/api/v1/namespaces/default/pods";
    const created = await call("POST", pods, { metadata: { name: "p", labels: { app: "a" } }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    expect(created.status).toBe(201);
    // Only status named: the spec and metadata stay as stored, key for key.
    const running = await call("PATCH", `${pods}/p/status`, { status: { phase: "Running", podIP: "10.1.0.5" } }, MERGE);
    expect(running.status).toBe(200);
    expect(running.body.status.phase).toBe("Running");
    expect(running.body.status.podIP).toBe("10.1.0.5");
    expect(JSON.stringify(running.body.spec)).toBe(JSON.stringify(created.body.spec));
    expect(running.body.metadata.labels).toEqual({ app: "a" });
    // spec and labels named beside status: ignored through /status, as the apiserver's status strategy does.
    const mixed = await call("PATCH", `${pods}/p/status`, { metadata: { labels: { app: "b" } }, spec: { containers: [{ name: "c", image: "nginx" }] }, status: { phase: "Succeeded" } }, MERGE);
    expect(mixed.status).toBe(200);
    expect(mixed.body.status.phase).toBe("Succeeded");
    expect(mixed.body.spec.containers[0].image).toBe("busybox");
    expect(JSON.stringify(mixed.body.spec)).toBe(JSON.stringify(created.body.spec));
    expect(mixed.body.metadata.labels).toEqual({ app: "a" });
    expect((await call("GET", `${pods}/p`)).body).toEqual(mixed.body);
    await store.close();
  });
});
