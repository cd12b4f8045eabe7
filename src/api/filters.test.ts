// The request filter (filters.ts) on the real API app: its steps in kube-apiserver's order, a
// slot given back when authorization refuses, the long-running cap, and authenticators and
// authorizers that answer with promises as well as at once.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "./app.ts";
import { AuthenticatorChain, StaticTokens, type Authenticator, type UserInfo } from "./auth.ts";
import { AuthorizerChain, type Authorizer } from "./authz.ts";
import { ensureDefaultNamespaces } from "./bootstrap.ts";
import type { LimitOptions } from "./limits.ts";
import { Storage } from "./storage.ts";
import { SqliteStore } from "../store/index.ts";

const tmp = mkdtempSync(join(tmpdir(), "kubun-filters-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const alice: UserInfo = { name: "alice", groups: ["system:authenticated"] };

async function app(auth: Authenticator, authorizer: Authorizer, limits?: LimitOptions) {
  const storage = new Storage(new SqliteStore(join(tmp, `${crypto.randomUUID()}.db`)));
  await ensureDefaultNamespaces(storage);
  const a = createApp({ storage, now: () => new Date(), auth, authorizer, limits });
  return (path: string, token = "t") => a.request(path, { headers: { authorization: `Bearer ${token}` } });
}

/** An authenticator that answers later, as the service-account JWT check does. */
const later = (users: Record<string, UserInfo>): Authenticator => ({ authenticate: async (t) => users[t] });

test.each([
  ["at once", new AuthenticatorChain([new StaticTokens().add("t", alice)]), { authorize: () => ({ allowed: true }) }],
  ["with promises", new AuthenticatorChain([later({}), later({ t: alice })]), new AuthorizerChain([{ authorize: async () => ({ allowed: false, reason: "no" }) }, { authorize: async () => ({ allowed: true }) }])],
] as const)("authenticators and authorizers answering %s: 401 without a known token, 200 with one", async (_, auth, authorizer) => {
  const get = await app(auth, authorizer as Authorizer);
  expect((await get("/api/v1/namespaces/default/configmaps", "nobody")).status).toBe(401);
  expect((await get("/api/v1/namespaces/default/configmaps")).status).toBe(200);
  // An unknown path is still authenticated before it is found missing.
  expect((await get("/api/v1/nothing-here", "nobody")).status).toBe(401);
  expect((await get("/api/v1/nothing-here")).status).toBe(404);
});

test("a refusal gives its in-flight slot back, and the refusal names the request", async () => {
  const auth = new StaticTokens().add("t", alice);
  const get = await app(auth, { authorize: () => ({ allowed: false }) }, { maxInFlight: 1 });
  for (let i = 0; i < 3; i++) {
    const res = await get("/api/v1/namespaces/default/configmaps");
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toContain('cannot list resource "configmaps"');
  }
});

test("a user's watches beyond the long-running cap are refused with 429, and a closed one frees its place", async () => {
  const get = await app(new StaticTokens().add("t", alice), { authorize: () => ({ allowed: true }) }, { longRunningPerUser: 1 });
  const first = await get("/api/v1/namespaces/default/configmaps?watch=1");
  expect(first.status).toBe(200);
  expect((await get("/api/v1/namespaces/default/configmaps?watch=1")).status).toBe(429);
  await first.body!.cancel();
  const third = await get("/api/v1/namespaces/default/configmaps?watch=1");
  expect(third.status).toBe(200);
  await third.body!.cancel();
});

test("a long-running request that is refused authorization gives its place back", async () => {
  const get = await app(new StaticTokens().add("t", alice), { authorize: () => ({ allowed: false }) }, { longRunningPerUser: 1 });
  for (let i = 0; i < 3; i++) expect((await get("/api/v1/namespaces/default/configmaps?watch=1")).status).toBe(403);
});
