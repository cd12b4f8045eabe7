// bun run bench:api — durable creates/s through the API and watch delivery latency (one create at
// a time, and under the 64-client burst), with three baselines measured in the same run: the raw
// bun:sqlite batched-insert rate (storage), a bare Bun HTTPS server answering the same requests
// with a fixed body (transport, bench/https-floor.ts), and etcd — the store under every
// kube-apiserver — taking puts of the same size from the same clients (bench/etcd-peer.ts).
// Only 201 answers count as creates; any failed request is printed and fails the run.
//   --creates N (default 20000)  --clients N (default 64)  --watch-samples N (default 2000)  --json
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureEtcd, etcdPut, startEtcd } from "./etcd-peer.ts";

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

interface LoadResult {
  perS: number;
  ok: number;
  failed: number;
  /** The first few failures, as "status body". */
  failures: string[];
}

/**
 * CLIENTS concurrent loops sending `count` POSTs made by `request(i)`; a request counts when
 * `expected` is its status. `sent`, when given, records when request i was sent.
 */
async function load(count: number, request: (i: number) => { url: string; body: string }, headers: Record<string, string>, ca: string, expected: number, sent?: Map<string, number>, nameOf?: (i: number) => string): Promise<LoadResult> {
  let next = 0;
  let ok = 0;
  const failures: string[] = [];
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        const i = next++;
        const { url, body } = request(i);
        if (sent && nameOf) sent.set(nameOf(i), performance.now());
        try {
          const res = await fetch(url, { method: "POST", body, headers, tls: { ca } } as RequestInit);
          const text = await res.text();
          if (res.status === expected) ok++;
          else {
            failed++;
            if (failures.length < 5) failures.push(`${res.status} ${text.slice(0, 200)}`);
          }
        } catch (err) {
          failed++;
          if (failures.length < 5) failures.push(String(err));
        }
      }
    }),
  );
  return { perS: ok / ((performance.now() - t0) / 1000), ok, failed, failures };
}

const createRequest = (url: string) => (i: number) => ({ url: `${url}/api/v1/namespaces/bench/configmaps`, body: JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } }) });

