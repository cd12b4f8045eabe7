// Several stores on one PostgreSQL datastore, as several `kubun server`s share it: what the
// contract suite (store.test.ts) cannot show with one store. A real PostgreSQL per file
// (test/helpers/postgres.ts), a database of its own per test.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import type { KubeObject } from "../apis/meta.ts";
import { havePostgres, startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { CompactedError, KeyExistsError, RevisionConflictError, StorageUnavailableError } from "./errors.ts";
import { recentEventLines } from "./event-lines.ts";
import { objectJson } from "./json.ts";
import { PostgresStore } from "./pg-store.ts";
import { SCHEMA_VERSION } from "./pg-schema.ts";
import type { StoreEvent } from "./types.ts";

const obj = (name: string, data: Record<string, string> = {}): KubeObject => ({ metadata: { name }, data });
const collect = () => {
  const events: StoreEvent[] = [];
  return { events, listener: (evs: readonly StoreEvent[]) => events.push(...evs) };
};
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await Bun.sleep(10);
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

let pg: TestPostgres;
let databases = 0;
beforeAll(async () => {
  if (havePostgres) pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.close();
});

/** Two stores (two servers' worth) on one fresh database. */
async function pair(opts: { pollIntervalMs?: number } = {}): Promise<[PostgresStore, PostgresStore, string]> {
  const url = await pg.createDatabase(`pair_${databases++}`);
  const a = await PostgresStore.open(url, opts);
  const b = await PostgresStore.open(url, opts);
  return [a, b, url];
}

describe.skipIf(!havePostgres)("PostgresStore: several servers on one datastore", () => {
  test("a recent write's watch line is its object on the server that wrote it and on the other (recentEventLines)", async () => {
    const [a, b] = await pair();
    const created = await a.create("/core/configmaps/ns/x", obj("x", { k: "v" }));
    await until(() => b.get("/core/configmaps/ns/x") !== undefined, "b to apply a's write");
    for (const s of [a, b]) {
      const object = s.get("/core/configmaps/ns/x")!.object;
      const event = recentEventLines(s)!(`{"type":"ADDED","object":${objectJson(object)}}`);
      expect(event).toEqual({ type: "ADDED", object });
      expect(event!.object).toBe(object);
      expect(event).toEqual(JSON.parse(`{"type":"ADDED","object":${objectJson(created.object)}}`));
    }
    await a.close();
    await b.close();
  });

  test("a write on one is seen by a watch on the other; preconditions are decided by the database", async () => {
    // A poll far longer than the test: only NOTIFY can wake B.
    const [a, b] = await pair({ pollIntervalMs: 60_000 });
    const seen = collect();
    const w = b.watch("/core/configmaps/", b.revision, seen.listener);
    const created = await a.create("/core/configmaps/ns/x", obj("x", { v: "1" }));
    await until(() => seen.events.length === 1, "B's watch to see A's create");
    expect(seen.events[0]).toMatchObject({ type: "ADDED", key: "/core/configmaps/ns/x", revision: created.revision });
    expect(b.get("/core/configmaps/ns/x")?.object.data).toEqual({ v: "1" });

    // A create of a key that exists, and an update with a revision that is no longer the key's, lose on either server.
    await expect(b.create("/core/configmaps/ns/x", obj("x"))).rejects.toBeInstanceOf(KeyExistsError);
    const updated = await a.update("/core/configmaps/ns/x", obj("x", { v: "2" }), created.revision);
    // B may not have applied A's update yet: the database still refuses B's stale write.
    await expect(b.update("/core/configmaps/ns/x", obj("x", { v: "stale" }), created.revision)).rejects.toBeInstanceOf(RevisionConflictError);
    await b.settled();
    expect(b.get("/core/configmaps/ns/x")?.revision).toBe(updated.revision);
    const fromB = await b.update("/core/configmaps/ns/x", obj("x", { v: "3" }), updated.revision);
    await until(() => a.get("/core/configmaps/ns/x")?.revision === fromB.revision, "A to apply B's update");
    expect(seen.events.map((e) => [e.type, e.object.data])).toEqual([
      ["ADDED", { v: "1" }],
      ["MODIFIED", { v: "2" }],
      ["MODIFIED", { v: "3" }],
    ]);
    expect(seen.events[2]!.prev?.data).toEqual({ v: "2" });
    w.close();
    await Promise.all([a.close(), b.close()]);
  });

  test("racing writes from both: exactly one wins each compare-and-swap, and every watch sees the same history with no gap", async () => {
    const [a, b] = await pair();
    const base = await a.create("/core/configmaps/ns/race", obj("race"));
    await b.settled();
    const results = await Promise.allSettled([
      a.update("/core/configmaps/ns/race", obj("race", { by: "a" }), base.revision),
      b.update("/core/configmaps/ns/race", obj("race", { by: "b" }), base.revision),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(RevisionConflictError);

    await Promise.all([a.settled(), b.settled()]);
    const start = a.revision;
    const onA = collect();
    const onB = collect();
    a.watch("/core/", start, onA.listener);
    b.watch("/core/", start, onB.listener);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) writes.push((i % 2 ? a : b).create(`/core/configmaps/ns/c${i}`, obj(`c${i}`)));
    const acked = (await Promise.all(writes)) as { revision: number }[];
    const last = Math.max(...acked.map((e) => e.revision));
    await until(() => onA.events.at(-1)?.revision === last && onB.events.at(-1)?.revision === last, "both watches to reach the last write");
    const history = (seen: StoreEvent[]) => seen.map((e) => `${e.revision} ${e.key}`);
    expect(history(onA.events)).toEqual(history(onB.events));
    expect(onA.events).toHaveLength(200);
    const revisions = onA.events.map((e) => e.revision);
    expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
    expect(new Set(acked.map((e) => e.revision))).toEqual(new Set(revisions));
    await Promise.all([a.close(), b.close()]);
  });

  test("a watch from an old revision replays both servers' writes in order, from the log", async () => {
    const [a, b, url] = await pair();
    const first = await a.create("/core/configmaps/ns/one", obj("one"));
    await b.settled();
    await b.create("/core/configmaps/ns/two", obj("two"));
    await a.settled();
    await a.delete("/core/configmaps/ns/one");
    await Promise.all([a.close(), b.close()]);
    // A server started afterwards has nothing in its ring: the history comes from the database.
    const c = await PostgresStore.open(url);
    const seen = collect();
    c.watch("/core/configmaps/", first.revision - 1, seen.listener);
    await until(() => seen.events.length === 3, "the replay");
    expect(seen.events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "one"],
      ["ADDED", "two"],
      ["DELETED", "one"],
    ]);
    await c.close();
  });

  test("compaction runs once for the cluster, and every server refuses the compacted revisions", async () => {
    const [a, b] = await pair({ pollIntervalMs: 50 });
    let e = await a.create("/core/configmaps/ns/a", obj("a"));
    for (let i = 0; i < 5; i++) e = await a.update("/core/configmaps/ns/a", obj("a", { i: String(i) }), e.revision);
    await b.settled();
    await a.compact(e.revision);
    // B compacts to the same revision afterwards: nothing left to do, and no error.
    await b.compact(e.revision);
    await until(() => b.compactedRevision === e.revision, "B to learn of the compaction");
    expect(() => a.watch("/core/configmaps/", 1, () => {})).toThrow(CompactedError);
    expect(() => b.watch("/core/configmaps/", 1, () => {})).toThrow(CompactedError);
    expect(b.get("/core/configmaps/ns/a")?.object.data).toEqual({ i: "4" });
    await Promise.all([a.close(), b.close()]);
  });

  test("a server refuses a datastore whose schema a newer kubun migrated", async () => {
    const url = await pg.createDatabase(`newer_${databases++}`);
    await (await PostgresStore.open(url)).close();
    const sql = postgres(url, { onnotice: () => {} });
    await sql`UPDATE kubun_meta SET value = ${SCHEMA_VERSION + 1} WHERE key = 'schema_version'`;
    await sql.end();
    await expect(PostgresStore.open(url)).rejects.toThrow(/schema is version \d+, newer than this kubun server understands/);
  });

  test("the database going away: writes fail retryably, nothing acknowledged is lost, watches resume", async () => {
    const [a, b] = await pair({ pollIntervalMs: 100 });
    const before = await a.create("/core/configmaps/ns/before", obj("before"));
    const seen = collect();
    b.watch("/core/configmaps/", before.revision, seen.listener);
    await pg.stop();
    await expect(a.create("/core/configmaps/ns/during", obj("during"))).rejects.toBeInstanceOf(StorageUnavailableError);
    await pg.start();
    // The client reconnects by itself: the same store writes again, and B's watch carries on.
    let after: { revision: number } | undefined;
    for (let i = 0; i < 100 && !after; i++) {
      after = await a.create("/core/configmaps/ns/after", obj("after")).catch(async (err) => {
        expect(err).toBeInstanceOf(StorageUnavailableError);
        await Bun.sleep(100);
        return undefined;
      });
    }
    await until(() => seen.events.some((e) => e.revision === after!.revision), "B's watch to resume");
    expect(seen.events.map((e) => e.object.metadata.name)).toEqual(["after"]);
    expect(b.get("/core/configmaps/ns/before")).toBeDefined();
    await Promise.all([a.close(), b.close()]);
  });
});
