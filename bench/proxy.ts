// `bun run bench:proxy`: the service proxy's forwarder against a direct connection and HAProxy
// (TCP mode) on loopback. Each target serves an echo port and a sink port in front of the same
// backend process; kubun's forwarder (once splicing in the kernel, once copying through Bun's
// callbacks) and HAProxy run in their own processes, the load generator here. Prints a table,
// then as its LAST line one JSON object; the goals are judged on the forwarder's default mode.
//
//   bun bench/proxy.ts [--bulk-mb 1024] [--bulk-conns 4] [--rounds 5] [--warmup-mb 256] [--seconds 2] [--rr-conns 16]
//                      [--pings 20000] [--haproxy-threads CORES] [--no-haproxy] [--modes auto,splice,copy]
//                      [--kubun-jsc agent|defaults]
// kubun's forwarder runs with the JSC options `kubun agent` runs with (agent/jsc-options.ts), as
// the proxy lives in the agent's process; --kubun-jsc defaults gives it JSC's defaults instead.
// Bulk: every target first takes one untimed transfer (--warmup-mb: the client's code warm, and
// kubun's splice worker, which starts with the first connection worth splicing, running), then
// --rounds rounds take every target in turn. A ratio to direct is the median of the rounds' own
// ratios: a round's direct and proxied transfers run back to back, so a load that comes and goes
// on this shared machine weighs on both alike. `bulkCpuMsPerGB` says whose CPU a gigabyte costs
// in the timed rounds (the load generator, the backend's sink, the proxy: every thread's run time
// from /proc/PID/task/*/schedstat): on two cores bulk throughput is what the CPU allows.
import type { Socket } from "bun";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AGENT_JSC_OPTIONS } from "../agent/jsc-options.ts";
import { Forwarder, type TcpForwarding } from "../src/proxy/forwarder.ts";
import { ensureRouteTableBuilt } from "../src/proxy/wasm-route-loader.ts";
import { createWasmRouteTable } from "../src/proxy/wasm-route-table.ts";
import { echoServer } from "../test/helpers/loopback-servers.ts";

const BACKEND = "127.0.0.2";
const FRONT = "127.0.0.1";
type Ports = { echo: number; sink: number };
/** Where the load generator connects: the backend itself, or a proxy in front of it. */
interface Target extends Ports {
  host: string;
}

// ---- child roles --------------------------------------------------------------------------

/** Echo, and a sink that answers FIN with the byte count it swallowed. */
function backend(): void {
  const echo = echoServer(BACKEND);
  const sink = Bun.listen<{ n: number }>({
    hostname: BACKEND, port: 0, allowHalfOpen: true,
    socket: {
      open(s) { s.data = { n: 0 }; },
      data(s, d) { s.data.n += d.byteLength; },
      end(s) { s.write(`${s.data.n}`); s.shutdown(); },
    },
  });
  console.log(JSON.stringify({ echo: echo.port, sink: sink.port }));
}

/** kubun's forwarder, routing through the wasm table exactly as the proxy does. */
async function kubunProxy(target: Ports, tcpForwarding: TcpForwarding): Promise<void> {
  await ensureRouteTableBuilt();
  const table = createWasmRouteTable();
  const forwarder = new Forwarder({ tcpForwarding });
  const out: Record<string, number> = {};
  for (const name of ["echo", "sink"] as const) {
    table.setEndpoints(name, [{ ip: BACKEND, port: target[name] }]);
    out[name] = await forwarder.listen({ protocol: "TCP", hostname: FRONT, port: 0 }, (ip) => table.pick(name, ip, performance.now()));
  }
  console.log(JSON.stringify(out));
}

// ---- load ---------------------------------------------------------------------------------

function connect(host: string, port: number, handlers: { data?: (d: Buffer) => void; drain?: () => void; close?: () => void }): Promise<Socket> {
  return Bun.connect({
    hostname: host, port, allowHalfOpen: true,
    socket: {
      data: (_s, d) => handlers.data?.(d),
      drain: () => handlers.drain?.(),
      close: () => handlers.close?.(),
      error: () => {},
    },
  });
}

