// Faults the control plane must survive without losing or inventing anything:
//   (a) kill -9 of the server under concurrent creates and updates while a watcher records
//       events; after a restart every acknowledged write is there, the revision counter goes on
//       from where it was, and the watcher resuming from its last resourceVersion misses nothing.
//       (test/crash.test.ts checks the creates alone; this adds updates and the watch stream.)
//   (b) the disk filling up under the store (a real tmpfs, so SQLite's own SQLITE_FULL path):
//       writes fail with a 500 InternalError naming storage, reads go on, memory never runs
//       ahead of the disk, and writes work again once there is room.
//   (c) a read-only data dir (its own tmpfs, remounted read-only between two runs of the server,
//       since a mount cannot go read-only while SQLite holds files open for writing): the server
//       starts, serves get, list and watch, answers every write with a 500 InternalError naming
//       storage, and once the mount is writable again everything is there and writes work.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/api/app.ts";
import { StaticTokens } from "../src/api/auth.ts";
import { ensureDefaultNamespaces } from "../src/api/bootstrap.ts";
import { Storage } from "../src/api/storage.ts";
import { SqliteStore } from "../src/store/index.ts";
import { spawnServer as spawnProcess, type ServerProcess } from "./helpers/server-process.ts";
import { ndjson } from "../src/client/ndjson.ts";

