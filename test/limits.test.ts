// Max in-flight requests and per-user rate limits (src/api/limits.ts), on a bare Hono app with
// a controllable clock, and on the real API app so a throttled user can't starve node heartbeats.
import { afterAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/api/app.ts";
import { StaticTokens, type UserInfo } from "../src/api/auth.ts";
import { isLongRunning, limits, TokenBuckets, type LimitOptions } from "../src/api/limits.ts";
import { Storage } from "../src/api/storage.ts";
import { SqliteStore } from "../src/store/index.ts";

const USERS: Record<string, UserInfo> = {
  alice: { name: "alice", groups: ["system:authenticated"] },
  bob: { name: "bob", groups: ["system:authenticated"] },
  node1: { name: "system:node:n1", groups: ["system:nodes", "system:authenticated"] },
  admin: { name: "admin", groups: ["system:masters", "system:authenticated"] },
};

/** A Hono app whose handlers wait on `release()`, with the user named by the x-user header. */
function gatedApp(opts: LimitOptions) {
  let open!: () => void;
  let gate = new Promise<void>((r) => (open = r));
  const app = new Hono();
  app.use("*", async (c, next) => {
    c.set("user" as never, USERS[c.req.header("x-user") ?? "alice"] as never);
    return next();
  });
  app.use("*", limits(opts));
  app.all("*", async (c) => {
    if (c.req.query("wait")) await gate;
    return c.text("ok");
  });
  return {
    request: (path: string, user = "alice") => app.request(path, { headers: { "x-user": user } }),
    release() {
      open();
      gate = new Promise<void>((r) => (open = r));
    },
  };
}

async function expectTooMany(res: Response, retryAfter?: number) {
  expect(res.status).toBe(429);
  const after = Number(res.headers.get("retry-after"));
  expect(after).toBeGreaterThanOrEqual(1);
  if (retryAfter !== undefined) expect(after).toBe(retryAfter);
  const status = (await res.json()) as { kind: string; reason: string; code: number; details: { retryAfterSeconds: number } };
  expect(status).toMatchObject({ kind: "Status", reason: "TooManyRequests", code: 429 });
  expect(status.details.retryAfterSeconds).toBe(after);
}

describe("isLongRunning", () => {
  test.each([
    ["/api/v1/pods", "watch=true", true],
    ["/api/v1/namespaces/default/pods", "watch=1", true],
    ["/api/v1/watch/namespaces/default/pods", "", true],
    ["/apis/apps/v1/watch/deployments", "", true],
    ["/api/v1/namespaces/default/pods/web/log", "follow=true", true],
    ["/api/v1/namespaces/default/pods/web/exec", "command=sh", true],
    ["/api/v1/namespaces/default/pods/web/log", "", false],
    ["/api/v1/namespaces/default/pods", "watch=false", false],
    ["/api/v1/namespaces/default/configmaps/exec", "", false],
    ["/api/v1/namespaces/watch/pods", "", false],
  ])("%s?%s → %p", (path, query, want) => {
    expect(isLongRunning(path, new URLSearchParams(query))).toBe(want);
  });
});

describe("TokenBuckets", () => {
  test("a burst, then one token per 1/qps seconds, per key", () => {
    let now = 0;
    const b = new TokenBuckets({ qps: 2, burst: 3 }, () => now);
    expect([b.take("a"), b.take("a"), b.take("a")]).toEqual([0, 0, 0]);
    expect(b.take("a")).toBe(1);
    expect(b.take("b")).toBe(0); // another key has its own bucket
    now += 500;
    expect(b.take("a")).toBe(0);
    expect(b.take("a")).toBeGreaterThan(0);
    now += 60_000; // refills only up to the burst
    expect([b.take("a"), b.take("a"), b.take("a"), b.take("a")]).toEqual([0, 0, 0, 1]);
  });

  test("Retry-After covers the wait for a slow budget", () => {
    const b = new TokenBuckets({ qps: 0.1, burst: 1 }, () => 0);
    b.take("a");
    expect(b.take("a")).toBe(10);
  });
});

describe("max in-flight", () => {
  test("short requests beyond the limit get 429; watches and log follows don't count", async () => {
    const app = gatedApp({ maxInFlight: 3, user: undefined });
    const held = [1, 2, 3].map(() => app.request("/api/v1/namespaces/default/configmaps?wait=1"));
    await Bun.sleep(0);
    await expectTooMany(await app.request("/api/v1/namespaces/default/configmaps"), 1);
    // Long-running requests pass even with every slot taken, and don't take one.
    const watch = app.request("/api/v1/pods?watch=true&wait=1");
    const follow = app.request("/api/v1/namespaces/default/pods/p/log?follow=true&wait=1");
    expect((await app.request("/api/v1/pods?watch=1")).status).toBe(200);
    expect((await app.request("/healthz")).status).toBe(200);
    app.release();
    for (const r of await Promise.all([...held, watch, follow])) expect(r.status).toBe(200);
    // Slots are given back when requests finish.
    const again = [1, 2, 3].map(() => app.request("/api/v1/namespaces/default/configmaps?wait=1"));
    await Bun.sleep(0);
    await expectTooMany(await app.request("/api/v1/namespaces/default/configmaps"));
    app.release();
    for (const r of await Promise.all(again)) expect(r.status).toBe(200);
  });

  test("a handler that throws gives its slot back", async () => {
    const app = new Hono();
    app.use("*", limits({ maxInFlight: 1 }));
    app.get("/boom", () => {
      throw new Error("boom");
    });
    app.get("/ok", (c) => c.text("ok"));
    app.onError((_e, c) => c.text("err", 500));
    expect((await app.request("/boom")).status).toBe(500);
    expect((await app.request("/ok")).status).toBe(200);
  });
});

describe("per-user rate limit", () => {
  test("a noisy user is throttled alone; nodes have their own budget; system:masters is exempt", async () => {
    let now = 0;
    const app = gatedApp({ user: { qps: 1, burst: 5 }, node: { qps: 10, burst: 20 }, now: () => now });
    for (let i = 0; i < 5; i++) expect((await app.request("/api/v1/pods", "alice")).status).toBe(200);
    await expectTooMany(await app.request("/api/v1/pods", "alice"), 1);
    // Watches still cost a token: a client can't reconnect-loop around the limit.
    await expectTooMany(await app.request("/api/v1/pods?watch=1", "alice"));
    expect((await app.request("/api/v1/pods", "bob")).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await app.request("/api/v1/nodes/n1", "node1")).status).toBe(200);
    await expectTooMany(await app.request("/api/v1/nodes/n1", "node1"));
    for (let i = 0; i < 50; i++) expect((await app.request("/api/v1/pods", "admin")).status).toBe(200);
    now += 1000;
    expect((await app.request("/api/v1/pods", "alice")).status).toBe(200);
    await expectTooMany(await app.request("/api/v1/pods", "alice"));
  });
});

