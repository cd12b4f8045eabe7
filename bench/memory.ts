// bun run bench:memory — the API server's memory at scale: a real server process (startServer,
// what `kubun server` runs: store, API, controllers and the in-process scheduler, SQLite file on
// disk), 5,000 Node objects and N pods created through the API by concurrent clients and bound
// by the server's own scheduler. Reports the server's peak RSS (VmHWM), RSS once settled, bytes
// per pod, and as the same-run baseline the size of the data itself (the objects' JSON, the
// SQLite file). What the server holds is what a real cluster's server holds: each bound pod gets
// the status a kubelet writes (phase, conditions, IPs, container statuses), and every node renews
// its Lease in kube-node-lease every 10 s, as agents do, for the whole run.
//   bun bench/memory.ts [--nodes 5000] [--pods 50000] [--clients 64] [--settle 10] [--smol]
//                       [--jsc NAME=VALUE ...]   (JavaScriptCore options for the server, as BUN_JSC_NAME=VALUE:
//                                                 --jsc forceMiniVMMode=1 measures JSC's small-heap mode)
//                       [--untuned]   (the server without the heap setting the kubun command starts with,
//                                      src/cli/heap-settings.ts: JSC's defaults, the same-run comparison)
//                       [--no-idle-collection]   (the server without its full collection after bursts, src/cli/idle-collector.ts)
//                       [--heap]   (the server's heap by object type, from bun:jsc heapStats)
//                       [--snapshot FILE]   (also a V8-format heap snapshot of the settled server)
//                       [--owners]   (at the end, the server's live heap by owner: the server taken apart
//                                     one owner at a time, a full GC after each step; bench/memory-owners.ts)
//                       [--server-log FILE]   (the server's stderr, kept)
//                       (with --jsc logGC=1, a summary of JSC's collections: gc_* keys)
//                       [--json]
import { heapStats } from "bun:jsc";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { KUBUN_JSC_ENV } from "../src/cli/heap-settings.ts";
import { startServer } from "../src/cli/server.ts";
import { heapByOwner } from "./memory-owners.ts";
import { recentEventCounts } from "../src/store/event-lines.ts";
import { KubeClient, resourceFor } from "../src/client/index.ts";
import { XorShift32 } from "../src/scheduler/tie-break.ts";
import { fakeNodes } from "./scheduler-core.ts";
import { concurrently } from "./fake-kubelets.ts";
import { kubeletStatus, nodeObject, WORKLOADS } from "./fake-objects.ts";
import { cpuSeconds, jscCollections, peakRssMb, rssMb } from "./processes.ts";

const ROOT = resolve(import.meta.dir, "..");
type Json = any;

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    nodes: { type: "string", default: "5000" },
    pods: { type: "string", default: "50000" },
    clients: { type: "string", default: "64" },
    settle: { type: "string", default: "10" },
    smol: { type: "boolean", default: false },
    jsc: { type: "string", multiple: true, default: [] },
    untuned: { type: "boolean", default: false },
    "no-idle-collection": { type: "boolean", default: false },
    heap: { type: "boolean", default: false },
    owners: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    snapshot: { type: "string" },
    "server-log": { type: "string" },
    serve: { type: "string" },
  },
});

/**
 * The server process. It runs startServer exactly as `kubun server` does, with one change: the
 * fake nodes have no agent renewing their Leases, so the node lifecycle controller's grace period
 * is stretched past the run, or it would taint all 5,000 nodes unreachable after 40 s and the
 * pods created after that would stay pending; and the cluster CIDR is one with a /24 for each of
 * them (the default /16 has 256, and the IPAM controller would retry the rest for the whole run,
 * which is not what a cluster of 5,000 nodes looks like). With KUBUN_HEAP_STATS=FILE, SIGUSR2 writes the
 * heap's object counts by type there (after a full GC), and with KUBUN_HEAP_SNAPSHOT=FILE also a
 * V8-format heap snapshot (Chrome DevTools' Memory tab reads it) before the counts.
 */
