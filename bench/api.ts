// bun run bench:api — durable creates/s through the API and watch delivery latency, with two
// ceilings measured in the same run: the raw bun:sqlite batched-insert rate (storage) and a bare
// Bun HTTPS server answering the same requests with a fixed body (transport, bench/https-floor.ts).
//   --creates N (default 20000)  --clients N (default 64)  --watch-samples N (default 2000)  --json
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    creates: { type: "string", default: "20000" },
    clients: { type: "string", default: "64" },
    "watch-samples": { type: "string", default: "2000" },
    json: { type: "boolean", default: false },
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

async function startServer(): Promise<{ proc: Bun.Subprocess; url: string; token: string; ca: string }> {
  const dataDir = join(tmp, "server");
  const { proc, url } = await spawnListening([process.execPath, "src/cli/main.ts", "server", "--data-dir", dataDir, "--port", "0", "--bind", "127.0.0.1"]);
  return { proc, url, token: readFileSync(join(dataDir, "admin.token"), "utf8").trim(), ca: readFileSync(join(dataDir, "tls", "ca.crt"), "utf8") };
}

/** CLIENTS concurrent loops POSTing `count` ConfigMaps to `url`; returns requests/s and non-201 answers. */
async function createLoad(url: string, headers: Record<string, string>, ca: string, count: number): Promise<{ perS: number; failed: number }> {
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        const i = next++;
        const body = JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } });
        const res = await fetch(`${url}/api/v1/namespaces/bench/configmaps`, { method: "POST", body, headers, tls: { ca } } as RequestInit);
        if (res.status !== 201) failed++;
        await res.arrayBuffer();
      }
    }),
  );
  return { perS: count / ((performance.now() - t0) / 1000), failed };
}

const progress = (msg: string) => process.stderr.write(`bench:api: ${msg}\n`);

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

  const result = {
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
  }
  console.log(JSON.stringify(result));
}

try {
  await main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
