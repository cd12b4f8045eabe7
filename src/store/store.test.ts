import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../apis/meta.ts";
import { CompactedError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StorageWriteError } from "./errors.ts";
import { objectJson } from "./json.ts";
import { PostgresStore } from "./pg-store.ts";
import { SqliteStore, type StoreOptions } from "./store.ts";
import { havePostgres, startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import type { ServerStore, StoreEvent } from "./types.ts";

const dirs: string[] = [];
function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "kubun-store-"));
  dirs.push(dir);
  return join(dir, "state.db");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const obj = (name: string, data: Record<string, string> = {}): KubeObject => ({ metadata: { name }, data });
const collect = () => {
  const events: StoreEvent[] = [];
  return { events, listener: (evs: readonly StoreEvent[]) => events.push(...evs) };
};
const tick = () => new Promise((r) => setTimeout(r, 5));
/** Waits until `done()` holds (a replay from PostgreSQL's log takes round trips); gives up after 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await tick();
}

interface Backend {
  name: string;
  /** Where a new, empty store's data goes: a file path (SQLite) or a database URL (PostgreSQL). */
  data(): Promise<string>;
  /** A store on that data; called again with the same data, it reopens it. */
  at(data: string, opts?: StoreOptions): Promise<ServerStore>;
}

const sqlite: Backend = { name: "SQLite", data: async () => dbPath(), at: async (path, opts) => new SqliteStore(path, opts) };

type Append = (rows: unknown[]) => void;
/** Replaces how a store appends a group of rows to its log by `wrap(original)`; returns the undo. */
function wrapAppend(s: SqliteStore, wrap: (original: Append) => Append): () => void {
  const log = (s as unknown as { log: { append: Append } }).log;
  const original = log.append;
  log.append = wrap(original.bind(log));
  return () => (log.append = original);
}

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