async function serve(dataDir: string): Promise<void> {
  const running = await startServer({
    dataDir,
    port: 0,
    bind: "127.0.0.1",
    controllers: { nodeMonitorGracePeriodSeconds: 86_400, clusterCIDR: "10.0.0.0/10" },
    ...(process.env.KUBUN_BENCH_NO_IDLE_COLLECTION === "1" ? { idleCollection: false as const } : {}),
  });
  const statsFile = process.env.KUBUN_HEAP_STATS;
  const snapshotFile = process.env.KUBUN_HEAP_SNAPSHOT;
  if (statsFile) {
    process.on("SIGUSR2", async () => {
      // The last request of an --owners run: the server taken apart (memory-owners.ts).
      if (existsSync(`${statsFile}.owners`)) {
        rmSync(`${statsFile}.owners`);
        const owners = await heapByOwner(running);
        await Bun.write(statsFile, JSON.stringify(owners));
        return;
      }
      Bun.gc(true);
      if (snapshotFile) await Bun.write(snapshotFile, Bun.generateHeapSnapshot("v8"));
      const s = heapStats();
      const top = Object.entries(s.objectTypeCounts).sort((a, b) => b[1] - a[1]).slice(0, 25);
      const mem = process.memoryUsage();
      const store = running.store.memoryStats?.();
      const informerEvents = { ...recentEventCounts };
      const idle = running.idleCollector?.stats;
      Bun.write(statsFile, JSON.stringify({ idle, heapSize: s.heapSize, heapCapacity: s.heapCapacity, extraMemorySize: s.extraMemorySize, objectCount: s.objectCount, rssAfterGc: mem.rss, informerEvents, fds: readdirSync("/proc/self/fd").length, top, store }));
    });
  }
  console.log(`kubun server listening on ${running.url}`);
  process.on("SIGTERM", async () => {
    await running.stop();
    process.exit(0);
  });
}

/** --jsc NAME=VALUE options as the BUN_JSC_NAME=VALUE variables Bun hands JavaScriptCore at start. */
function jscEnv(options: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const o of options) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.+)$/.exec(o);
    if (!m) throw new Error(`--jsc takes NAME=VALUE (a JavaScriptCore option), got ${o}`);
    env[`BUN_JSC_${m[1]}`] = m[2]!;
  }
  return env;
}

const int = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
  return n;
};
const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));
const log = (s: string) => args.json || process.stderr.write(`bench:memory: ${s}\n`);


/** Pods of the scheduler bench's workloads (but the tolerating one), labelled as 50 apps. */
const SHAPES = WORKLOADS.slice(0, 5);
function podObject(i: number, rng: XorShift32): Json {
  const app = `app-${i % 50}`;
  return { apiVersion: "v1", kind: "Pod", metadata: { name: `pod-${i}`, labels: { app } }, spec: SHAPES[rng.next() % SHAPES.length] };
}

