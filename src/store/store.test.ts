import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import { CompactedError, KeyExistsError, KeyNotFoundError, RevisionConflictError } from "./errors.ts";
import { objectJson } from "./json.ts";
import { PostgresStore } from "./pg-store.ts";
import { SqliteStore, type StoreOptions } from "./store.ts";
import { havePostgres, startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import type { ServerStore, StoreEvent } from "./types.ts";
import { collect, dbPath, obj, tick, until } from "./store-testing.ts";

interface Backend {
  name: string;
  /** Where a new, empty store's data goes: a file path (SQLite) or a database URL (PostgreSQL). */
  data(): Promise<string>;
  /** A store on that data; called again with the same data, it reopens it. */
  at(data: string, opts?: StoreOptions): Promise<ServerStore>;
}

const sqlite: Backend = { name: "SQLite", data: async () => dbPath(), at: async (path, opts) => new SqliteStore(path, opts) };

// One private PostgreSQL for this file (test/helpers/postgres.ts), a database of its own per test.
let pg: TestPostgres | undefined;
let databases = 0;
const postgres: Backend = {
  name: "PostgreSQL",
  data: () => pg!.createDatabase(`store_${databases++}`),
  at: (url, opts = {}) => PostgresStore.open(url, { transformer: opts.transformer, ringSize: opts.ringSize, ringBytes: opts.ringBytes, expiring: opts.expiring, now: opts.now }),
};
beforeAll(async () => {
  if (havePostgres) pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.close();
});

// The contract every backend keeps. PostgreSQL is installed by scripts/prepare.ts --test; a
// machine without it runs the SQLite half and says so.
if (!havePostgres) console.warn("store.test.ts: PostgreSQL is not installed (scripts/prepare.ts --test): its backend is not tested");
describe.each(havePostgres ? [sqlite, postgres] : [sqlite])("store contract on $name", (backend) => {
    test("an object whose event left the ring answers the same JSON, made anew", async () => {
      const s = await backend.at(await backend.data(), { ringSize: 4 });
      const first = await s.create("/core/configmaps/ns/first", obj("first", { k: "v" }));
      const text = objectJson(first.object);
      for (let i = 0; i < 20; i++) await s.create(`/core/configmaps/ns/c${i}`, obj(`c${i}`, { k: "v" }));
      const again = objectJson(s.get("/core/configmaps/ns/first")!.object);
      expect(again).toBe(JSON.stringify(first.object));
      expect(again).toEqual(text);
      await s.close();
    });

    test("memoryStats counts the live keys by resource, the ring's events and its JSON", async () => {
      const s = await backend.at(await backend.data(), { ringSize: 100 });
      const before = s.memoryStats!();
      const a = await s.create("/core/configmaps/ns/a", obj("a", { k: "v" }));
      await s.create("/core/secrets/ns/b", obj("b"));
      await s.update("/core/configmaps/ns/a", obj("a", { k: "w" }), a.revision);
      await s.delete("/core/secrets/ns/b");
      const stats = s.memoryStats!();
      expect(stats.keys["/core/configmaps/"]).toBe((before.keys["/core/configmaps/"] ?? 0) + 1);
      expect(stats.keys["/core/secrets/"] ?? 0).toBe(before.keys["/core/secrets/"] ?? 0);
      expect(stats.ringEvents).toBe(before.ringEvents + 4);
      expect(stats.ringTextBytes).toBeGreaterThan(before.ringTextBytes);
      await s.close();
    });

    test("objects alike share their equal parts; each stays what was written", async () => {
      const s = await backend.at(await backend.data());
      const a = await s.create("/core/configmaps/ns/a", { metadata: { name: "a", labels: { app: "web" } }, data: { k: "v" } });
      const b = await s.create("/core/configmaps/ns/b", { metadata: { name: "b", labels: { app: "web" } }, data: { k: "w" } });
      expect(b.object.metadata.labels).toBe(a.object.metadata.labels);
      expect(s.get("/core/configmaps/ns/b")!.object).toEqual({ metadata: { name: "b", labels: { app: "web" }, resourceVersion: String(b.revision) }, data: { k: "w" } });
      await s.close();
    });

    test("create, get, update and delete advance one global revision", async () => {
      const s = await backend.at(await backend.data());
      const a = await s.create("/core/configmaps/ns/a", obj("a"));
      const b = await s.create("/core/configmaps/ns/b", obj("b"));
      expect(b.revision).toBeGreaterThan(a.revision);
      expect(s.get("/core/configmaps/ns/a")?.object.metadata.resourceVersion).toBe(String(a.revision));
      const a2 = await s.update("/core/configmaps/ns/a", obj("a", { k: "v" }), a.revision);
      expect(a2.revision).toBeGreaterThan(b.revision);
      expect(a2.createRevision).toBe(a.revision);
      const gone = await s.delete("/core/configmaps/ns/a");
      expect(gone.object.metadata.resourceVersion).toBe(String(gone.revision));
      expect(s.get("/core/configmaps/ns/a")).toBeUndefined();
      expect(s.revision).toBe(gone.revision);
      await s.close();
    });

    test("history lists a key's versions still in the log, oldest first, the delete included", async () => {
      const s = await backend.at(await backend.data());
      const a = await s.create("/core/configmaps/ns/h", obj("h", { v: "1" }));
      const b = await s.update("/core/configmaps/ns/h", obj("h", { v: "2" }), a.revision);
      await s.create("/core/configmaps/ns/other", obj("other"));
      const gone = await s.delete("/core/configmaps/ns/h");
      const versions = await s.history!("/core/configmaps/ns/h");
      expect(versions.map((v) => [v.revision, v.type, (v.object as { data?: Record<string, string> }).data?.v])).toEqual([
        [a.revision, "ADDED", "1"],
        [b.revision, "MODIFIED", "2"],
        [gone.revision, "DELETED", "2"],
      ]);
      expect(await s.history!("/core/configmaps/ns/never")).toEqual([]);
      await s.close();
    });

    test("compare-and-swap: a stale revision loses, exactly one concurrent writer wins", async () => {
      const s = await backend.at(await backend.data());
      const a = await s.create("/core/configmaps/ns/a", obj("a"));
      const results = await Promise.allSettled([
        s.update("/core/configmaps/ns/a", obj("a", { w: "1" }), a.revision),
        s.update("/core/configmaps/ns/a", obj("a", { w: "2" }), a.revision),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(RevisionConflictError);
      await expect(s.create("/core/configmaps/ns/a", obj("a"))).rejects.toBeInstanceOf(KeyExistsError);
      await expect(s.update("/core/configmaps/ns/x", obj("x"), 1)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(s.delete("/core/configmaps/ns/a", a.revision)).rejects.toBeInstanceOf(RevisionConflictError);
      await s.close();
    });

    test("a write is invisible to readers until it commits", async () => {
      const s = await backend.at(await backend.data());
      const p = s.create("/core/configmaps/ns/a", obj("a"));
      expect(s.get("/core/configmaps/ns/a")).toBeUndefined();
      await p;
      expect(s.get("/core/configmaps/ns/a")).toBeDefined();
      await s.close();
    });

    test("settled() resolves once queued writes are visible to readers", async () => {
      const s = await backend.at(await backend.data());
      const a = await s.create("/core/configmaps/ns/a", obj("a"));
      void s.update("/core/configmaps/ns/a", obj("a", { v: "2" }), a.revision);
      // A writer that read the committed revision loses the CAS while the newer write is in flight ...
      await expect(s.update("/core/configmaps/ns/a", obj("a", { v: "3" }), a.revision)).rejects.toBeInstanceOf(RevisionConflictError);
      await s.settled();
      // ... and, once it has settled, reads the newer revision and wins.
      const current = s.get("/core/configmaps/ns/a")!;
      expect(current.object.data).toEqual({ v: "2" });
      expect((await s.update("/core/configmaps/ns/a", obj("a", { v: "3" }), current.revision)).object.data).toEqual({ v: "3" });
      await s.close();
    });

    test("list is sorted by key, scoped by prefix, and pages with startAfter", async () => {
      const s = await backend.at(await backend.data());
      await Promise.all(["c", "a", "b"].map((n) => s.create(`/core/configmaps/ns1/${n}`, obj(n))));
      await s.create("/core/configmaps/ns2/z", obj("z"));
      await s.create("/core/secrets/ns1/s", obj("s"));
      expect(s.list("/core/configmaps/ns1/").items.map((e) => e.object.metadata.name)).toEqual(["a", "b", "c"]);
      expect(s.list("/core/configmaps/").items).toHaveLength(4);
      expect(s.list("/core/configmaps/ns1/", { startAfter: "/core/configmaps/ns1/a" }).items.map((e) => e.object.metadata.name)).toEqual(["b", "c"]);
      expect(s.list("/apps/deployments/").items).toEqual([]);
      await s.close();
    });

    test("reopen keeps every object and the revision counter", async () => {
      const path = await backend.data();
      const s = await backend.at(path);
      await s.create("/core/configmaps/ns/a", obj("a"));
      const b = await s.create("/core/configmaps/ns/b", obj("b"));
      await s.delete("/core/configmaps/ns/a");
      const rev = s.revision;
      await s.close();
      const s2 = await backend.at(path);
      expect(s2.revision).toBe(rev);
      expect(s2.get("/core/configmaps/ns/b")?.revision).toBe(b.revision);
      expect(s2.get("/core/configmaps/ns/a")).toBeUndefined();
      const again = await s2.create("/core/configmaps/ns/a", obj("a"));
      expect(again.revision).toBe(rev + 1);
      await s2.close();
    });

    test("watch delivers every event after a revision in order, live and from history", async () => {
      const path = await backend.data();
      const s = await backend.at(path);
      const a = await s.create("/core/configmaps/ns/a", obj("a"));
      await s.update("/core/configmaps/ns/a", obj("a", { x: "1" }), a.revision);
      await s.create("/core/secrets/ns/other", obj("other"));
      const w = collect();
      const h = s.watch("/core/configmaps/", a.revision - 1, w.listener);
      await s.delete("/core/configmaps/ns/a");
      await tick();
      expect(w.events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
      expect(w.events[2]!.prev?.data).toEqual({ x: "1" });
      h.close();
      await s.close();

      // After a restart the ring is empty: history comes from the log.
      const s2 = await backend.at(path);
      const w2 = collect();
      s2.watch("/core/configmaps/", a.revision, w2.listener);
      await until(() => w2.events.length >= 2);
      await tick();
      expect(w2.events.map((e) => e.type)).toEqual(["MODIFIED", "DELETED"]);
      await s2.close();
    });

    test("no gaps and no duplicates across the list→watch boundary under concurrent writes", async () => {
      const s = await backend.at(await backend.data());
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) writes.push(s.create(`/core/configmaps/ns/c${i}`, obj(`c${i}`)));
      await Promise.all(writes.slice(0, 10));
      const listed = s.list("/core/configmaps/");
      const w = collect();
      s.watch("/core/configmaps/", listed.revision, w.listener);
      for (let i = 50; i < 100; i++) writes.push(s.create(`/core/configmaps/ns/c${i}`, obj(`c${i}`)));
      await Promise.all(writes);
      await tick();
      const seen = new Set([...listed.items.map((e) => e.key), ...w.events.map((e) => e.key)]);
      expect(listed.items.length + w.events.length).toBe(100);
      expect(seen.size).toBe(100);
      const revs = w.events.map((e) => e.revision);
      expect(revs).toEqual([...revs].sort((x, y) => x - y));
      await s.close();
    });

    test("compaction drops history but keeps current state; old watches get CompactedError", async () => {
      const path = await backend.data();
      const s = await backend.at(path);
      let e = await s.create("/core/configmaps/ns/a", obj("a"));
      for (let i = 0; i < 5; i++) e = await s.update("/core/configmaps/ns/a", obj("a", { i: String(i) }), e.revision);
      await s.create("/core/configmaps/ns/b", obj("b"));
      await s.delete("/core/configmaps/ns/b");
      await s.compact(s.revision);
      expect(() => s.watch("/core/configmaps/", 1, () => {})).toThrow(CompactedError);
      await s.close();
      const s2 = await backend.at(path);
      expect(s2.get("/core/configmaps/ns/a")?.object.data).toEqual({ i: "4" });
      expect(s2.get("/core/configmaps/ns/b")).toBeUndefined();
      expect(s2.compactedRevision).toBe(s2.revision);
      expect(() => s2.watch("/core/configmaps/", 2, () => {})).toThrow(CompactedError);
      const updated = await s2.update("/core/configmaps/ns/a", obj("a", { i: "5" }), e.revision);
      expect(updated.revision).toBe(s2.revision);
      await s2.create("/core/configmaps/ns/b", obj("b"));
      await s2.close();
    });

    test("expiring resources: a key goes its TTL after its last write, watchers see it deleted", async () => {
      const path = await backend.data();
      const EVENTS = "/core/events/";
      const s = await backend.at(path, { expiring: { [EVENTS]: 1000 } });
      const seen = collect();
      const w = s.watch(EVENTS, 0, seen.listener);
      await s.create("/core/configmaps/ns/keep", obj("keep"));
      const a = await s.create(`${EVENTS}ns/a`, obj("a"));
      await s.create(`${EVENTS}ns/b`, obj("b"));
      const bWritten = Date.now();
      expect(await s.expire(bWritten + 500)).toBe(0);
      await Bun.sleep(50);
      await s.update(`${EVENTS}ns/a`, obj("a", { n: "2" }), a.revision); // its lease starts again
      expect(await s.expire(bWritten + 1000)).toBe(1);
      expect(s.get(`${EVENTS}ns/b`)).toBeUndefined();
      expect(s.get(`${EVENTS}ns/a`)!.object.data).toEqual({ n: "2" });
      expect(s.get("/core/configmaps/ns/keep")).toBeDefined();
      await tick();
      expect(seen.events.map((e) => [e.type, e.object.metadata.name])).toEqual([["ADDED", "a"], ["ADDED", "b"], ["MODIFIED", "a"], ["DELETED", "b"]]);
      w.close();
      await s.close();

      // Reopened, the keys on disk count as written at the start.
      const before = Date.now();
      const reopened = await backend.at(path, { expiring: { [EVENTS]: 1000 } });
      expect(await reopened.expire(before + 900)).toBe(0);
      expect(await reopened.expire(Date.now() + 1100)).toBe(1);
      expect(reopened.list(EVENTS).items).toEqual([]);
      expect(reopened.get("/core/configmaps/ns/keep")).toBeDefined();
      await reopened.close();
    });

});