const tmp = mkdtempSync(join(tmpdir(), "kubun-faults-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface WatchEvent {
  type: string;
  name: string;
  rv: number;
}

describe("kill -9 during concurrent writes", () => {
  const dataDir = join(tmp, "data");

  const spawnServer = () => spawnProcess(dataDir, { stderr: "ignore" });


  /** Records every configmap event of a watch until the stream ends; `lastRV` is where to resume. */
  function watch(call: (path: string, init?: RequestInit) => Promise<Response>, fromRV: number) {
    const events: WatchEvent[] = [];
    const abort = new AbortController();
    const w = { events, lastRV: fromRV, done: undefined as unknown as Promise<void>, seen: (_e: WatchEvent) => {}, stop: () => abort.abort() };
    w.done = (async () => {
      const res = await call(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${fromRV}`, { signal: abort.signal });
      expect(res.status).toBe(200);
      try {
        for await (const value of ndjson(res.body as ReadableStream<Uint8Array>)) {
          const ev = value as { type: string; object: { metadata: { name: string; resourceVersion: string } } };
          const e = { type: ev.type, name: ev.object.metadata.name, rv: Number(ev.object.metadata.resourceVersion) };
          if (e.type === "BOOKMARK") continue;
          events.push(e);
          w.lastRV = e.rv;
          w.seen(e);
        }
      } catch {
        // stopped, or the server died under the stream: what arrived before is what the watcher knows
      }
    })();
    return w;
  }

  test("every acknowledged write survives and a resumed watch misses nothing", async () => {
    mkdirSync(dataDir, { recursive: true });
    const first = await spawnServer();
    const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
    const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
    const caller = (url: string) => (path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, tls: { ca } } as RequestInit);
    const call1 = caller(first.url);

    const listed: any = await (await call1("/api/v1/namespaces/default/configmaps")).json();
    const watcher = watch(call1, Number(listed.metadata.resourceVersion));

    // Acknowledged writes: name → the resourceVersion the server answered with, per write.
    const acked: WatchEvent[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `w${w}-${i}`;
        try {
          const res = await call1("/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name }, data: { v: "0" } }) });
          if (res.status !== 201) continue;
          const created: any = await res.json();
          acked.push({ type: "ADDED", name, rv: Number(created.metadata.resourceVersion) });
          if (i % 2 === 0) {
            const upd = await call1(`/api/v1/namespaces/default/configmaps/${name}`, {
              method: "PUT",
              body: JSON.stringify({ ...created, data: { v: "1" } }),
            });
            if (upd.status === 200) acked.push({ type: "MODIFIED", name, rv: Number(((await upd.json()) as any).metadata.resourceVersion) });
          }
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, w) => writer(w));
    // The watcher drops out part way (a client that lost its connection); the rest it must get on resuming.
    while (acked.length < 100) await Bun.sleep(5);
    watcher.stop();
    while (acked.length < 300) await Bun.sleep(5);
    first.proc.kill(9);
    stop = true;
    await Promise.all(writers);
    await first.proc.exited;
    await watcher.done;
    const ackedBeforeKill = acked.length;

    const second = await spawnServer();
    const call2 = caller(second.url);
    try {
      // Resume where the watcher stopped; a marker written after the restart ends the replay.
      const resumed = watch(call2, watcher.lastRV);
      const marker = new Promise<void>((resolve) => (resumed.seen = (e) => e.name === "after-restart" && resolve()));
      const res = await call2("/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: "after-restart" } }) });
      expect(res.status).toBe(201);
      const afterRV = Number(((await res.json()) as any).metadata.resourceVersion);
      await marker;

      const events = [...watcher.events, ...resumed.events].filter((e) => e.name !== "after-restart");
      // In order, no duplicates across the restart.
      const rvs = events.map((e) => e.rv);
      expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
      expect(new Set(rvs).size).toBe(rvs.length);
      // Every acknowledged write was delivered, with the revision it was acknowledged at.
      const delivered = new Set(events.map((e) => `${e.type} ${e.name} ${e.rv}`));
      const missed = acked.filter((a) => !delivered.has(`${a.type} ${a.name} ${a.rv}`));
      expect(missed).toEqual([]);
      // ... and is in the state after the restart.
      const list: any = await (await call2("/api/v1/namespaces/default/configmaps")).json();
      const state = new Map<string, any>(list.items.map((i: any) => [i.metadata.name, i]));
      const lost = acked.filter((a) => a.type === "ADDED" && !state.has(a.name));
      expect(lost).toEqual([]);
      for (const a of acked.filter((x) => x.type === "MODIFIED")) expect(state.get(a.name)?.data).toEqual({ v: "1" });
      // The revision counter goes on past everything the first server handed out.
      expect(afterRV).toBeGreaterThan(Math.max(...acked.map((a) => a.rv), ...rvs));
      console.log(
        `faults: kill -9 after ${ackedBeforeKill} acknowledged writes (${watcher.events.length} events seen live, ${resumed.events.length - 1} replayed after restart); writes lost: ${lost.length}, events missed: ${missed.length}`,
      );
    } finally {
      second.proc.kill();
      await second.proc.exited;
    }
  }, 60_000);
});

/**
 * Runs `fn` with a tmpfs of `size` mounted at `mnt` (a real file system that fills up or turns
 * read-only), unmounted afterwards. The suite runs as root (README): no mount is a failure.
 */
async function onTmpfs(mnt: string, size: string, fn: () => Promise<void>): Promise<void> {
  mkdirSync(mnt, { recursive: true });
  const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", mnt]);
  if (mount.exitCode !== 0) throw new Error(`cannot mount a tmpfs at ${mnt} (the fault tests run as root): ${mount.stderr.toString().trim()}`);
  try {
    await fn();
  } finally {
    // Lazy: bun:sqlite may hold the file a moment after close().
    Bun.spawnSync(["umount", "-l", mnt]);
  }
}

describe("disk full under the store", () => {
  const mnt = join(tmp, "tmpfs");

  test("writes fail with InternalError naming storage; reads go on; nothing corrupts", async () => {
    await onTmpfs(mnt, "3m", () => diskFull(mnt));
  });
});

async function diskFull(mnt: string): Promise<void> {
  const dbPath = join(mnt, "state.db");
  const store = new SqliteStore(dbPath);
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  const app = createApp({ storage, now: () => new Date(), auth: new StaticTokens().add("t", { name: "admin", groups: ["system:masters"] }) });
  const call = (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, headers: { authorization: "Bearer t", "content-type": "application/json" } });
  const cm = (name: string, size = 0) => JSON.stringify({ metadata: { name }, data: { blob: "x".repeat(size) } });

  for (const name of ["kept-1", "kept-2"]) expect((await call("/api/v1/namespaces/default/configmaps", { method: "POST", body: cm(name) })).status).toBe(201);
  // Fill what is left of the file system.
  const filler = join(mnt, "filler");
  const chunk = new Uint8Array(64 * 1024);
  let filled = 0;
  try {
    for (;;) {
      writeFileSync(filler, chunk, { flag: "a" });
      filled += chunk.byteLength;
    }
  } catch {
    // ENOSPC: the disk is full
  }
  expect(filled).toBeGreaterThan(0);
  const revision = store.revision;

  let failed = 0;
  for (const name of ["big-1", "big-2", "big-3"]) {
    const res = await call("/api/v1/namespaces/default/configmaps", { method: "POST", body: cm(name, 900_000) });
    if (res.status === 201) continue; // a write that still fit in space SQLite had already claimed
    failed++;
    expect(res.status).toBe(500);
    const status = (await res.json()) as { kind: string; reason: string; message: string };
    expect(status.kind).toBe("Status");
    expect(status.reason).toBe("InternalError");
    expect(status.message).toMatch(/storage write failed: .*(full|disk)/i);
    // Memory is not ahead of the disk: the failed object is nowhere.
    expect((await call(`/api/v1/namespaces/default/configmaps/${name}`)).status).toBe(404);
  }
  expect(failed).toBeGreaterThan(0);
  // Updates fail alike and leave the object as it was.
  const kept: any = await (await call("/api/v1/namespaces/default/configmaps/kept-1")).json();
  const upd = await call("/api/v1/namespaces/default/configmaps/kept-1", { method: "PUT", body: JSON.stringify({ ...kept, data: { blob: "y".repeat(900_000) } }) });
  expect(upd.status).toBe(500);
  // Reads go on.
  const list: any = await (await call("/api/v1/namespaces/default/configmaps")).json();
  expect(list.items.map((i: any) => i.metadata.name).sort()).toEqual(["kept-1", "kept-2"]);
  expect(((await (await call("/api/v1/namespaces/default/configmaps/kept-1")).json()) as any).data).toEqual({ blob: "" });
  expect(store.revision).toBe(revision);

  // Room again: writes work, and the revision counter continues.
  rmSync(filler);
  const again = await call("/api/v1/namespaces/default/configmaps", { method: "POST", body: cm("after-full", 1000) });
  expect(again.status).toBe(201);
  expect(Number(((await again.json()) as any).metadata.resourceVersion)).toBeGreaterThan(revision);
  await store.close();

  // Nothing on disk is corrupt: the log replays to exactly what the API showed.
  const reopened = new SqliteStore(dbPath);
  const names = reopened.list("/core/configmaps/").items.map((e) => e.object.metadata.name).sort();
  expect(names).toEqual(["after-full", "kept-1", "kept-2"]);
  expect(reopened.get("/core/configmaps/default/kept-1")!.object).toEqual(kept);
  await reopened.close();
  console.log(`faults: disk full — ${failed}/3 creates and 1 update refused with 500 InternalError, reads served, 0 writes lost or half-applied`);
}

describe("read-only data dir", () => {
  const mnt = join(tmp, "ro");

  test("the server starts on it, serves reads and refuses writes with InternalError; nothing is lost", async () => {
    await onTmpfs(mnt, "64m", () =>
      readOnlyDataDir(join(mnt, "data"), (mode) => {
        const r = Bun.spawnSync(["mount", "-o", `remount,${mode}`, mnt]);
        if (r.exitCode !== 0) throw new Error(`remount ${mode}: ${r.stderr.toString().trim()}`);
      }),
    );
  }, 60_000);
});

async function readOnlyDataDir(dataDir: string, remount: (mode: "ro" | "rw") => void): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const token = () => readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  const ca = () => readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
  const caller = (s: ServerProcess) => (path: string, init: RequestInit = {}) =>
    fetch(`${s.url}${path}`, { ...init, headers: { authorization: `Bearer ${token()}`, "content-type": "application/json", ...(init.headers as Record<string, string>) }, tls: { ca: ca() } } as RequestInit);
  const stop = async (s: ServerProcess) => {
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(0);
  };
  const CMS = "/api/v1/namespaces/default/configmaps";
  const names = async (call: ReturnType<typeof caller>) => ((await (await call(CMS)).json()) as any).items.map((i: any) => i.metadata.name).sort();

  const first = await spawnProcess(dataDir, { stderr: "ignore", tmpDir: join(tmp, "ro-tmp") });
  const call1 = caller(first);
  const created: any[] = [];
  for (const name of ["ro-1", "ro-2"]) {
    const res = await call1(CMS, { method: "POST", body: JSON.stringify({ metadata: { name }, data: { v: name } }) });
    expect(res.status).toBe(201);
    created.push(await res.json());
  }
  expect((await call1("/api/v1/namespaces/default/secrets", { method: "POST", body: JSON.stringify({ metadata: { name: "ro-secret" }, stringData: { k: "v" } }) })).status).toBe(201);
  await stop(first);

  remount("ro");
  const second = await spawnProcess(dataDir, { stderr: "ignore", tmpDir: join(tmp, "ro-tmp") });
  const call2 = caller(second);
  const writes: [string, string, RequestInit][] = [
    ["create", CMS, { method: "POST", body: JSON.stringify({ metadata: { name: "ro-new" } }) }],
    ["update", `${CMS}/ro-1`, { method: "PUT", body: JSON.stringify({ ...created[0], data: { v: "changed" } }) }],
    ["patch", `${CMS}/ro-1`, { method: "PATCH", body: JSON.stringify({ data: { v: "patched" } }), headers: { "content-type": "application/merge-patch+json" } }],
    ["delete", `${CMS}/ro-2`, { method: "DELETE" }],
    ["namespace", "/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "ro-ns" } }) }],
  ];
  try {
    // Reads: get, list (the secret decrypted with the key the data dir holds), and a watch
    // replayed from the log from before the restart.
    expect(await names(call2)).toEqual(["ro-1", "ro-2"]);
    expect(((await (await call2(`${CMS}/ro-1`)).json()) as any).data).toEqual({ v: "ro-1" });
    expect(((await (await call2("/api/v1/namespaces/default/secrets/ro-secret")).json()) as any).data).toEqual({ k: btoa("v") });
    const watch = await call2(`${CMS}?watch=1&resourceVersion=${created[0].metadata.resourceVersion}`, { signal: AbortSignal.timeout(5000) });
    expect(watch.status).toBe(200);
    const reader = (watch.body as ReadableStream<Uint8Array>).getReader();
    let buf = "";
    while (!/\S\n/.test(buf)) buf += new TextDecoder().decode((await reader.read()).value);
    const firstEvent = JSON.parse(buf.trimStart().split("\n")[0]!);
    expect([firstEvent.type, firstEvent.object.metadata.name]).toEqual(["ADDED", "ro-2"]);
    await reader.cancel();

    for (const [what, path, init] of writes) {
      const res = await call2(path, init);
      const status = (await res.json()) as { kind: string; reason: string; message: string };
      expect([what, res.status, status.kind, status.reason]).toEqual([what, 500, "Status", "InternalError"]);
      expect(status.message).toMatch(/storage write failed: .*read-?only/i);
    }
    // Nothing of the refused writes shows, and the server is still up.
    expect(await names(call2)).toEqual(["ro-1", "ro-2"]);
    expect(((await (await call2(`${CMS}/ro-1`)).json()) as any).data).toEqual({ v: "ro-1" });
    expect(second.proc.exitCode).toBeNull();
  } finally {
    await stop(second);
    remount("rw");
  }

  // Writable again: everything is there and writes work.
  const third = await spawnProcess(dataDir, { stderr: "ignore", tmpDir: join(tmp, "ro-tmp") });
  const call3 = caller(third);
  try {
    expect(await names(call3)).toEqual(["ro-1", "ro-2"]);
    expect((await call3("/api/v1/namespaces/ro-ns")).status).toBe(404);
    const res = await call3(CMS, { method: "POST", body: JSON.stringify({ metadata: { name: "ro-new" } }) });
    expect(res.status).toBe(201);
    expect(Number(((await res.json()) as any).metadata.resourceVersion)).toBeGreaterThan(Number(created[1].metadata.resourceVersion));
  } finally {
    await stop(third);
  }
  console.log(`faults: read-only data dir — server started, reads served, ${writes.length}/${writes.length} writes refused with 500 InternalError, 0 objects lost or half-written`);
}