async function firstLine(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<RegExpExecArray> {
  const decoder = new TextDecoder();
  let out = "";
  for await (const chunk of stream) {
    out += decoder.decode(chunk, { stream: true });
    const m = re.exec(out);
    if (m) return m;
  }
  throw new Error(`server exited before it was ready:\n${out}`);
}

async function heapOf(pid: number, file: string): Promise<Json> {
  rmSync(file, { force: true });
  process.kill(pid, "SIGUSR2");
  for (let i = 0; i < 1200 && !existsSync(file); i++) await Bun.sleep(100);
  await Bun.sleep(200);
  return JSON.parse(readFileSync(file, "utf8"));
}


async function main(): Promise<void> {
  const nodes = int("nodes", args.nodes);
  const podCount = int("pods", args.pods);
  const clients = int("clients", args.clients);
  const tmp = mkdtempSync(join(tmpdir(), "kubun-bench-memory-"));
  const dataDir = join(tmp, "server");
  const heapFile = join(tmp, "heap.json");
  // The server starts as `kubun server` does (package.json's script sets KUBUN_JSC_ENV), unless --untuned.
  const jsc = { ...(args.untuned ? {} : KUBUN_JSC_ENV), ...jscEnv(args.jsc) };
  const serverLog = args["server-log"] ? resolve(args["server-log"]) : join(tmp, "server.log");
  const proc = Bun.spawn([process.execPath, ...(args.smol ? ["--smol"] : []), "bench/memory.ts", "--serve", dataDir], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: Bun.file(serverLog),
    env: { ...process.env, ...jsc, KUBUN_HEAP_STATS: heapFile, ...(args["no-idle-collection"] ? { KUBUN_BENCH_NO_IDLE_COLLECTION: "1" } : {}), ...(args.snapshot ? { KUBUN_HEAP_SNAPSHOT: resolve(args.snapshot) } : {}) },
  });
  const api = { client: undefined as KubeClient | undefined };
  try {
    const url = (await firstLine(proc.stdout, /listening on (https:\/\/\S+)/))[1]!;
    const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
    const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const call = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers, tls: { ca } } as RequestInit);
    const patch = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: "PATCH", body: JSON.stringify(body), headers: { ...headers, "content-type": "application/merge-patch+json" }, tls: { ca } } as RequestInit);
    const post = async (path: string, body: unknown) => {
      const res = await call(path, { method: "POST", body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
    };
    const client = (api.client = new KubeClient({ server: url, token, ca, userAgent: "kubun-bench" }));
    await post("/api/v1/namespaces", { metadata: { name: "bench" } });
    const rssIdle = rssMb(proc.pid);

    let t = performance.now();
    const fake = fakeNodes(nodes);
    await concurrently(nodes, clients, (i) => post("/api/v1/nodes", nodeObject(fake[i]!)));
    log(`created ${nodes} nodes in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    // Every node's Lease, renewed every 10 s for the rest of the run, as agents renew them.
    const leaseBody = (name: string) => ({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace("Z", "000Z") } });
    await concurrently(nodes, clients, (i) => post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", leaseBody(fake[i]!.name)));
    let renewing = true;
    let renewals = 0;
    const renewer = (async () => {
      while (renewing) {
        const round = performance.now();
        await concurrently(nodes, 8, async (i) => {
          if (!renewing) return;
          const name = fake[i]!.name;
          const res = await patch(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`, { spec: { renewTime: new Date().toISOString().replace("Z", "000Z") } });
          await res.arrayBuffer();
          if (res.ok) renewals++;
        });
        await Bun.sleep(Math.max(0, 10_000 - (performance.now() - round)));
      }
    })();
    await Bun.sleep(2000);
    const rssNodes = rssMb(proc.pid);

    // Bound as a client sees it: the event that carries spec.nodeName.
    const pods = resourceFor("Pod");
    const bound = new Uint8Array(podCount);
    let boundCount = 0;
    // A kubelet's status write for each bound pod, as its node's agent would make it.
    const statusQueue: [string, string, number][] = [];
    let statusCount = 0;
    let inFlight = 0;
    let sleepers: (() => void)[] = [];
    const wakeAll = () => {
      const woken = sleepers;
      sleepers = [];
      for (const w of woken) w();
    };
    let allBound!: () => void;
    const done = new Promise<void>((r) => (allBound = r));
    if (podCount === 0) allBound();
    const rv = (await client.list(pods, { namespace: "bench", limit: 1 })).metadata.resourceVersion;
    const watchAbort = new AbortController();
    const watching = client.watch(pods, { namespace: "bench", resourceVersion: rv }, (ev) => {
      const obj = ev.object as Json;
      if (!obj.spec?.nodeName) return;
      const i = Number(obj.metadata.name.slice(4));
      if (bound[i]) return;
      bound[i] = 1;
      statusQueue.push([obj.metadata.name, obj.spec.nodeName, i]);
      wakeAll();
      if (++boundCount === podCount) allBound();
    }, watchAbort.signal);
    const statusWriters = Array.from({ length: 16 }, async () => {
      while (statusCount + inFlight < podCount) {
        const next = statusQueue.shift();
        if (!next) {
          await new Promise<void>((r) => sleepers.push(r));
          continue;
        }
        inFlight++;
        const [name, node, i] = next;
        const res = await patch(`/api/v1/namespaces/bench/pods/${name}/status`, kubeletStatus(name, node, i));
        const text = await res.text();
        inFlight--;
        if (!res.ok) throw new Error(`status of ${name}: ${res.status} ${text.slice(0, 300)}`);
        statusCount++;
      }
      wakeAll();
    });

    const cpuBefore = cpuSeconds(proc.pid);
    const rng = new XorShift32(7);
    t = performance.now();
    let reported = 0;
    await concurrently(podCount, clients, async (i) => {
      await post("/api/v1/namespaces/bench/pods", podObject(i, rng));
      if (i - reported >= 10_000) {
        reported = i;
        log(`${i} pods created, server RSS ${rssMb(proc.pid).toFixed(0)} MB (peak ${peakRssMb(proc.pid).toFixed(0)} MB)`);
      }
    });
    const createSeconds = (performance.now() - t) / 1000;
    log(`created ${podCount} pods in ${createSeconds.toFixed(1)} s; waiting for bindings`);
    let timer: Timer | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 120_000)))]);
    clearTimeout(timer);
    const boundSeconds = (performance.now() - t) / 1000;
    watchAbort.abort();
    await watching.catch(() => {});
    if (boundCount === podCount) await Promise.all(statusWriters);
    log(`${statusCount} pod statuses written as kubelets write them; ${renewals} lease renewals so far`);
    const serverCpu = cpuSeconds(proc.pid) - cpuBefore;
    log(`${boundCount} pods bound after ${boundSeconds.toFixed(1)} s; settling ${args.settle} s`);
    const cpuSettleFrom = cpuSeconds(proc.pid);
    await Bun.sleep(int("settle", args.settle) * 1000);
    const settleCpu = cpuSeconds(proc.pid) - cpuSettleFrom;
    const peak = peakRssMb(proc.pid);
    const settled = rssMb(proc.pid);
    const heap = args.heap || args.snapshot ? await heapOf(proc.pid, heapFile) : undefined;

    // The data itself, read in pages so the reading adds no peak of its own.
    const jsonBytes = { nodes: 0, pods: 0, events: 0 };
    let eventCount = 0;
    for (const [kind, path] of [["nodes", "/api/v1/nodes"], ["pods", "/api/v1/namespaces/bench/pods"], ["events", "/api/v1/namespaces/bench/events"]] as const) {
      let cont = "";
      do {
        const page: Json = await (await call(`${path}?limit=1000${cont ? `&continue=${cont}` : ""}`)).json();
        for (const item of page.items) jsonBytes[kind] += Buffer.byteLength(JSON.stringify(item));
        if (kind === "events") eventCount += page.items.length;
        cont = page.metadata.continue ?? "";
      } while (cont);
    }
    renewing = false;
    await renewer;
    let owners: Json;
    if (args.owners) {
      await Bun.write(`${heapFile}.owners`, "");
      owners = await heapOf(proc.pid, heapFile);
    }
    const fileBytes = ["state.db", "state.db-wal"].map((f) => join(dataDir, f)).filter(existsSync).reduce((sum, f) => sum + statSync(f).size, 0);

    const gc = jsc.BUN_JSC_logGC ? jscCollections(readFileSync(serverLog, "utf8")) : undefined;
    const perPod = ((settled - rssNodes) * 2 ** 20) / podCount;
    const result = {
      nodes,
      pods: podCount,
      bound: boundCount,
      pod_statuses: statusCount,
      lease_renewals: renewals,
      clients,
      smol: args.smol,
      jsc_options: args.jsc.join(" "),
      jsc_env: Object.entries(jsc).map(([k, v]) => `${k}=${v}`).join(" "),
      creates_per_s: Math.round(podCount / createSeconds),
      server_cpu_s: Number(serverCpu.toFixed(1)),
      server_cpu_settle_s: Number(settleCpu.toFixed(1)),
      idle_collection: !args["no-idle-collection"],
      rss_idle_mb: Number(rssIdle.toFixed(1)),
      rss_after_nodes_mb: Number(rssNodes.toFixed(1)),
      peak_rss_mb: Number(peak.toFixed(1)),
      settled_rss_mb: Number(settled.toFixed(1)),
      bytes_per_pod: Math.round(perPod),
      peak_bytes_per_pod: Math.round(((peak - rssNodes) * 2 ** 20) / podCount),
      pod_json_mb: mb(jsonBytes.pods),
      pod_json_bytes_avg: Math.round(jsonBytes.pods / Math.max(1, podCount)),
      node_json_mb: mb(jsonBytes.nodes),
      events: eventCount,
      event_json_mb: mb(jsonBytes.events),
      sqlite_mb: mb(fileBytes),
      ...(gc ? { gc_collections: gc.collections, gc_full_collections: gc.full, gc_heap_max_mb: gc.maxStartMb, gc_full_freed_mb: gc.fullFreedMb, gc_eden_freed_mb: gc.edenFreedMb } : {}),
      ...(owners ? { owners_heap_mb: mb(owners.before.heap), owners_rest_heap_mb: mb(owners.rest.heap), owners: owners.rows.map((r: Json) => ({ owner: r.owner, heap_mb: mb(r.heap), extra_mb: mb(r.extra), cells: r.cells, items: r.items })) } : {}),
      ...(heap ? { ring_events: heap.store?.ringEvents, ring_json_mb: heap.store && mb(heap.store.ringTextBytes), heap_mb: mb(heap.heapSize), heap_capacity_mb: mb(heap.heapCapacity), heap_extra_mb: mb(heap.extraMemorySize), heap_objects: heap.objectCount, open_fds: heap.fds, rss_after_gc_mb: mb(heap.rssAfterGc), idle_collections: heap.idle?.collections ?? 0, idle_collect_ms: Math.round(heap.idle?.collectMs ?? 0), informer_events_reused: heap.informerEvents?.reused, informer_events_parsed: heap.informerEvents?.parsed } : {}),
    };
    if (!args.json) {
      const rows: [string, string][] = [
        ["cluster", `${nodes} nodes, ${podCount} pods (${boundCount} bound by the in-server scheduler), ${clients} clients${args.smol ? ", bun --smol" : ""}${result.jsc_env ? `, ${result.jsc_env}` : ", JSC defaults"}`],
        ["pod creates", `${result.creates_per_s}/s, server CPU ${result.server_cpu_s} s (${result.server_cpu_settle_s} s while settling)`],
        ["kubelet-like traffic", `${statusCount} pod status writes, ${renewals} node lease renewals (every 10 s)`],
        ["server RSS idle / after nodes", `${result.rss_idle_mb} MB / ${result.rss_after_nodes_mb} MB`],
        ["server peak RSS (VmHWM)", `${result.peak_rss_mb} MB (goal <= 400 MB at 5,000 nodes / 50,000 pods)`],
        ["server RSS settled", `${result.settled_rss_mb} MB (goal <= 350 MB)`],
        ["per pod (settled / peak)", `${result.bytes_per_pod} B / ${result.peak_bytes_per_pod} B`],
        ["data: pod JSON", `${result.pod_json_mb} MB (${result.pod_json_bytes_avg} B a pod)`],
        ["data: node JSON", `${result.node_json_mb} MB`],
        ["data: Events (the scheduler's)", `${eventCount}, ${result.event_json_mb} MB JSON`],
        ["data: SQLite file + WAL", `${result.sqlite_mb} MB`],
      ];
      if (gc) rows.push(["JSC collections (--jsc logGC=1)", `${gc.collections} (${gc.full} full); heap at most ${gc.maxStartMb} MB at a start; freed by full ${gc.fullFreedMb} MB, by eden ${gc.edenFreedMb} MB`]);
      if (heap) {
        rows.push(["JS heap size / capacity / extra", `${result.heap_mb} / ${result.heap_capacity_mb} / ${result.heap_extra_mb} MB, ${heap.objectCount} objects`]);
        rows.push(["server RSS after a full GC", `${result.rss_after_gc_mb} MB`]);
        rows.push(["idle collections (after bursts)", `${result.idle_collections}, ${result.idle_collect_ms} ms in all${result.idle_collection ? "" : " (off: --no-idle-collection)"}`]);
        if (heap.store) {
          const keys = Object.entries(heap.store.keys as Record<string, number>).sort((a, b) => b[1] - a[1]).slice(0, 6);
          rows.push(["store: live keys", keys.map(([r, n]) => `${r} ${n}`).join(", ")]);
          rows.push(["informers: events from the ring", `${heap.informerEvents?.reused} taken as stored, ${heap.informerEvents?.parsed} parsed (not in the ring)`]);
          rows.push(["store: watch ring", `${heap.store.ringEvents} events, ${mb(heap.store.ringTextBytes)} MB of JSON; ${heap.store.sharedParts} shared parts`]);
        }
      }
      console.log("kubun server memory");
      for (const [k, v] of rows) console.log(`  ${k.padEnd(36)} ${v}`);
      if (heap) {
        console.log("  heap objects by type:");
        for (const [type, count] of heap.top as [string, number][]) console.log(`    ${type.padEnd(34)} ${count}`);
      }
    }
    if (owners && !args.json) {
      console.log(`  live heap by owner (heap after a full GC ${mb(owners.before.heap)} MB; freed step by step, in this order):`);
      for (const r of owners.rows as Json[]) {
        const per = r.items ? ` (${r.items} items, ${Math.round(r.heap / r.items)} B each)` : "";
        console.log(`    ${String(mb(r.heap)).padStart(7)} MB heap ${String(mb(r.extra)).padStart(6)} MB extra  ${r.owner}${per}`);
      }
      console.log(`    ${String(mb(owners.rest.heap)).padStart(7)} MB heap ${String(mb(owners.rest.extra)).padStart(6)} MB extra  what is left: code, modules, the API server's own state`);
    }
    console.log(JSON.stringify(result));
  } finally {
    await api.client?.close();
    proc.kill("SIGTERM");
    await Promise.race([proc.exited, Bun.sleep(10_000)]);
    if (proc.exitCode === null) proc.kill("SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  }
}

// Only as a command: a script that imports this file for its helpers must not start a run.
if (import.meta.main) {
  if (args.serve) await serve(args.serve);
  else await main();
}
