// bun run bench:api — durable creates/s through the API and watch delivery latency (one create at
// a time, and under the 64-client burst), with three baselines measured in the same run: the raw
// bun:sqlite batched-insert rate (storage), a bare Bun HTTPS server answering the same requests
// with a fixed body (transport, bench/https-floor.ts), and etcd — the store under every
// kube-apiserver — taking puts of the same size from the same clients (bench/etcd-peer.ts).
// And the fixed shape's floor: the same clients, bodies and one watcher against bench/shape-floor.ts,
// a server of kubun's shape (Bun, Hono, SQLite's group commit) that does nothing else (bench/api-floor.ts).
// Only 201 answers count as creates; any failed request is printed and fails the run.
//   --creates N (default 20000)  --clients N (default 64)  --watch-samples N (default 2000)  --json
//   --stages: the server times the stages of its write path (KUBUN_STAGE_TIMERS, src/store/stage-timers.ts)
//   and the breakdown per create under the burst is printed (bench/README.md)
//   --cpu-prof DIR: the server runs under Bun's CPU profiler and writes its profile into DIR
//   --warmup S (default 15): before each timed run (kubun, the bare HTTPS server, etcd), S seconds of the
//   same requests (kubun's and etcd's under other names) bring it to its steady state: a fresh JSC spends its first tens of thousands of requests
//   compiling the request path (bench/README.md), which a server that runs for days pays once
//   --untuned: the server runs with JSC's defaults instead of the settings the `kubun` command starts
//   with (KUBUN_JSC_ENV, src/cli/heap-settings.ts), which it runs with otherwise, as bench:memory's does
//   --tail: the server also traces each create, group commit and long event-loop turn, and logs JSC's
//   collections; what the burst's slow creates waited on is printed by round-trip band (bench/api-tail.ts)
//   --server-env NAME=VALUE (repeatable): added to the server's environment (a JSC setting to compare);
//   --server-arg ARG (repeatable): added to the server's command line (--disable-controller-manager)
//   --datastore postgres: also the same creates on a private PostgreSQL (fsync on), with one server
//   and with two (clients spread over both), and watch latency from a write on one server to a watch on the other.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ndjson } from "../src/client/ndjson.ts";
import { ensureEtcd, etcdPut, startEtcd } from "./etcd-peer.ts";
import { startPostgres } from "../test/helpers/postgres.ts";
import { KUBUN_JSC_ENV } from "../src/cli/heap-settings.ts";
import { rawCeiling, stageBreakdown, stageTotals } from "./api-stages.ts";
import { load, warmUpFor, type LoadResult } from "./api-load.ts";
import { shapeFloorRun } from "./api-floor.ts";
import { cpuSeconds } from "./processes.ts";
import { gcLogSince, gcSummary, roundTrip, tailBreakdown, tailLines, type RoundTrip, type Trace } from "./api-tail.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    creates: { type: "string", default: "20000" },
    clients: { type: "string", default: "64" },
    "watch-samples": { type: "string", default: "2000" },
    json: { type: "boolean", default: false },
    datastore: { type: "string" },
    stages: { type: "boolean", default: false },
    tail: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    untuned: { type: "boolean", default: false },
    "server-env": { type: "string", multiple: true, default: [] },
    "server-arg": { type: "string", multiple: true, default: [] },
    warmup: { type: "string", default: "15" },
  },
});
const CREATES = Number(args.creates);
const CLIENTS = Number(args.clients);
const WATCH_SAMPLES = Number(args["watch-samples"]);
const WARMUP_S = Number(args.warmup);
const tmp = mkdtempSync(join(tmpdir(), "kubun-bench-api-"));

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** Spawns `cmd` and waits for the "listening on https://…" line it prints. */
async function spawnListening(cmd: string[], env?: Record<string, string>, stderrFile?: string): Promise<{ proc: Bun.Subprocess; url: string }> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: stderrFile ? Bun.file(stderrFile) : "inherit", env: env && { ...process.env, ...env } });
  let out = "";
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
    out += new TextDecoder().decode(chunk);
    const m = /listening on (https:\/\/\S+)/.exec(out);
    if (m) return { proc, url: m[1]! };
  }
  throw new Error(`${cmd.join(" ")} did not start`);
}

