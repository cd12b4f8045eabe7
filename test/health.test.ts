// /readyz and /livez of a real server on its real SQLite file: readyz fails while another
// process holds the database's write lock and while the server shuts down; livez fails after
// the event loop stalled.
import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const get = async (path: string, token: string | null = null) => {
  const res = await server!.api(path, { token });
  return { status: res.status, text: await res.text() };
};

test("readyz fails while the store cannot take writes, and passes again once it can", async () => {
  server = await startTestServer();
  expect(await get("/readyz")).toEqual({ status: 200, text: "ok" });
  expect((await get("/readyz?verbose")).text).toBe("[+]ping ok\n[+]etcd ok\n[+]poststarthook/kubun-bootstrap ok\n[+]shutdown ok\nreadyz check passed\n");

  // Another process's connection takes SQLite's write lock, as a stuck backup or a second server would.
  const other = new Database(server.dbPath);
  other.exec("BEGIN IMMEDIATE");
  try {
    const ready = await get("/readyz?verbose");
    expect(ready.status).toBe(500);
    expect(ready.text).toContain("[-]etcd failed: reason withheld\n");
    expect(ready.text).toEndWith("readyz check failed\n");
    const one = await get("/readyz/etcd", server.adminToken);
    expect(one.status).toBe(500);
    expect(one.text).toContain("database is locked");
    expect((await get("/readyz/etcd")).status).toBe(401); // the reason is for authenticated users
    expect((await get("/livez")).status).toBe(200); // reads still answer: not a reason to restart
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  expect(await get("/readyz")).toEqual({ status: 200, text: "ok" });
});

test("readyz fails as soon as shutdown begins, while the server still answers", async () => {
  server = await startTestServer({ shutdownDelaySeconds: 2 });
  expect((await get("/readyz")).status).toBe(200);
  const stopping = server.stop();
  const ready = await get("/readyz");
  expect(ready.status).toBe(500);
  expect(ready.text).toContain("[-]shutdown failed: reason withheld\n");
  expect((await get("/livez")).status).toBe(200);
  await stopping;
});

test("livez fails after the event loop stalled past the limit", async () => {
  server = await startTestServer({ maxEventLoopStallMs: 300 });
  expect((await get("/livez")).status).toBe(200);
  Bun.sleepSync(700); // wedges this process, the server in it included
  const live = await get("/livez?verbose");
  expect(live.status).toBe(500);
  expect(live.text).toContain("[-]event-loop failed: reason withheld\n");
  expect((await get("/livez/event-loop", server.adminToken)).text).toStartWith("internal server error: the event loop stalled for ");
});