/** Bytes/s pushed through `conns` connections to the sink, counting until the sink confirms. */
async function bulk(host: string, port: number, totalBytes: number, conns: number): Promise<number> {
  const chunk = new Uint8Array(1 << 20).fill(7);
  const per = Math.floor(totalBytes / conns);
  const started = performance.now();
  await Promise.all(Array.from({ length: conns }, () => new Promise<void>((resolve, reject) => {
    let sent = 0;
    let reply = "";
    let s: Socket | undefined;
    const pump = () => {
      while (s && sent < per) {
        const n = s.write(chunk, 0, Math.min(chunk.byteLength, per - sent));
        if (n <= 0) return;
        sent += n;
      }
      if (s && sent >= per) s.shutdown();
    };
    connect(host, port, {
      data: (d) => { reply += d.toString(); },
      drain: pump,
      close: () => (Number(reply) === per ? resolve() : reject(new Error(`sink got ${reply}, sent ${per}`))),
    }).then((sock) => { s = sock; pump(); }, reject);
  })));
  return (per * conns) / ((performance.now() - started) / 1000);
}

/** Round trips of `size`-byte messages on `conns` connections for `seconds`; returns RTTs (µs). */
async function pingPong(host: string, port: number, conns: number, seconds: number, size: number, maxPings = Infinity): Promise<number[]> {
  const msg = new Uint8Array(size).fill(1);
  const rtts: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: conns }, () => new Promise<void>((resolve, reject) => {
    let got = 0;
    let sentAt = 0;
    let count = 0;
    let s: Socket | undefined;
    const send = () => { got = 0; sentAt = performance.now(); s!.write(msg); };
    connect(host, port, {
      data: (d) => {
        got += d.byteLength;
        if (got < size) return;
        const now = performance.now();
        rtts.push((now - sentAt) * 1000);
        if (++count >= maxPings || now >= deadline) s!.end();
        else send();
      },
      close: resolve,
    }).then((sock) => { s = sock; send(); }, reject);
  })));
  return rtts;
}

/** New connections/s: connect, one byte echoed, close; `conns` loops in parallel. */
async function connectRate(host: string, port: number, conns: number, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let done = 0;
  const one = () => new Promise<void>((resolve, reject) => {
    connect(host, port, { data: () => {}, close: resolve }).then((s) => {
      // Half-close after the byte: the echo server answers and closes, so the close is complete.
      s.write("x");
      s.shutdown();
    }, reject);
  });
  await Promise.all(Array.from({ length: conns }, async () => {
    while (performance.now() < deadline) {
      await one();
      done++;
    }
  }));
  return done / ((performance.now() - started) / 1000);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

// ---- targets ------------------------------------------------------------------------------

/** CPU time (s) of every thread of `pid` so far, from the scheduler's own accounting (ns). */
function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}

async function startChild(args: string[], env?: Record<string, string>): Promise<{ ports: Ports; pid: number; kill: () => void }> {
  const proc = Bun.spawn([process.execPath, import.meta.path, ...args], { stdout: "pipe", stderr: "inherit", env: { ...process.env, ...env } });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`bench child ${args.join(" ")} exited early`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { ports: JSON.parse(text.split("\n")[0]!), pid: proc.pid, kill: () => proc.kill() };
}