/** The JSC settings the server runs with: the `kubun` command's (package.json's script, main.ts's shebang), or none with --untuned. */
const SERVER_JSC: Record<string, string> = { ...(args.untuned ? {} : KUBUN_JSC_ENV), ...Object.fromEntries(args["server-env"]!.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])) };

async function startServer(name = "server", extra: string[] = [], env?: Record<string, string>, runtime: string[] = [], stderrFile?: string): Promise<{ proc: Bun.Subprocess; url: string; token: string; ca: string }> {
  const dataDir = join(tmp, name);
  const { proc, url } = await spawnListening([process.execPath, ...runtime, "src/cli/main.ts", "server", "--data-dir", dataDir, "--port", "0", "--bind", "127.0.0.1", ...extra], { ...SERVER_JSC, ...env }, stderrFile);
  return { proc, url, token: readFileSync(join(dataDir, "admin.token"), "utf8").trim(), ca: readFileSync(join(dataDir, "tls", "ca.crt"), "utf8") };
}

/** Create i goes to one of `urls` in turn: clients spread over several servers. */
const createRequest = (url: string | string[]) => {
  const urls = Array.isArray(url) ? url : [url];
  return (i: number) => ({ url: `${urls[i % urls.length]}/api/v1/namespaces/bench/configmaps`, body: JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } }) });
};

/** --datastore postgres: creates/s on one and on two servers sharing a private PostgreSQL, and cross-server watch latency. */
async function postgresFigures(): Promise<Record<string, number>> {
  const pg = await startPostgres({ durable: true });
  const stops: Bun.Subprocess[] = [];
  const server = ["--disable-scheduler", "--disable-controller-manager"];
  try {
    const one = await pg.createDatabase("bench_one");
    progress("PostgreSQL: one server");
    const a = await startServer("pg-one", ["--datastore-endpoint", one, ...server]);
    stops.push(a.proc);
    const headers = { authorization: `Bearer ${a.token}`, "content-type": "application/json" };
    await fetch(`${a.url}/api/v1/namespaces`, { method: "POST", body: JSON.stringify({ metadata: { name: "bench" } }), headers, tls: { ca: a.ca } } as RequestInit);
    const single = await load(CLIENTS, CREATES, createRequest(a.url), headers, a.ca, 201);
    a.proc.kill();
    await a.proc.exited;

    progress("PostgreSQL: two servers, clients spread over both");
    const two = await pg.createDatabase("bench_two");
    const p = await startServer("pg-a", ["--datastore-endpoint", two, ...server]);
    stops.push(p.proc);
    const token = readFileSync(join(tmp, "pg-a", "server.token"), "utf8").trim();
    const q = await startServer("pg-b", ["--datastore-endpoint", two, ...server, "--token", token]);
    stops.push(q.proc);
    const h2 = { authorization: `Bearer ${p.token}`, "content-type": "application/json" };
    await fetch(`${p.url}/api/v1/namespaces`, { method: "POST", body: JSON.stringify({ metadata: { name: "bench" } }), headers: h2, tls: { ca: p.ca } } as RequestInit);
    const pair = await load(CLIENTS, CREATES, createRequest([p.url, q.url]), h2, p.ca, 201);
    progress(`PostgreSQL: cross-server watch delivery over ${WATCH_SAMPLES} creates`);
    const onB = (path: string, init: RequestInit = {}) => fetch(`${q.url}${path}`, { ...init, headers: h2, tls: { ca: p.ca } } as RequestInit);
    const list: any = await (await onB("/api/v1/namespaces/bench/configmaps?limit=1")).json();
    const sent = new Map<string, number>();
    const cross = watchLatencies(onB, list.metadata.resourceVersion, sent);
    await Bun.sleep(200);
    for (let i = 0; i < WATCH_SAMPLES; i++) {
      const name = `x-${i}`;
      sent.set(name, performance.now());
      await (await fetch(`${p.url}/api/v1/namespaces/bench/configmaps`, { method: "POST", body: JSON.stringify({ metadata: { name } }), headers: h2, tls: { ca: p.ca } } as RequestInit)).arrayBuffer();
    }
    await cross.seen(WATCH_SAMPLES);
    cross.stop();
    return {
      pg_one_server_creates_per_s: Math.round(single.perS),
      pg_two_servers_creates_per_s: Math.round(pair.perS),
      pg_failed: single.failed + pair.failed,
      pg_cross_watch_samples: cross.latencies.length,
      pg_cross_watch_p50_ms: Number(percentile(cross.latencies, 50).toFixed(2)),
      pg_cross_watch_p99_ms: Number(percentile(cross.latencies, 99).toFixed(2)),
    };
  } finally {
    for (const proc of stops) {
      proc.kill();
      await proc.exited;
    }
    await pg.close();
  }
}

