// --event-ttl reaches the one mechanism that deletes Events: the store's leases. No controller
// sweeps them on a clock of its own (it once did, with a fixed hour).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const HOUR = 3600_000;
let t = Date.parse("2026-01-01T00:00:00Z");
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ eventTTLSeconds: 2 * 3600, now: () => new Date(t) });
});
afterAll(() => s.close());

const evPath = "/api/v1/namespaces/default/events";

test("with --event-ttl 2h an Event outlives the one-hour default and expires after two hours", async () => {
  const event = { metadata: { name: "outlives.1" }, involvedObject: { kind: "Pod", namespace: "default", name: "x" }, reason: "Test", message: "m", type: "Normal" };
  expect((await s.api(evPath, { method: "POST", body: JSON.stringify(event), headers: { "content-type": "application/json" } })).status).toBe(201);
  t += 90 * 60_000;
  expect(await s.store.expire()).toBe(0);
  expect((await s.api(`${evPath}/outlives.1`)).status).toBe(200);
  t += 31 * 60_000;
  expect(await s.store.expire()).toBe(1);
  expect((await s.api(`${evPath}/outlives.1`)).status).toBe(404);
});

test("a write starts the Event's lease again", async () => {
  const event = { metadata: { name: "renewed.1" }, involvedObject: { kind: "Pod", namespace: "default", name: "x" }, reason: "Test", message: "m", type: "Normal", count: 1 };
  const headers = { "content-type": "application/json" };
  expect((await s.api(evPath, { method: "POST", body: JSON.stringify(event), headers })).status).toBe(201);
  t += 1.5 * HOUR;
  const patch = { count: 2 };
  expect((await s.api(`${evPath}/renewed.1`, { method: "PATCH", body: JSON.stringify(patch), headers: { "content-type": "application/merge-patch+json" } })).status).toBe(200);
  t += 1.5 * HOUR;
  await s.store.expire();
  expect((await s.api(`${evPath}/renewed.1`)).status).toBe(200);
});
