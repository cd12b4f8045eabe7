// The SQLite store beyond the contract every backend keeps (store.test.ts): compaction the disk
// refuses, cold resources kept on disk, and group commit.
import { describe, expect, test } from "bun:test";
import { objectJson } from "./json.ts";
import { CompactedError, RevisionConflictError, StorageWriteError } from "./errors.ts";
import { SqliteStore } from "./store.ts";
import { collect, dbPath, obj, tick, wrapAppend } from "./store-testing.ts";

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

    test("once its event left the ring, a cold entry keeps no reference to its object: a read reads the log", async () => {
      const s = new SqliteStore(dbPath(), { ringSize: 1, coldResources: [EVENTS] });
      const written = (await s.create(`${EVENTS}ns/x`, obj("x", { n: "1" }))).object;
      expect(s.get(`${EVENTS}ns/x`)!.object).toBe(written); // recent: the write's own object
      await s.create("/core/configmaps/ns/other", obj("other"));
      const read = s.get(`${EVENTS}ns/x`)!.object;
      expect(read).not.toBe(written); // still held here, but no longer by the store
      expect(read).toEqual(written);
      expect(objectJson(read)).toBe(objectJson(written));
      await s.close();
    });

    test("a cold key held as its revision alone (its event left the ring) reads, lists, updates and deletes as before", async () => {
      const path = dbPath();
      const s = new SqliteStore(path, { ringSize: 1, coldResources: [EVENTS] });
      const a = await s.create(`${EVENTS}ns/a`, obj("a", { n: "1" }));
      const b = await s.create(`${EVENTS}ns/b`, obj("b", { n: "1" }));
      const b2 = await s.update(`${EVENTS}ns/b`, obj("b", { n: "2" }), b.revision); // created earlier: an entry of its own
      await s.create("/core/configmaps/ns/other", obj("other")); // a's and b's events leave the ring
      expect(s.get(`${EVENTS}ns/a`)).toMatchObject({ key: `${EVENTS}ns/a`, revision: a.revision, createRevision: a.revision });
      expect(s.get(`${EVENTS}ns/a`)!.object).toEqual(a.object);
      expect(s.get(`${EVENTS}ns/b`)).toMatchObject({ revision: b2.revision, createRevision: b.revision });
      expect(s.list(EVENTS).items.map((e) => [e.key, e.revision, e.createRevision, e.object.data])).toEqual([
        [`${EVENTS}ns/a`, a.revision, a.revision, { n: "1" }],
        [`${EVENTS}ns/b`, b2.revision, b.revision, { n: "2" }],
      ]);
      await expect(s.update(`${EVENTS}ns/a`, obj("a"), a.revision - 1)).rejects.toBeInstanceOf(RevisionConflictError);
      const a2 = await s.update(`${EVENTS}ns/a`, obj("a", { n: "3" }), a.revision);
      expect(s.get(`${EVENTS}ns/a`)).toMatchObject({ key: `${EVENTS}ns/a`, revision: a2.revision, createRevision: a.revision });
      await s.create("/core/configmaps/ns/other2", obj("other"));
      await s.delete(`${EVENTS}ns/a`);
      expect(s.get(`${EVENTS}ns/a`)).toBeUndefined();
      expect(s.list(EVENTS).items.map((e) => e.key)).toEqual([`${EVENTS}ns/b`]);
      const c = await s.create(`${EVENTS}ns/c`, obj("c", { n: "1" }));
      await s.close();
      const reopened = new SqliteStore(path, { coldResources: [EVENTS] });
      expect(reopened.list(EVENTS).items.map((e) => [e.key, e.revision, e.createRevision, e.object.data])).toEqual([
        [`${EVENTS}ns/b`, b2.revision, b.revision, { n: "2" }],
        [`${EVENTS}ns/c`, c.revision, c.revision, { n: "1" }],
      ]);
      await reopened.close();
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