describe("long-running requests per user", () => {
  test("a user past the cap gets 429 until one of its watches ends; nodes have their own cap; system:masters none", async () => {
    const app = new Hono();
    app.use("*", async (c, next) => {
      c.set("user" as never, USERS[c.req.header("x-user") ?? "alice"] as never);
      return next();
    });
    app.use("*", limits({ longRunningPerUser: 2, longRunningPerNode: 3 }));
    // A watch body that stays open until the client cancels it.
    app.all("*", () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode("\n")) })));
    const watch = (user: string) => app.request("/api/v1/pods?watch=1", { headers: { "x-user": user } });

    const alice = [await watch("alice"), await watch("alice")];
    expect(alice.map((r) => r.status)).toEqual([200, 200]);
    const third = await watch("alice");
    expect(third.status).toBe(429);
    expect(((await third.json()) as { message: string }).message).toBe('Too many long-running requests (watches, log follows) open for user "alice": at most 2');
    expect((await watch("bob")).status).toBe(200); // another user's cap is their own
    expect((await Promise.all([watch("node1"), watch("node1"), watch("node1")])).map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await watch("node1")).status).toBe(429);
    expect((await Promise.all(Array.from({ length: 10 }, () => watch("admin")))).every((r) => r.status === 200)).toBe(true);

    await alice[0]!.body!.cancel(); // the client goes away: its slot is free again
    expect((await watch("alice")).status).toBe(200);
    expect((await app.request("/api/v1/pods", { headers: { "x-user": "alice" } })).status).toBe(200); // short requests don't count
  });
});

describe("on the API server", () => {
  const tmp = mkdtempSync(join(tmpdir(), "kubun-limits-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("node heartbeats get through while a user is throttled", async () => {
    const store = new SqliteStore(join(tmp, "state.db"));
    const storage = new Storage(store);
    const auth = new StaticTokens().add("noisy", USERS.alice!).add("node", USERS.node1!).add("admin", USERS.admin!);
    const app = createApp({ storage, now: () => new Date(), auth, limits: { user: { qps: 0.001, burst: 10 }, node: { qps: 0.001, burst: 100 } } });
    const call = (token: string, path: string, init: RequestInit & { contentType?: string } = {}) =>
      app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": init.contentType ?? "application/json" } });
    const ns = await call("admin", "/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "kube-node-lease" } }) });
    expect(ns.status).toBe(201);
    const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "n1" }, spec: { holderIdentity: "n1", leaseDurationSeconds: 40 } };
    const leases = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
    expect((await call("node", leases, { method: "POST", body: JSON.stringify(lease) })).status).toBe(201);

    const noisy = await Promise.all(Array.from({ length: 50 }, () => call("noisy", "/api/v1/namespaces/default/configmaps")));
    const codes = noisy.map((r) => r.status);
    expect(codes.filter((c) => c === 200).length).toBe(10);
    expect(codes.filter((c) => c === 429).length).toBe(40);
    await expectTooMany(noisy.find((r) => r.status === 429)!);

    for (let i = 0; i < 20; i++) {
      const renew = await call("node", `${leases}/n1`, {
        method: "PATCH",
        body: JSON.stringify({ spec: { renewTime: `2026-01-01T00:00:${String(i).padStart(2, "0")}.000000Z` } }),
        contentType: "application/merge-patch+json",
      });
      expect(renew.status).toBe(200);
    }
    await store.close();
  });
});