async function freePort(): Promise<number> {
  const l = Bun.listen({ hostname: FRONT, port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

/** Installs HAProxy the way scripts/prepare.ts installs host packages; a note when it cannot. */
async function ensureHaproxy(): Promise<string | undefined> {
  if (existsSync("/usr/sbin/haproxy")) return undefined;
  if (process.getuid?.() !== 0) return "haproxy is not installed and we are not root to apt-get it";
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const cmd of [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "haproxy"]]) {
    const code = await Bun.spawn(cmd, { env, stdout: "ignore", stderr: "inherit" }).exited;
    if (code !== 0) return `${cmd.join(" ")} failed (${code})`;
  }
  return existsSync("/usr/sbin/haproxy") ? undefined : "haproxy still missing after apt-get install";
}

/**
 * HAProxy in its best configuration for this machine, for TCP forwarding: one thread per core,
 * kernel splicing whenever it pays (`option splice-auto`), and bulk-sized buffers — 64 kB instead
 * of the 16 kB default (`tune.bufsize`, the docs' advice for large transfers: fewer wake-ups per
 * byte) with a 256 kB splice pipe (`tune.pipesize`).
 */
export function haproxyConfig(threads: number, front: Ports, target: Ports): string {
  return [
    "global", `  nbthread ${threads}`, "  maxconn 4000", "  tune.bufsize 65536", "  tune.pipesize 262144",
    "defaults", "  mode tcp", "  option splice-auto", "  timeout connect 5s", "  timeout client 60s", "  timeout server 60s",
    ...(["echo", "sink"] as const).flatMap((n) => [
      `listen ${n}`, `  bind ${FRONT}:${front[n]}`, `  server s1 ${BACKEND}:${target[n]}`,
    ]),
  ].join("\n") + "\n";
}

async function startHaproxy(target: Ports, threads: number): Promise<{ ports: Ports; pid: number; config: string; kill: () => void }> {
  const ports = { echo: await freePort(), sink: await freePort() };
  const dir = mkdtempSync(join(tmpdir(), "kubun-haproxy-"));
  const cfg = join(dir, "haproxy.cfg");
  const config = haproxyConfig(threads, ports, target);
  writeFileSync(cfg, config);
  const proc = Bun.spawn(["/usr/sbin/haproxy", "-db", "-f", cfg], { stdout: "ignore", stderr: "inherit" });
  for (let i = 0; i < 200; i++) {
    const up = await Bun.connect({ hostname: FRONT, port: ports.echo, socket: { data() {} } }).then((s) => (s.end(), true), () => false);
    if (up) {
      return {
        ports,
        pid: proc.pid,
        config,
        kill: () => {
          proc.kill();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (proc.exitCode !== null) break;
    await Bun.sleep(25);
  }
  proc.kill();
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`haproxy did not start; its config was:\n${config}`);
}

// ---- main ---------------------------------------------------------------------------------

interface Result {
  bulkMBps: number;
  rrPerSecond: number;
  p50us: number;
  p99us: number;
  connectionsPerSecond: number;
}

/** Everything but bulk throughput, which main() measures in interleaved rounds. */
async function measure(t: Target, o: { seconds: number; rrConns: number; pings: number }): Promise<Omit<Result, "bulkMBps">> {
  await pingPong(t.host, t.echo, 4, 0.3, 64); // warm up: JIT, connection paths
  const rr = await pingPong(t.host, t.echo, o.rrConns, o.seconds, 64);
  const lat = await pingPong(t.host, t.echo, 1, 60, 64, o.pings);
  const cps = await connectRate(t.host, t.echo, 16, o.seconds);
  return { rrPerSecond: rr.length / o.seconds, p50us: percentile(lat, 50), p99us: percentile(lat, 99), connectionsPerSecond: cps };
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      role: { type: "string" }, target: { type: "string" },
      "bulk-mb": { type: "string", default: "1024" }, "bulk-conns": { type: "string", default: "4" },
      seconds: { type: "string", default: "2" }, "rr-conns": { type: "string", default: "16" },
      pings: { type: "string", default: "20000" }, "haproxy-threads": { type: "string", default: String(availableParallelism()) }, rounds: { type: "string", default: "5" },
      "warmup-mb": { type: "string", default: "256" },
      "no-haproxy": { type: "boolean", default: false }, "kubun-jsc": { type: "string", default: "agent" }, modes: { type: "string", default: "auto,splice,copy" }, mode: { type: "string" },
    },
  });
  if (v.role === "backend") return backend();
  if (v.role === "kubun") return kubunProxy(JSON.parse(v.target!), v.mode as TcpForwarding);

  const o = {
    bulkBytes: Number(v["bulk-mb"]) * (1 << 20), bulkConns: Number(v["bulk-conns"]), seconds: Number(v.seconds),
    rrConns: Number(v["rr-conns"]), pings: Number(v.pings),
  };
  const threads = Number(v["haproxy-threads"]);
  const back = await startChild(["--role", "backend"]);
  const modes = v.modes!.split(",") as TcpForwarding[];
  // The proxy runs inside `kubun agent`, so by default with the agent's JSC options.
  const kubunEnv: Record<string, string> = v["kubun-jsc"] === "defaults" ? {} : { ...AGENT_JSC_OPTIONS };
  const kubunJscOptions = Object.entries(kubunEnv).map(([k, val]) => `${k}=${val}`).join(" ");
  const kubuns = await Promise.all(modes.map((mode) => startChild(["--role", "kubun", "--mode", mode, "--target", JSON.stringify(back.ports)], kubunEnv)));
  const haproxyNote = v["no-haproxy"] ? "skipped (--no-haproxy)" : await ensureHaproxy();
  const haproxy = haproxyNote ? undefined : await startHaproxy(back.ports, threads);

  const results: Record<string, Result> = {};
  /** Every round's MB/s per target, in round order. */
  const bulkRounds: Record<string, number[]> = {};
  /** CPU ms per GB moved in the timed bulk rounds, by process (see the README's agent section). */
  const bulkCpuMsPerGB: Record<string, { client: number; backend: number; proxy: number }> = {};
  try {
    console.log(`proxy bench: bulk ${v["bulk-mb"]} MB over ${o.bulkConns} connections (median of ${v.rounds} rounds), ${o.rrConns} request/response connections ` +
      `for ${o.seconds}s, ${o.pings} pings of 64 B, connect loop x16; ${FRONT} -> ${BACKEND}; kubun runs with ${kubunJscOptions || "JSC's defaults"}`);
    const targets: [string, Target][] = [
      ["direct", { host: BACKEND, ...back.ports }],
      ...modes.map((mode, i): [string, Target] => [`kubun (${mode})`, { host: FRONT, ...kubuns[i]!.ports }]),
      ...(haproxy ? [["haproxy", { host: FRONT, ...haproxy.ports }] as [string, Target]] : []),
    ];
    const rest = new Map<string, Omit<Result, "bulkMBps">>();
    for (const [name, t] of targets) rest.set(name, await measure(t, o));
    // Bulk throughput in rounds that take every target in turn, and the median of each: one
    // transfer of a second or so swings with whatever else these 2 cores are doing.
    const bulks = new Map<string, number[]>(targets.map(([name]) => [name, []]));
    const warmupBytes = Number(v["warmup-mb"]) * (1 << 20);
    if (warmupBytes > 0) for (const [, t] of targets) await bulk(t.host, t.sink, warmupBytes, o.bulkConns);
    // Whose CPU each byte costs: the load generator (this process), the backend's sink, the proxy.
    const pidOf: Record<string, number | undefined> = Object.fromEntries([
      ["direct", undefined], ...modes.map((mode, i) => [`kubun (${mode})`, kubuns[i]!.pid]), ["haproxy", haproxy?.pid],
    ]);
    const cpu = new Map<string, { client: number; backend: number; proxy: number; bytes: number }>(targets.map(([name]) => [name, { client: 0, backend: 0, proxy: 0, bytes: 0 }]));
    for (let round = 0; round < Number(v.rounds); round++) {
      for (const [name, t] of targets) {
        const proxyPid = pidOf[name];
        const before = [cpuSeconds(process.pid), cpuSeconds(back.pid), proxyPid ? cpuSeconds(proxyPid) : 0];
        bulks.get(name)!.push(await bulk(t.host, t.sink, o.bulkBytes, o.bulkConns));
        const c = cpu.get(name)!;
        c.client += cpuSeconds(process.pid) - before[0]!;
        c.backend += cpuSeconds(back.pid) - before[1]!;
        if (proxyPid) c.proxy += cpuSeconds(proxyPid) - before[2]!;
        c.bytes += Math.floor(o.bulkBytes / o.bulkConns) * o.bulkConns;
      }
    }
    for (const [name, c] of cpu) {
      const perGB = (x: number) => Math.round((x / (c.bytes / 1e9)) * 1000);
      bulkCpuMsPerGB[name] = { client: perGB(c.client), backend: perGB(c.backend), proxy: perGB(c.proxy) };
    }
    for (const [name] of targets) results[name] = { bulkMBps: percentile(bulks.get(name)!, 50) / 1e6, ...rest.get(name)! };
    for (const [name, xs] of bulks) bulkRounds[name] = xs.map((x) => Math.round(x / 1e6));
  } finally {
    back.kill();
    for (const k of kubuns) k.kill();
    haproxy?.kill();
  }

  const fmt = (n: number, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  const head = ["target", "bulk MB/s", "req/s (64 B)", "p50 µs", "p99 µs", "added p50 µs", "added p99 µs", "new conns/s"];
  const d = results.direct!;
  const rows = Object.entries(results).map(([name, r]) => [
    name, fmt(r.bulkMBps), fmt(r.rrPerSecond), fmt(r.p50us, 1), fmt(r.p99us, 1),
    name === "direct" ? "-" : fmt(r.p50us - d.p50us, 1), name === "direct" ? "-" : fmt(r.p99us - d.p99us, 1), fmt(r.connectionsPerSecond),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(["", line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));

  const k = results[`kubun (${modes[0]})`]!;
  const h = results.haproxy;
  // Per round, kubun's bulk over the direct (and HAProxy's) transfer of the same round.
  const roundRatios = (name: string, over: string) => (bulkRounds[name] ?? []).map((x, i) => x / bulkRounds[over]![i]!);
  const kubunBulkVsDirectRounds = roundRatios(`kubun (${modes[0]})`, "direct");
  const haproxyBulkVsDirectRounds = h ? roundRatios("haproxy", "direct") : [];
  const summary = {
    bench: "proxy",
    results,
    kubunMode: modes[0],
    kubunJscOptions,
    // The median of the rounds' ratios (each round's transfers back to back); the ratio of the
    // medians, as before, is kubunBulkVsDirectOfMedians.
    kubunBulkVsDirect: percentile(kubunBulkVsDirectRounds, 50),
    kubunBulkVsDirectOfMedians: k.bulkMBps / d.bulkMBps,
    kubunBulkVsDirectRounds,
    haproxyBulkVsDirectRounds,
    bulkRoundsMBps: bulkRounds,
    bulkWarmupMB: Number(v["warmup-mb"]),
    bulkCpuMsPerGB,
    kubunBulkVsHaproxy: h ? percentile(roundRatios(`kubun (${modes[0]})`, "haproxy"), 50) : null,
    kubunAddedP50us: k.p50us - d.p50us,
    kubunAddedP99us: k.p99us - d.p99us,
    // The performance issue's goals against HAProxy: added p50 at most 1.5× its added p50, and new
    // connections/s at least 80% of its.
    kubunAddedP50VsHaproxy: h ? (k.p50us - d.p50us) / (h.p50us - d.p50us) : null,
    kubunConnectionsVsHaproxy: h ? k.connectionsPerSecond / h.connectionsPerSecond : null,
    haproxy: haproxyNote ?? haproxy!.config,
    goals: { bulkVsDirect: 0.6, bulkVsHaproxy: 0.8, addedP50us: 100 },
  };
  if (haproxy) console.log(`\nHAProxy's configuration:\n${haproxy.config}`);
  console.log("");
  console.log(`bulk MB/s per round: ${Object.entries(bulkRounds).map(([n, xs]) => `${n} ${xs.join(" ")}`).join("; ")}`);
  console.log(`bulk CPU ms per GB (load generator / backend sink / proxy): ${Object.entries(bulkCpuMsPerGB).map(([n, c]) => `${n} ${c.client} / ${c.backend} / ${c.proxy}`).join("; ")}`);
  console.log(`kubun (${modes[0]}) bulk / direct per round: ${kubunBulkVsDirectRounds.map((r) => r.toFixed(2)).join(" ")}` +
    (h ? `; HAProxy / direct per round: ${haproxyBulkVsDirectRounds.map((r) => r.toFixed(2)).join(" ")}` : ""));
  console.log(`kubun (${modes[0]}) bulk: ${(summary.kubunBulkVsDirect * 100).toFixed(0)}% of direct (median of the rounds' ratios; goal >= 60%)` +
    (h ? `, ${(summary.kubunBulkVsHaproxy! * 100).toFixed(0)}% of HAProxy (goal >= 80%)` : `; HAProxy: ${haproxyNote}`) +
    `; added p50 ${summary.kubunAddedP50us.toFixed(1)} µs (goal <= 100 µs)` +
    (h ? `, ${summary.kubunAddedP50VsHaproxy!.toFixed(2)}× HAProxy's added p50 (goal <= 1.5×); new connections ${(summary.kubunConnectionsVsHaproxy! * 100).toFixed(0)}% of HAProxy's (goal >= 80%)` : ""));
  console.log(JSON.stringify(summary));
}

await main();