/** A watch on the bench namespace's ConfigMaps that times each event against when its create was sent. */
function watchLatencies(call: (path: string, init?: RequestInit) => Promise<Response>, resourceVersion: string, sent: Map<string, number>) {
  const ac = new AbortController();
  const latencies: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  // Bun's fetch resolves only at the first event: start the watch, then write.
  const watching = call(`/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=${resourceVersion}`, { signal: ac.signal });
  (async () => {
    const reader = (await watching).body!.getReader();
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
          const at = sent.get(event.object.metadata.name);
          if (at !== undefined) latencies.push(performance.now() - at);
          for (const w of waiters.filter((w) => latencies.length >= w.n)) w.resolve();
        }
      }
    } catch {}
  })();
  return {
    latencies,
    /** Resolves once `n` events have been timed, or after `ms`. */
    seen: (n: number, ms = 30_000) => new Promise<void>((resolve) => {
      if (latencies.length >= n) return resolve();
      waiters.push({ n, resolve });
      setTimeout(resolve, ms);
    }),
    stop: () => ac.abort(),
  };
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

  // 1. Durable creates/s with CLIENTS concurrent clients, a watch timing each create's event.
  progress(`${CREATES} creates from ${CLIENTS} clients, watched`);
  const before: any = await (await call("/api/v1/namespaces/bench/configmaps?limit=1")).json();
  const burstSent = new Map<string, number>();
  const burstWatch = watchLatencies(call, before.metadata.resourceVersion, burstSent);
  await Bun.sleep(200);
  const creates = await load(CREATES, createRequest(server.url), headers, server.ca, 201, burstSent, (i) => `cm-${i}`);
  await burstWatch.seen(creates.ok);
  burstWatch.stop();
  const underLoad = burstWatch.latencies;
  // The size of what kubun stored for one create: etcd's puts carry values this big.
  const stored = await (await call("/api/v1/namespaces/bench/configmaps/cm-0")).text();

  // 2. Watch delivery one create at a time: from sending a create to its event arriving.
  progress(`watch delivery over ${WATCH_SAMPLES} creates`);
  const list: any = await (await call("/api/v1/namespaces/bench/configmaps?limit=1")).json();
  const sentAt = new Map<string, number>();
  const single = watchLatencies(call, list.metadata.resourceVersion, sentAt);
  for (let i = 0; i < WATCH_SAMPLES; i++) {
    const name = `w-${i}`;
    sentAt.set(name, performance.now());
    await (await call("/api/v1/namespaces/bench/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name } }) })).arrayBuffer();
  }
  await single.seen(WATCH_SAMPLES);
  single.stop();
  const latencies = single.latencies;
  server.proc.kill();
  await server.proc.exited;

  // 3. The transport ceiling: the same load against a bare HTTPS server with the same certificate.
  progress(`transport ceiling: ${CREATES} requests from ${CLIENTS} clients to a bare Bun HTTPS server`);
  const tls = join(tmp, "server", "tls");
  const floor = await spawnListening([process.execPath, "bench/https-floor.ts", join(tls, "serving.crt"), join(tls, "serving.key")]);
  const transport = await load(CREATES, createRequest(floor.url), headers, server.ca, 201);
  floor.proc.kill();
  await floor.proc.exited;

  // 4. The peer: etcd taking puts of the same size from the same clients, over TLS on loopback.
  const etcdNote = await ensureEtcd();
  let etcd: LoadResult | undefined;
  if (!etcdNote) {
    progress(`etcd: ${CREATES} puts of ${stored.length} bytes from ${CLIENTS} clients`);
    const peer = await startEtcd({ certFile: join(tls, "serving.crt"), keyFile: join(tls, "serving.key"), caPem: server.ca });
    try {
      etcd = await load(CREATES, (i) => ({ url: `${peer.url}/v3/kv/put`, body: etcdPut(`/registry/configmaps/bench/cm-${i}`, stored) }), { "content-type": "application/json" }, server.ca, 200);
    } finally {
      await peer.stop();
    }
  }
  const failed = creates.failed;
  const createsPerS = creates.perS;

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
    watch_samples_under_load: underLoad.length,
    watch_p50_under_load_ms: Number(percentile(underLoad, 50).toFixed(2)),
    watch_p99_under_load_ms: Number(percentile(underLoad, 99).toFixed(2)),
    etcd_value_bytes: stored.length,
    etcd_puts_per_s: etcd ? Math.round(etcd.perS) : null,
    ratio_of_etcd: etcd ? Number((createsPerS / etcd.perS).toFixed(3)) : null,
    etcd_note: etcdNote ?? null,
  };
  if (!args.json) {
    console.log("kubun API bench (durable writes: WAL, synchronous=FULL)");
    console.log(`  raw bun:sqlite batched inserts   ${result.raw_sqlite_inserts_per_s.toLocaleString()} rows/s (ceiling)`);
    console.log(`  bare Bun HTTPS, fixed answer     ${result.bare_https_requests_per_s.toLocaleString()} requests/s (transport ceiling, same client)`);
    console.log(`  API creates, ${CLIENTS} clients          ${result.api_creates_per_s.toLocaleString()} creates/s (${(result.ratio_of_ceiling * 100).toFixed(1)}% of storage ceiling, ${(result.ratio_of_transport * 100).toFixed(1)}% of transport ceiling, ${failed} failed)`);
    console.log(`  etcd puts of ${result.etcd_value_bytes} B, ${CLIENTS} clients  ${etcd ? `${result.etcd_puts_per_s!.toLocaleString()} puts/s (kubun = ${result.ratio_of_etcd}× etcd)` : `not measured: ${etcdNote}`}`);
    console.log(`  watch delivery (send → event)    p50 ${result.watch_p50_ms} ms, p99 ${result.watch_p99_ms} ms over ${result.watch_samples} creates one at a time`);
    console.log(`  watch delivery under the burst   p50 ${result.watch_p50_under_load_ms} ms, p99 ${result.watch_p99_under_load_ms} ms over ${result.watch_samples_under_load} creates`);
  }
  console.log(JSON.stringify(result));
  // Failures don't count as creates, and fail the run.
  const failures = [["kubun", creates], ["bare HTTPS", transport], ...(etcd ? [["etcd", etcd] as const] : [])] as const;
  let bad = false;
  for (const [name, r] of failures) {
    if (r.failed === 0) continue;
    bad = true;
    console.error(`bench:api: ${r.failed} ${name} requests failed, e.g.:\n  ${r.failures.join("\n  ")}`);
  }
  if (underLoad.length !== creates.ok) {
    bad = true;
    console.error(`bench:api: the watch saw ${underLoad.length} of ${creates.ok} creates made under load`);
  }
  if (bad) process.exitCode = 1;
}

try {
  await main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