describe("SqliteStore", () => {
  test("a compaction the disk refuses is a StorageWriteError and keeps the history", async () => {
    const s = new SqliteStore(dbPath());
    let e = await s.create("/core/configmaps/ns/a", obj("a"));
    e = await s.update("/core/configmaps/ns/a", obj("a", { i: "1" }), e.revision);
    // What SQLite throws on a full or read-only disk (the server's compaction timer must survive it).
    (s as unknown as { log: { markCompacted(r: number): void } }).log.markCompacted = () => {
      throw new Error("database or disk is full");
    };
    await expect(s.compact(s.revision)).rejects.toBeInstanceOf(StorageWriteError);
    expect(s.compactedRevision).toBe(0);
    // The history is still there: a watch from the first revision is allowed (no CompactedError).
    const seen = collect();
    const w = s.watch("/core/configmaps/", 0, seen.listener);
    await tick();
    expect(seen.events.map((ev) => ev.revision)).toEqual([e.revision - 1, e.revision]);
    w.close();
    await s.close();
  });

  test("writeFailure and readFailure say why the store cannot write or read (what /readyz and /livez report)", async () => {
    const path = dbPath();
    const s = new SqliteStore(path);
    expect(s.writeFailure()).toBeUndefined();
    expect(s.readFailure()).toBeUndefined();
    // Another process holding the write lock.
    const { Database } = await import("bun:sqlite");
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    expect(s.writeFailure()).toBe("database is locked");
    expect(s.readFailure()).toBeUndefined(); // WAL readers go on
    other.exec("ROLLBACK");
    other.close();
    expect(s.writeFailure()).toBeUndefined();
    // A failed commit is reported until a commit succeeds.
    const undo = wrapAppend(s, () => () => {
      throw new Error("database or disk is full");
    });
    await expect(s.create("/core/configmaps/ns/a", obj("a"))).rejects.toBeInstanceOf(StorageWriteError);
    expect(s.writeFailure()).toContain("database or disk is full");
    undo();
    await s.create("/core/configmaps/ns/b", obj("b"));
    expect(s.writeFailure()).toBeUndefined();
    await s.close();
    expect(s.writeFailure()).toBe("the store is closed");
    expect(s.readFailure()).toBe("the store is closed");
  });

  test("a compaction step the disk refuses fails that compaction, not the ones after it", async () => {
    const s = new SqliteStore(dbPath());
    let e = await s.create("/core/configmaps/ns/a", obj("a"));
    for (let i = 0; i < 3; i++) e = await s.update("/core/configmaps/ns/a", obj("a", { i: String(i) }), e.revision);
    const log = (s as unknown as { log: { compactStep(c: number, r: number, l: number): number | undefined; rowsAfter(p: string, r: number, l: number): unknown[] } }).log;
    const step = log.compactStep;
    log.compactStep = () => {
      throw new Error("database or disk is full");
    };
    // The second asked for while the first still runs: it waits for it, then runs (and fails) itself.
    const first = s.compact(s.revision - 2);
    const second = s.compact(s.revision - 1);
    const settled = await Promise.allSettled([first, second]);
    expect(settled.map((r) => r.status === "rejected" && r.reason instanceof StorageWriteError)).toEqual([true, true]);
    expect(log.rowsAfter("/core/configmaps/", 0, 100)).toHaveLength(4);
    log.compactStep = step;
    await s.compact(s.revision);
    expect(s.compactedRevision).toBe(s.revision);
    expect(log.rowsAfter("/core/configmaps/", 0, 100)).toHaveLength(1);
    await s.close();
  });

  test("compaction drops the history in steps, with the event loop running between them", async () => {
    const s = new SqliteStore(dbPath());
    const keys = Array.from({ length: 3000 }, (_, i) => `/core/configmaps/ns/c${i}`);
    const created = await Promise.all(keys.map((k, i) => s.create(k, obj(`c${i}`))));
    await Promise.all(keys.map((k, i) => s.update(k, obj(`c${i}`, { v: "2" }), created[i]!.revision)));
    const log = (s as unknown as { log: { rowsAfter(prefix: string, rev: number, limit: number): unknown[] } }).log;
    expect(log.rowsAfter("/core/configmaps/", 0, 100_000)).toHaveLength(6000);

    let done = false;
    let ranMeanwhile = false;
    const compaction = s.compact(s.revision).then(() => (done = true));
    // Refused at once, before the rows are gone.
    expect(() => s.watch("/core/configmaps/", 1, () => {})).toThrow(CompactedError);
    setImmediate(() => (ranMeanwhile = !done));
    await compaction;
    expect(ranMeanwhile).toBe(true);
    // Only each key's latest row is left, and it is the current state.
    expect(log.rowsAfter("/core/configmaps/", 0, 100_000)).toHaveLength(3000);
    expect(s.get(keys[2999]!)!.object.data).toEqual({ v: "2" });
    await s.close();
  });

  test("expiring many keys at once deletes every one, a commit per group", async () => {
    const EVENTS = "/core/events/";
    const s = new SqliteStore(dbPath(), { expiring: { [EVENTS]: 1000 } });
    await Promise.all(Array.from({ length: 1200 }, (_, i) => s.create(`${EVENTS}ns/e${i}`, obj(`e${i}`))));
    const batches: number[] = [];
    wrapAppend(s, (append) => (rows) => {
      batches.push(rows.length);
      append(rows);
    });
    expect(await s.expire(Date.now() + 1000)).toBe(1200);
    expect(s.list(EVENTS).items).toEqual([]);
    expect(batches).toEqual([500, 500, 200]);
    await s.close();
  });

  describe("cold resources", () => {
    const EVENTS = "/core/events/";

    test("read, written, listed, watched, compacted and reopened like any other", async () => {
      const path = dbPath();
      const s = new SqliteStore(path, { coldResources: [EVENTS] });
      const seen = collect();
      const w = s.watch(EVENTS, 0, seen.listener);
      const a = await s.create(`${EVENTS}ns/a`, obj("a", { n: "1" }));
      await s.create(`${EVENTS}ns/b`, obj("b", { n: "1" }));
      const a2 = await s.update(`${EVENTS}ns/a`, obj("a", { n: "2" }), a.revision);
      expect(s.get(`${EVENTS}ns/a`)).toMatchObject({ revision: a2.revision, createRevision: a.revision });
      expect(s.get(`${EVENTS}ns/a`)!.object).toEqual(a2.object);
      expect(objectJson(s.get(`${EVENTS}ns/a`)!.object)).toBe(JSON.stringify(a2.object));
      await expect(s.update(`${EVENTS}ns/a`, obj("a"), a.revision)).rejects.toBeInstanceOf(RevisionConflictError);
      await s.delete(`${EVENTS}ns/b`);
      expect(s.list(EVENTS).items.map((e) => e.object.data)).toEqual([{ n: "2" }]);
      await tick();
      expect(seen.events.map((e) => [e.type, e.object.metadata.name, (e.prev?.data as { n?: string } | undefined)?.n])).toEqual([
        ["ADDED", "a", undefined],
        ["ADDED", "b", undefined],
        ["MODIFIED", "a", "1"],
        ["DELETED", "b", "1"],
      ]);
      w.close();
      await s.compact(s.revision);
      expect(s.get(`${EVENTS}ns/a`)!.object.data).toEqual({ n: "2" });
      await s.close();

      const reopened = new SqliteStore(path, { coldResources: [EVENTS] });
      expect(reopened.get(`${EVENTS}ns/a`)!.object).toEqual(a2.object);
      expect(reopened.get(`${EVENTS}ns/b`)).toBeUndefined();
      await reopened.create(`${EVENTS}ns/b`, obj("b", { n: "3" }));
      expect(reopened.list(EVENTS).items.map((e) => e.object.metadata.name)).toEqual(["a", "b"]);
      await reopened.close();
    });

    test("the store does not keep a cold resource's objects once no one holds them", async () => {
      const s = new SqliteStore(dbPath(), { ringSize: 1, coldResources: [EVENTS] });
      const refs = async (prefix: string) => {
        const written = new WeakRef((await s.create(`${prefix}ns/x`, obj("x", { big: "y".repeat(1000) }))).object);
        const read = new WeakRef(s.get(`${prefix}ns/x`)!.object);
        // Push the write's event out of the ring, the one other holder.
        await s.create(`/core/configmaps/ns/other-${prefix.length}`, obj("other"));
        return [written, read];
      };
      const cold = await refs(EVENTS);
      const hot = await refs("/core/secrets/");
      // JSC scans stacks conservatively: a stale copy of a pointer can keep an object one more
      // cycle, so collect until they are gone (a kept reference would keep them through every cycle).
      for (let i = 0; i < 20 && cold.some((r) => r.deref() !== undefined); i++) {
        await tick();
        Bun.gc(true);
      }
      expect(cold.map((r) => r.deref())).toEqual([undefined, undefined]);
      expect(hot.every((r) => r.deref() !== undefined)).toBe(true);
      expect(s.get(`${EVENTS}ns/x`)!.object.data).toEqual({ big: "y".repeat(1000) });
      await s.close();
    });
  });
});
describe("SqliteStore group commit", () => {
  test("a delete and a create of one key in one group both commit, the create after the delete", async () => {
    const path = dbPath();
    const s = new SqliteStore(path);
    const first = await s.create("/core/configmaps/ns/a", obj("a", { v: "1" }));
    // Neither awaited: the create is checked against the delete still queued, and follows its tombstone.
    const deleted = s.delete("/core/configmaps/ns/a", first.revision);
    const again = s.create("/core/configmaps/ns/a", obj("a", { v: "2" }));
    const [d, c] = await Promise.all([deleted, again]);
    expect(c.revision).toBeGreaterThan(d.revision);
    expect(s.get("/core/configmaps/ns/a")!.object.data).toEqual({ v: "2" });
    await s.close();
    const reopened = new SqliteStore(path);
    expect(reopened.get("/core/configmaps/ns/a")!.object.data).toEqual({ v: "2" });
    expect(reopened.history("/core/configmaps/ns/a").map((h) => h.type)).toEqual(["ADDED", "DELETED", "ADDED"]);
    await reopened.close();
  });

  test("a group the disk refuses takes every write of it along; nothing of them is applied or written", async () => {
    const path = dbPath();
    const s = new SqliteStore(path);
    await s.create("/core/configmaps/ns/seed", obj("seed"));
    // A row another process slipped in makes the create of "a" break the log's CAS index on disk.
    const { Database } = await import("bun:sqlite");
    const other = new Database(path);
    other.exec("PRAGMA busy_timeout = 5000");
    other.run("INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (1000, '/core/configmaps/ns/a', 1, 0, 1000, 0, '{}')");
    other.close();
    const events = collect();
    s.watch("/core/configmaps/", s.revision, events.listener);
    // In the same group: the create, and an update checked against it.
    const created = s.create("/core/configmaps/ns/a", obj("a"));
    const updated = s.update("/core/configmaps/ns/a", obj("a", { v: "2" }), s.revision + 1);
    const results = await Promise.allSettled([created, updated]);
    expect(results.map((r) => r.status === "rejected" && r.reason instanceof StorageWriteError)).toEqual([true, true]);
    expect(s.get("/core/configmaps/ns/a")).toBeUndefined();
    expect(s.writeFailure()).toContain("UNIQUE");
    // The store goes on; the failed writes are nowhere, in memory, in watches or on disk.
    await s.create("/core/configmaps/ns/b", obj("b"));
    expect(s.writeFailure()).toBeUndefined();
    await tick();
    expect(events.events.map((e) => e.key)).toEqual(["/core/configmaps/ns/b"]);
    await s.close();
    const check = new Database(path);
    const rows = check.query("SELECT id, prev_revision FROM kv WHERE name = '/core/configmaps/ns/a'").all();
    check.close();
    expect(rows).toEqual([{ id: 1000, prev_revision: 0 }]);
  });
});
