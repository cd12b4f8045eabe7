// bun run bench:api — durable creates/s through the API and watch delivery latency, with two
// ceilings measured in the same run: the raw bun:sqlite batched-insert rate (storage) and a bare
// Bun HTTPS server answering the same requests with a fixed body (transport, bench/https-floor.ts).
//   --creates N (default 20000)  --clients N (default 64)  --watch-samples N (default 2000)  --json
//   --datastore postgres: also the same creates on a private PostgreSQL (fsync on), with one server
//   and with two (clients spread over both), and watch latency from a write on one server to a watch on the other.
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startPostgres } from "../test/helpers/postgres.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    creates: { type: "string", default: "20000" },
    clients: { type: "string", default: "64" },
    "watch-samples": { type: "string", default: "2000" },
    json: { type: "boolean", default: false },
    datastore: { type: "string" },
  },
});
const CREATES = Number(args.creates);
const CLIENTS = Number(args.clients);
const WATCH_SAMPLES = Number(args["watch-samples"]);
const tmp = mkdtempSync(join(tmpdir(), "kubun-bench-api-"));

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** The ceiling: the same row shape inserted straight into bun:sqlite, WAL + synchronous=FULL, 500 rows per transaction. */
function rawCeiling(rows: number): number {
  const db = new Database(join(tmp, "raw.db"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
  db.exec("CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created INTEGER, deleted INTEGER, create_revision INTEGER, prev_revision INTEGER, value TEXT)");
  db.exec("CREATE UNIQUE INDEX kv_name_prev ON kv (name, prev_revision); CREATE INDEX kv_name_id ON kv (name, id);");
  const insert = db.prepare("INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, 1, 0, ?, 0, ?)");
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const value = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}`, namespace: "bench", uid: crypto.randomUUID(), resourceVersion: String(i + 1) } });
      insert.run(i + 1, `/core/configmaps/bench/cm-${i}`, i + 1, value);
    }
  });
  const t0 = performance.now();
  for (let i = 0; i < rows; i += 500) batch(i, Math.min(rows, i + 500));
  const rate = rows / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

/** Spawns `cmd` and waits for the "listening on https://…" line it prints. */
async function spawnListening(cmd: string[]): Promise<{ proc: Bun.Subprocess; url: string }> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "inherit" });
  let out = "";
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
    out += new TextDecoder().decode(chunk);
    const m = /listening on (https:\/\/\S+)/.exec(out);
    if (m) return { proc, url: m[1]! };
  }
  throw new Error(`${cmd.join(" ")} did not start`);
}

async function startServer(name = "server", extra: string[] = []): Promise<{ proc: Bun.Subprocess; url: string; token: string; ca: string }> {
  const dataDir = join(tmp, name);
  const { proc, url } = await spawnListening([process.execPath, "src/cli/main.ts", "server", "--data-dir", dataDir, "--port", "0", "--bind", "127.0.0.1", ...extra]);
  return { proc, url, token: readFileSync(join(dataDir, "admin.token"), "utf8").trim(), ca: readFileSync(join(dataDir, "tls", "ca.crt"), "utf8") };
}

/** CLIENTS concurrent loops POSTing `count` ConfigMaps to `url`; returns requests/s and non-201 answers. */
async function createLoad(url: string | string[], headers: Record<string, string>, ca: string, count: number): Promise<{ perS: number; failed: number }> {
  const urls = Array.isArray(url) ? url : [url];
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const target = urls[client % urls.length]!;
      while (next < count) {
        const i = next++;
        const body = JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } });
        const res = await fetch(`${target}/api/v1/namespaces/bench/configmaps`, { method: "POST", body, headers, tls: { ca } } as RequestInit);
        if (res.status !== 201) failed++;
        await res.arrayBuffer();
      }
    }),
  );
  return { perS: count / ((performance.now() - t0) / 1000), failed };
}

const progress = (msg: string) => process.stderr.write(`bench:api: ${msg}\n`);

/** Time from sending a create to `writeUrl` to its event on a watch on `watchUrl`, `samples` times. */
async function watchLatency(writeUrl: string, watchUrl: string, headers: Record<string, string>, ca: string, samples: number, prefix: string): Promise<number[]> {
  const call = (base: string, path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers, tls: { ca } } as RequestInit);
  const list: any = await (await call(watchUrl, "/api/v1/namespaces/bench/configmaps?limit=1")).json();
  const ac = new AbortController();
  const watching = call(watchUrl, `/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`, { signal: ac.signal });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let resolveAll!: () => void;
  const allSeen = new Promise<void>((r) => (resolveAll = r));
  void (async () => {
    const reader = (await watching).body!.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const sent = sentAt.get(JSON.parse(line).object.metadata.name);
          if (sent !== undefined) latencies.push(performance.now() - sent);
          if (latencies.length === samples) resolveAll();
        }
      }
    } catch {}
  })();
  for (let i = 0; i < samples; i++) {
    const name = `${prefix}-${i}`;
    sentAt.set(name, performance.now());
    await (await call(writeUrl, "/api/v1/namespaces/bench/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name } }) })).arrayBuffer();
  }
  await allSeen;
  ac.abort();
  return latencies;
}

/** --datastore postgres: creates/s on one and on two servers sharing a private PostgreSQL, and cross-server watch latency. */
async function postgresFigures(): Promise<Record<string, number>> {
  const pg = await startPostgres({ durable: true });
  const stops: Bun.Subprocess[] = [];
  try {
    const one = await pg.createDatabase("bench_one");
    progress("PostgreSQL: one server");
    const a = await startServer("pg-one", ["--datastore-endpoint", one, "--disable-scheduler", "--disable-controller-manager"]);
    stops.push(a.proc);
    const headers = { authorization: `Bearer ${a.token}`, "content-type": "application/json" };
    await fetch(`${a.url}/api/v1/namespaces`, { method: "POST", body: JSON.stringify({ metadata: { name: "bench" } }), headers, tls: { ca: a.ca } } as RequestInit);
    const single = await createLoad(a.url, headers, a.ca, CREATES);
    a.proc.kill();
    await a.proc.exited;

    progress("PostgreSQL: two servers, clients spread over both");
    const two = await pg.createDatabase("bench_two");
    const p = await startServer("pg-a", ["--datastore-endpoint", two, "--disable-scheduler", "--disable-controller-manager"]);
    stops.push(p.proc);
    const token = readFileSync(join(tmp, "pg-a", "server.token"), "utf8").trim();
    const q = await startServer("pg-b", ["--datastore-endpoint", two, "--disable-scheduler", "--disable-controller-manager", "--token", token]);
    stops.push(q.proc);
    const h2 = { authorization: `Bearer ${p.token}`, "content-type": "application/json" };
    await fetch(`${p.url}/api/v1/namespaces`, { method: "POST", body: JSON.stringify({ metadata: { name: "bench" } }), headers: h2, tls: { ca: p.ca } } as RequestInit);
    const pair = await createLoad([p.url, q.url], h2, p.ca, CREATES);
    progress(`PostgreSQL: cross-server watch delivery over ${WATCH_SAMPLES} creates`);
    const cross = await watchLatency(p.url, q.url, h2, p.ca, WATCH_SAMPLES, "x");
    return {
      pg_one_server_creates_per_s: Math.round(single.perS),
      pg_two_servers_creates_per_s: Math.round(pair.perS),
      pg_failed: single.failed + pair.failed,
      pg_cross_watch_p50_ms: Number(percentile(cross, 50).toFixed(2)),
      pg_cross_watch_p99_ms: Number(percentile(cross, 99).toFixed(2)),
    };
  } finally {
    for (const proc of stops) {
      proc.kill();
      await proc.exited;
    }
    await pg.close();
  }
}

async function main(): Promise<void> {
  progress("raw bun:sqlite ceiling");
  const raw = rawCeiling(CREATES);
  progress("starting kubun server");
  const server = await startServer();
  const headers = { authorization: `Bearer ${server.token}`, "content-type": "application/json" };
  const call = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers, tls: { ca: server.ca } } as RequestInit);
  await call("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "bench" } }) });

  // 1. Durable creates/s with CLIENTS concurrent clients.
  progress(`${CREATES} creates from ${CLIENTS} clients`);
  const { perS: createsPerS, failed } = await createLoad(server.url, headers, server.ca, CREATES);

  // 2. Watch delivery: time from sending a create to its event arriving on a watch.
  progress(`watch delivery over ${WATCH_SAMPLES} creates`);
  const list: any = await (await call("/api/v1/namespaces/bench/configmaps?limit=1")).json();
  const ac = new AbortController();
  // Bun's fetch resolves only at the first event: start the watch, then write.
  const watching = call(`/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`, { signal: ac.signal });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let resolveAll!: () => void;
  const allSeen = new Promise<void>((r) => (resolveAll = r));
  (async () => {
    const watch = await watching;
    const reader = watch.body!.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue; // the server opens a watch with a bare newline
          const event = JSON.parse(line);
          const sent = sentAt.get(event.object.metadata.name);
          if (sent !== undefined) latencies.push(performance.now() - sent);
          if (latencies.length === WATCH_SAMPLES) resolveAll();
        }
      }
    } catch {}
  })();
  for (let i = 0; i < WATCH_SAMPLES; i++) {
    const name = `w-${i}`;
    sentAt.set(name, performance.now());
    await (await call("/api/v1/namespaces/bench/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name } }) })).arrayBuffer();
  }
  await allSeen;
  ac.abort();
  server.proc.kill();
  await server.proc.exited;

  // 3. The transport ceiling: the same load against a bare HTTPS server with the same certificate.
  progress(`transport ceiling: ${CREATES} requests from ${CLIENTS} clients to a bare Bun HTTPS server`);
  const tls = join(tmp, "server", "tls");
  const floor = await spawnListening([process.execPath, "bench/https-floor.ts", join(tls, "serving.crt"), join(tls, "serving.key")]);
  const transport = await createLoad(floor.url, headers, server.ca, CREATES);
  floor.proc.kill();
  await floor.proc.exited;

  if (args.datastore !== undefined && args.datastore !== "postgres") throw new Error(`--datastore ${args.datastore}: only postgres is benched beside SQLite`);
  const pg = args.datastore === "postgres" ? await postgresFigures() : {};

  const result = {
    ...pg,
    creates: CREATES,
    clients: CLIENTS,
    failed,
    api_creates_per_s: Math.round(createsPerS),
    raw_sqlite_inserts_per_s: Math.round(raw),
    ratio_of_ceiling: Number((createsPerS / raw).toFixed(3)),
    bare_https_requests_per_s: Math.round(transport.perS),
    ratio_of_transport: Number((createsPerS / transport.perS).toFixed(3)),
    watch_samples: latencies.length,
    watch_p50_ms: Number(percentile(latencies, 50).toFixed(2)),
    watch_p99_ms: Number(percentile(latencies, 99).toFixed(2)),
  };
  if (!args.json) {
    console.log("kubun API bench (durable writes: WAL, synchronous=FULL)");
    console.log(`  raw bun:sqlite batched inserts   ${result.raw_sqlite_inserts_per_s.toLocaleString()} rows/s (ceiling)`);
    console.log(`  bare Bun HTTPS, fixed answer     ${result.bare_https_requests_per_s.toLocaleString()} requests/s (transport ceiling, same client)`);
    console.log(`  API creates, ${CLIENTS} clients          ${result.api_creates_per_s.toLocaleString()} creates/s (${(result.ratio_of_ceiling * 100).toFixed(1)}% of storage ceiling, ${(result.ratio_of_transport * 100).toFixed(1)}% of transport ceiling, ${failed} failed)`);
    console.log(`  watch delivery (send → event)    p50 ${result.watch_p50_ms} ms, p99 ${result.watch_p99_ms} ms over ${result.watch_samples} creates`);
    if ("pg_one_server_creates_per_s" in pg) {
      console.log(`  PostgreSQL (fsync on), 1 server  ${pg.pg_one_server_creates_per_s!.toLocaleString()} creates/s`);
      console.log(`  PostgreSQL, 2 servers            ${pg.pg_two_servers_creates_per_s!.toLocaleString()} creates/s (clients spread over both, ${pg.pg_failed} failed)`);
      console.log(`  cross-server watch (A → B)       p50 ${pg.pg_cross_watch_p50_ms} ms, p99 ${pg.pg_cross_watch_p99_ms} ms`);
    }
  }
  console.log(JSON.stringify(result));
}

try {
  await main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