/** A watch on the bench namespace's ConfigMaps that times each event against when its create was sent. */
function watchLatencies(call: (path: string, init?: RequestInit) => Promise<Response>, resourceVersion: string, sent: Map<string, number>) {
  const ac = new AbortController();
  const latencies: number[] = [];
  /** When each object's event arrived, by name. */
  const arrived = new Map<string, number>();
  const waiters: { n: number; resolve: () => void }[] = [];
  // Bun's fetch resolves only at the first event: start the watch, then write.
  const watching = call(`/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=${resourceVersion}`, { signal: ac.signal });
  (async () => {
    try {
      for await (const value of ndjson((await watching).body!)) {
        const name = (value as { object: { metadata: { name: string } } }).object.metadata.name;
        const at = sent.get(name);
        arrived.set(name, performance.now());
        if (at !== undefined) latencies.push(performance.now() - at);
        for (const w of waiters.filter((w) => latencies.length >= w.n)) w.resolve();
      }
    } catch {}
  })();
  return {
    latencies,
    arrived,
    /** Resolves once `n` events have been timed, or after `ms`. */
    seen: (n: number, ms = 30_000) => new Promise<void>((resolve) => {
      if (latencies.length >= n) return resolve();
      waiters.push({ n, resolve });
      setTimeout(resolve, ms);
    }),
    stop: () => ac.abort(),
  };
}

/** WARMUP_S seconds of the same requests before a timed run (api-load.ts); how many were made. */
async function warmUp(what: string, request: (i: number) => { url: string; body: string }, headers: Record<string, string>, ca: string, expected: number): Promise<number> {
  if (!(WARMUP_S > 0)) return 0;
  progress(`warming ${what} up: ${WARMUP_S} s of the same requests`);
  return warmUpFor(CLIENTS, WARMUP_S, what, request, headers, ca, expected);
}

const progress = (msg: string) => process.stderr.write(`bench:api: ${msg}\n`);

