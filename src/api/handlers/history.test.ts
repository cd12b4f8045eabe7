import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../app.ts";
import { StaticTokens } from "../auth.ts";
import { ensureDefaultNamespaces } from "../bootstrap.ts";
import { Storage } from "../storage.ts";
import { SqliteStore } from "../../store/index.ts";

const dir = mkdtempSync(join(tmpdir(), "kubun-history-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup() {
  const store = new SqliteStore(join(dir, `${crypto.randomUUID()}.db`));
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  const app = createApp({ storage, now: () => new Date(), auth: new StaticTokens().add("t", { name: "admin", groups: ["system:masters"] }) });
  const call = (method: string, path: string, body?: unknown, type = "application/json") =>
    app.request(path, { method, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), headers: { authorization: "Bearer t", "content-type": type } });
  return { store, call };
}

describe("GET <object>/history", () => {
  test("lists every version the log holds, oldest first, with the field manager that changed each", async () => {
    const { store, call } = await setup();
    const cm = "/api/v1/namespaces/default/configmaps";
    expect((await call("POST", `${cm}?fieldManager=alice`, { metadata: { name: "c" }, data: { a: "1" } })).status).toBe(201);
    expect((await call("PATCH", `${cm}/c?fieldManager=bob`, { data: { a: "2" } }, "application/merge-patch+json")).status).toBe(200);
    expect((await call("DELETE", `${cm}/c`)).status).toBe(200);
    const res = await call("GET", `${cm}/c/history`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.kind).toBe("ObjectHistory");
    expect(body.items.map((i: any) => [i.type, i.object.data.a, i.manager])).toEqual([
      ["ADDED", "1", "alice"],
      ["MODIFIED", "2", "bob"],
      ["DELETED", "2", undefined],
    ]);
    expect(body.items.map((i: any) => Number(i.revision))).toEqual([...body.items.map((i: any) => Number(i.revision))].sort((a, b) => a - b));
    // Compaction drops superseded versions, and the answer says how far back the log goes.
    expect((await call("POST", cm, { metadata: { name: "d" }, data: { a: "1" } })).status).toBe(201);
    expect((await call("PATCH", `${cm}/d`, { data: { a: "2" } }, "application/merge-patch+json")).status).toBe(200);
    await store.settled();
    // Its rows go in steps after compact() returns: the answer below is the history once they have.
    await store.compact(store.revision);
    const after = (await (await call("GET", `${cm}/d/history`)).json()) as any;
    expect(after.items.map((i: any) => i.object.data.a)).toEqual(["2"]);
    expect(Number(after.metadata.compactedRevision)).toBe(store.revision);
    await store.close();
  });

  test("an object never written is NotFound", async () => {
    const { store, call } = await setup();
    const res = await call("GET", "/api/v1/namespaces/default/configmaps/nope/history");
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).reason).toBe("NotFound");
    await store.close();
  });
});