async function main(): Promise<void> {
  progress("raw bun:sqlite ceiling");
  const raw = rawCeiling(CREATES, tmp);
  progress("starting kubun server");
  const stagesFile = join(tmp, "stages.json");
  const profDir = args["cpu-prof"];
  const timed = args.stages || args.tail;
  const gcLog = join(tmp, "server-gc.log");
  const traceEnv: Record<string, string> = args.tail ? { KUBUN_TAIL_TRACE: "1", BUN_JSC_logGC: "1" } : {};
  const server = await startServer("server", args["server-arg"]!, timed ? { KUBUN_STAGE_TIMERS: stagesFile, ...traceEnv } : undefined, profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`, "--cpu-prof-md"] : [], args.tail ? gcLog : undefined);
  const headers = { authorization: `Bearer ${server.token}`, "content-type": "application/json" };
  const call = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers, tls: { ca: server.ca } } as RequestInit);
  await call("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "bench" } }) });
  // The warm-up's creates go to a namespace of their own, so the timed ones start from the same names.
  await call("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "warmup" } }) });
  const warmedUp = await warmUp("the server", (i) => ({ url: `${server.url}/api/v1/namespaces/warmup/configmaps`, body: JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } }) }), headers, server.ca, 201);

  // 1. Durable creates/s with CLIENTS concurrent clients, a watch timing each create's event.
  progress(`${CREATES} creates from ${CLIENTS} clients, watched`);
  const before: any = await (await call("/api/v1/namespaces/bench/configmaps?limit=1")).json();
  const burstSent = new Map<string, number>();
  const burstAcked = new Map<string, number>();
  const burstWatch = watchLatencies(call, before.metadata.resourceVersion, burstSent);
  await Bun.sleep(200);
  if (timed) await stageTotals(server.proc, stagesFile);
  const gcFrom = args.tail ? statSync(gcLog).size : 0;
  const trips: RoundTrip[] = [];
  const cpuBefore = cpuSeconds(server.proc.pid);
  const creates = await load(CLIENTS, CREATES, createRequest(server.url), headers, server.ca, 201, burstSent, (i) => `cm-${i}`, burstAcked, trips);
  const serverCpuUs = Math.round(((cpuSeconds(server.proc.pid) - cpuBefore) * 1e6) / Math.max(1, creates.ok));
  const gcText = args.tail ? gcLogSince(gcLog, gcFrom) : "";
  await burstWatch.seen(creates.ok);
  // Under a closed loop of CLIENTS, send → event is at least a create's own round trip (CLIENTS /
  // rate, by Little's law); answer → event is what the watch adds: the event's lag behind the
  // 201 its create got (0 when the event came first).
  const afterAck = [...burstAcked].map(([name, at]) => Math.max(0, (burstWatch.arrived.get(name) ?? Infinity) - at));
  const totals = timed ? await stageTotals(server.proc, stagesFile) : undefined;
  const stages = totals ? stageBreakdown(totals, creates.ok) : undefined;
  const tail = args.tail ? { ...tailBreakdown((totals as unknown as { trace: Trace }).trace, trips), gc: gcSummary(gcText) } : undefined;
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
  await warmUp("the bare HTTPS server", createRequest(floor.url), headers, server.ca, 201);
  const floorTrips: RoundTrip[] = [];
  const transport = await load(CLIENTS, CREATES, createRequest(floor.url), headers, server.ca, 201, undefined, undefined, undefined, floorTrips);
  floor.proc.kill();
  await floor.proc.exited;

  // 3b. The fixed shape's floor (bench/shape-floor.ts): the same clients, bodies and one watcher, same warm-up.
  const shapeFloor = await shapeFloorRun({ tlsDir: tls, dataDir: tmp, env: SERVER_JSC, clients: CLIENTS, creates: CREATES, headers, ca: server.ca, spawnListening, warmUp, createRequest, watchLatencies, progress });

  // 4. The peer: etcd taking puts of the same size from the same clients, over TLS on loopback.
  const etcdNote = await ensureEtcd();
  let etcd: LoadResult | undefined;
  if (!etcdNote) {
    progress(`etcd: ${CREATES} puts of ${stored.length} bytes from ${CLIENTS} clients`);
    const peer = await startEtcd({ certFile: join(tls, "serving.crt"), keyFile: join(tls, "serving.key"), caPem: server.ca });
    try {
      await warmUp("etcd", (i) => ({ url: `${peer.url}/v3/kv/put`, body: etcdPut(`/registry/configmaps/warmup/cm-${i}`, stored) }), { "content-type": "application/json" }, server.ca, 200);
      etcd = await load(CLIENTS, CREATES, (i) => ({ url: `${peer.url}/v3/kv/put`, body: etcdPut(`/registry/configmaps/bench/cm-${i}`, stored) }), { "content-type": "application/json" }, server.ca, 200);
    } finally {
      await peer.stop();
    }
  }
  const failed = creates.failed;
  const createsPerS = creates.perS;
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
    shape_floor_creates_per_s: Math.round(shapeFloor.creates.perS),
    shape_floor_share_of_bare_https: Number((shapeFloor.creates.perS / transport.perS).toFixed(3)),
    ratio_of_shape_floor: Number((createsPerS / shapeFloor.creates.perS).toFixed(3)),
    server_cpu_us_per_create: serverCpuUs,
    shape_floor_cpu_us_per_create: shapeFloor.cpuUsPerCreate,
    shape_floor_commits: shapeFloor.commits,
    shape_floor_watch_samples_under_load: shapeFloor.watched,
    shape_floor_watch_p99_under_load_ms: Number(percentile(shapeFloor.latencies, 99).toFixed(2)),
    shape_floor_round_trip_p50_ms: roundTrip(shapeFloor.trips, 50),
    shape_floor_round_trip_p99_ms: roundTrip(shapeFloor.trips, 99),
    watch_samples: latencies.length,
    watch_p50_ms: Number(percentile(latencies, 50).toFixed(2)),
    watch_p99_ms: Number(percentile(latencies, 99).toFixed(2)),
    watch_samples_under_load: underLoad.length,
    watch_p50_under_load_ms: Number(percentile(underLoad, 50).toFixed(2)),
    watch_p99_under_load_ms: Number(percentile(underLoad, 99).toFixed(2)),
    watch_after_answer_p50_under_load_ms: Number(percentile(afterAck, 50).toFixed(2)),
    watch_after_answer_p99_under_load_ms: Number(percentile(afterAck, 99).toFixed(2)),
    shape_floor_ratio_of_etcd: etcd ? Number((shapeFloor.creates.perS / etcd.perS).toFixed(3)) : null,
    etcd_value_bytes: stored.length,
    etcd_puts_per_s: etcd ? Math.round(etcd.perS) : null,
    ratio_of_etcd: etcd ? Number((createsPerS / etcd.perS).toFixed(3)) : null,
    etcd_note: etcdNote ?? null,
    warmup_s: WARMUP_S,
    warmup_creates: warmedUp,
    server_jsc_env: Object.entries(SERVER_JSC).map(([k, v]) => `${k}=${v}`).join(" "),
    ...(stages ? { stages_us_per_create: stages } : {}),
    create_round_trip_p50_ms: roundTrip(trips, 50),
    create_round_trip_p99_ms: roundTrip(trips, 99),
    bare_https_round_trip_p50_ms: roundTrip(floorTrips, 50),
    bare_https_round_trip_p99_ms: roundTrip(floorTrips, 99),
    ...(tail ? { tail } : {}),
  };
  if (!args.json) {
    console.log("kubun API bench (durable writes: WAL, synchronous=FULL)");
    console.log(`  raw bun:sqlite batched inserts   ${result.raw_sqlite_inserts_per_s.toLocaleString()} rows/s (ceiling)`);
    console.log(`  bare Bun HTTPS, fixed answer     ${result.bare_https_requests_per_s.toLocaleString()} requests/s (transport ceiling, same client)`);
    console.log(`  API creates, ${CLIENTS} clients          ${result.api_creates_per_s.toLocaleString()} creates/s (${(result.ratio_of_ceiling * 100).toFixed(1)}% of storage ceiling, ${(result.ratio_of_transport * 100).toFixed(1)}% of transport ceiling, ${failed} failed)`);
    console.log(`  fixed-shape floor, ${CLIENTS} clients   ${result.shape_floor_creates_per_s.toLocaleString()} creates/s (bench/shape-floor.ts: Hono + SQLite group commit, nothing else; ${(result.shape_floor_share_of_bare_https * 100).toFixed(1)}% of transport ceiling${etcd ? `, ${result.shape_floor_ratio_of_etcd}× etcd` : ""}; kubun = ${(result.ratio_of_shape_floor * 100).toFixed(1)}% of it)`);
    console.log(`    its CPU ${result.shape_floor_cpu_us_per_create} µs a create (kubun's server ${serverCpuUs} µs); ${shapeFloor.commits.groups} group commits of ${(shapeFloor.commits.rows / Math.max(1, shapeFloor.commits.groups)).toFixed(0)} rows, ${shapeFloor.commits.ms} ms of its event loop; its watch p99 under the burst ${result.shape_floor_watch_p99_under_load_ms} ms; round trips p50 ${result.shape_floor_round_trip_p50_ms} ms, p99 ${result.shape_floor_round_trip_p99_ms} ms`);
    console.log(`  etcd puts of ${result.etcd_value_bytes} B, ${CLIENTS} clients  ${etcd ? `${result.etcd_puts_per_s!.toLocaleString()} puts/s (kubun = ${result.ratio_of_etcd}× etcd)` : `not measured: ${etcdNote}`}`);
    console.log(`  watch delivery (send → event)    p50 ${result.watch_p50_ms} ms, p99 ${result.watch_p99_ms} ms over ${result.watch_samples} creates one at a time`);
    console.log(`  watch delivery under the burst   p50 ${result.watch_p50_under_load_ms} ms, p99 ${result.watch_p99_under_load_ms} ms over ${result.watch_samples_under_load} creates`);
    console.log(`    event after the create's answer p50 ${result.watch_after_answer_p50_under_load_ms} ms, p99 ${result.watch_after_answer_p99_under_load_ms} ms (a create's own round trip is ${((CLIENTS / createsPerS) * 1000).toFixed(1)} ms on average)`);
    if (stages) {
      console.log(`  CPU per create under the burst, by stage (µs; batched stages spread over their creates):`);
      for (const [name, us] of Object.entries(stages)) console.log(`    ${name.padEnd(16)} ${us.toFixed(1).padStart(7)}`);
    }
    console.log(`  round trips under the burst      creates p50 ${result.create_round_trip_p50_ms} ms, p99 ${result.create_round_trip_p99_ms} ms; bare HTTPS p50 ${result.bare_https_round_trip_p50_ms} ms, p99 ${result.bare_https_round_trip_p99_ms} ms`);
    if (tail) for (const line of tailLines(tail)) console.log(line);
    if ("pg_one_server_creates_per_s" in pg) {
      console.log(`  PostgreSQL (fsync on), 1 server  ${pg.pg_one_server_creates_per_s!.toLocaleString()} creates/s`);
      console.log(`  PostgreSQL, 2 servers            ${pg.pg_two_servers_creates_per_s!.toLocaleString()} creates/s (clients spread over both, ${pg.pg_failed} failed)`);
      console.log(`  cross-server watch (A → B)       p50 ${pg.pg_cross_watch_p50_ms} ms, p99 ${pg.pg_cross_watch_p99_ms} ms`);
    }
  }
  console.log(JSON.stringify(result));
  // Failures don't count as creates, and fail the run.
  const failures = [["kubun", creates], ["bare HTTPS", transport], ["fixed-shape floor", shapeFloor.creates], ...(etcd ? [["etcd", etcd] as const] : [])] as const;
  let bad = false;
  for (const [name, r] of failures) {
    if (r.failed === 0) continue;
    bad = true;
    console.error(`bench:api: ${r.failed} ${name} requests failed, e.g.:\n  ${r.failures.join("\n  ")}`);
  }
  if ((pg.pg_failed ?? 0) > 0) {
    bad = true;
    console.error(`bench:api: ${pg.pg_failed} PostgreSQL creates failed`);
  }
  if (shapeFloor.watched !== shapeFloor.creates.ok) {
    bad = true;
    console.error(`bench:api: the fixed-shape floor's watch saw ${shapeFloor.watched} of ${shapeFloor.creates.ok} creates`);
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
