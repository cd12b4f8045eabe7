// The end-to-end bench's same-run baselines (bench/scheduler-e2e.ts): the transport ceiling (a
// bare HTTPS server answering the same clients) and the fixed shape's floor — the same per-pod
// requests as the real run against bench/shape-floor.ts, a server of kubun's shape (Bun, Hono,
// SQLite's group commit, fsync before answering) that does nothing of Kubernetes' semantics.
//
// The floor's run: the same nodes created, the same fake kubelets (bench/fake-kubelets.ts: Lease
// renewals, node status, each bound pod marked Running by its status write), the same pods from
// the same clients; a stand-in scheduler in this process (no scoring: a round-robin node) watches
// all pods and, for each unbound one, posts its binding and then its Scheduled Event (the event
// recorder's shape, src/client/event-object.ts), as the real scheduler's requests do, at most
// `clients` in flight on a TLS configuration of its own; three pod watches as in the real run
// (the scheduler's, the bench's — which times the binding and starts the kubelet's Running write —
// and a third that only reads, standing for the in-server controllers' informer). The watches are
// read with Bun's fetch, not the undici informer, to keep this process light: the floor server
// writes the same bytes to each. Measured, as the real run: first pod create → last pod bound.
import { join } from "node:path";
import { ndjsonBatches } from "../src/client/ndjson.ts";
import { eventObject } from "../src/client/event-object.ts";
import { XorShift32 } from "../src/scheduler/tie-break.ts";
import { KUBUN_JSC_ENV } from "../src/cli/heap-settings.ts";
import { concurrently, poster, startKubelets } from "./fake-kubelets.ts";
import { nodeObject, WORKLOADS } from "./fake-objects.ts";
import { cpuSeconds, peakRssMb, rssMb, spawn, threadCpuDelta, threadCpuSeconds, waitForLine } from "./processes.ts";
import { fakeNodes } from "./scheduler-core.ts";

type Json = any;

export interface BaselineOptions {
  nodes: number;
  pods: number;
  clients: number;
  kubelets?: boolean;
  profileDir?: string;
  timeoutMs?: number;
  /** The floor's groups appended on a worker thread (shape-floor.ts --commit-worker). */
  commitWorker?: boolean;
  /** The floor holding its objects in the least memory (shape-floor.ts --lean): the memory floor. */
  lean?: boolean;
  /** Bytes of annotation each timed pod carries, so the floor's pods are as big as kubun's stored ones (whose managedFields it has none of). */
  podPadBytes?: number;
  /** Seconds to wait once every pod is Running, the kubelets still renewing, before the settled RSS is read (default 0: not read). */
  settleS?: number;
  /** The floor's warm-up: this many pods of the same mix before the timed part (default min(pods, 5,000)). */
  warmupPods?: number;
  log: (s: string) => void;
}

/** API requests one scheduled pod costs: its create, its binding and its Scheduled event. */
export const REQUESTS_PER_POD = 3;

/**
 * The transport ceiling: REQUESTS_PER_POD × pods pod creates from the same clients (Bun's fetch,
 * `clients` at once) to a bare HTTPS server on the kubun server's certificate; requests/s.
 */
export async function transportCeiling(dataDir: string, ca: string, o: BaselineOptions): Promise<number> {
  const tls = join(dataDir, "tls");
  const floor = spawn(["bench/https-floor.ts", join(tls, "serving.crt"), join(tls, "serving.key")], join(dataDir, "..", "floor.log"));
  try {
    const url = (await waitForLine(floor, /listening on (https:\/\/\S+)/, "bare HTTPS server"))[1]!;
    const post = poster(url, "unused", ca);
    const requests = o.pods * REQUESTS_PER_POD;
    const body = { apiVersion: "v1", kind: "Pod", metadata: { name: "pod" }, spec: WORKLOADS[0] };
    const t = performance.now();
    await concurrently(requests, o.clients, () => post("/api/v1/namespaces/bench/pods", body));
    return requests / ((performance.now() - t) / 1000);
  } finally {
    floor.proc.kill("SIGTERM");
    await floor.proc.exited;
  }
}

export interface ShapeFloorE2E {
  pods_per_s: number;
  bound: number;
  p50_ms: number;
  p99_ms: number;
  seconds: number;
  creates_per_s: number;
  /** CPU seconds of the floor server and of this process (clients, stand-in scheduler, kubelets, watches) over the window. */
  cpu_s: { server: number; bench: number };
  server_threads: Record<string, { user: number; sys: number }>;
  server_cpu_us_per_pod: number;
  server_rss_mb: number;
  /** RSS after settleS seconds of only the kubelets' traffic (null without settleS). */
  server_settled_rss_mb: number | null;
  /** The JSON text of the objects the floor holds once settled (with settleS; a lean floor's Events are on disk). */
  server_live_json_mb: number | null;
  events_written: number;
  /** Pods of the warm-up before the timed part (bound and marked Running). */
  warmup_pods: number;
  renewals: number | null;
  pods_running: number | null;
  node_status: number | null;
  /** The floor's group commits over the window: groups, rows, and ms the event loop spent in them. */
  commits: { groups: number; rows: number; ms: number };
}

/** The p-th percentile of an ascending array (NaN when empty); shared with scheduler-e2e.ts. */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

/** A watch read line by line with Bun's fetch; `each` gets every batch of events. */
function watch(url: string, ca: string, each: (events: Json[]) => void): { stop: () => void; ended: Promise<void> } {
  const ac = new AbortController();
  const ended = (async () => {
    const res = await fetch(url, { signal: ac.signal, tls: { ca } } as RequestInit);
    if (res.status !== 200) throw new Error(`watch ${url}: ${res.status} ${await res.text()}`);
    for await (const batch of ndjsonBatches(res.body!)) each(batch as Json[]);
  })().catch((err) => {
    if (!ac.signal.aborted) throw err;
  });
  return { stop: () => ac.abort(), ended };
}

export async function shapeFloorE2E(dataDir: string, ca: string, o: BaselineOptions): Promise<ShapeFloorE2E> {
  const tls = join(dataDir, "tls");
  const server = spawn(["bench/shape-floor.ts", join(tls, "serving.crt"), join(tls, "serving.key"), join(dataDir, "..", `shape-floor${o.commitWorker ? "-worker" : ""}${o.lean ? "-lean" : ""}.db`), ...(o.commitWorker ? ["--commit-worker"] : []), ...(o.lean ? ["--lean"] : [])], join(dataDir, "..", "shape-floor.log"), o.profileDir, { ...KUBUN_JSC_ENV });
  const stops: (() => void)[] = [];
  let kubelets: Awaited<ReturnType<typeof startKubelets>> | undefined;
  try {
    const url = (await waitForLine(server, /listening on (https:\/\/\S+)/, "fixed-shape floor"))[1]!;
    const post = poster(url, "unused", ca);
    await post("/api/v1/namespaces", { metadata: { name: "bench" } });
    const nodes = fakeNodes(o.nodes);
    await concurrently(nodes.length, o.clients, (i) => post("/api/v1/nodes", nodeObject(nodes[i]!)));
    const names = nodes.map((n) => n.name);
    kubelets = o.kubelets !== false ? await startKubelets(url, "unused", ca, names, o.clients) : undefined;
    o.log(`fixed-shape floor: ${names.length} nodes${kubelets ? ", fake kubelets running" : ""}`);

    // The stand-in scheduler: a round-robin node for each unbound pod, its binding, then its event.
    const schedTls = { ca, serverName: "localhost" }; // a TLS configuration (connection pool) of its own
    const headers = { "content-type": "application/json" };
    const send = async (path: string, body: unknown) => {
      const res = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body), tls: schedTls } as RequestInit);
      const text = await res.text();
      if (res.status !== 201) throw new Error(`stand-in scheduler: POST ${path}: ${res.status} ${text.slice(0, 200)}`);
    };
    let next = 0;
    let inFlight = 0;
    let eventsWritten = 0;
    const queue: Json[] = [];
    const failures: string[] = [];
    const schedule = async (pod: Json) => {
      const node = names[next++ % names.length]!;
      const { name, namespace } = pod.metadata;
      await send(`/api/v1/namespaces/${namespace}/pods/${name}/binding`, { apiVersion: "v1", kind: "Binding", metadata: { name, namespace }, target: { apiVersion: "v1", kind: "Node", name: node } });
      const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const ev = eventObject(pod, { name: `${name}.${(Date.now() * 1000 + (eventsWritten % 1000)).toString(16)}`, namespace, type: "Normal", reason: "Scheduled", message: `Successfully assigned ${namespace}/${name} to ${node}`, component: "default-scheduler", at, count: 1 });
      await send(`/api/v1/namespaces/${namespace}/events`, ev);
      eventsWritten++;
    };
    const pump = (): void => {
      while (inFlight < o.clients && queue.length > 0) {
        inFlight++;
        void schedule(queue.shift()!).catch((err) => void failures.push(String(err))).finally(() => {
          inFlight--;
          pump();
        });
      }
    };
    const list = (await (await fetch(`${url}/api/v1/pods`, { tls: { ca } } as RequestInit)).json()) as Json;
    const rv = list.metadata.resourceVersion;
    const sched = watch(`${url}/api/v1/pods?watch=1&resourceVersion=${rv}`, ca, (events) => {
      for (const e of events) if (e.type === "ADDED" && !e.object.spec?.nodeName) queue.push(e.object);
      pump();
    });
    stops.push(sched.stop);

    // The bench's watch: when each pod is bound, and its kubelet's Running write. Pods of the
    // warm-up (namespace warmup) are marked Running as well, and counted apart.
    const total = o.pods;
    const sentAt = new Float64Array(total);
    const boundAt = new Float64Array(total);
    let bound = 0;
    let warmBound = 0;
    let allBound!: () => void;
    const done = new Promise<void>((r) => (allBound = r));
    const mine = watch(`${url}/api/v1/pods?watch=1&resourceVersion=${rv}`, ca, (events) => {
      for (const e of events) {
        const obj = e.object;
        if (!obj.spec?.nodeName || e.type !== "MODIFIED" || obj.status?.phase === "Running") continue;
        const i = Number(obj.metadata.name.slice(4));
        if (obj.metadata.namespace !== "bench") {
          warmBound++;
          kubelets?.markRunning(obj, total + i);
          continue;
        }
        if (boundAt[i] !== 0) continue;
        boundAt[i] = performance.now();
        kubelets?.markRunning(obj, i);
        if (++bound === total) allBound();
      }
    });
    stops.push(mine.stop);
    // The third pod watch (the in-server controllers' informer in the real run): read, not parsed.
    const drain = new AbortController();
    stops.push(() => drain.abort());
    void fetch(`${url}/api/v1/pods?watch=1&resourceVersion=${rv}`, { signal: drain.signal, tls: { ca } } as RequestInit)
      .then(async (res) => {
        for await (const _ of res.body!);
      })
      .catch(() => {});
    await Bun.sleep(200);

    // A warm-up, as bench:api gives every server: the same mix for `warmupPods` pods in a namespace
    // of their own, until each is bound and Running, so the timed part measures a server whose
    // request path JSC has compiled (kubun's server gets none here: bench/README.md).
    const rng = new XorShift32(7);
    const shapes = Array.from({ length: total }, () => WORKLOADS[rng.next() % WORKLOADS.length]!);
    const warm = o.warmupPods ?? Math.min(total, 5000);
    if (warm > 0) {
      await post("/api/v1/namespaces", { metadata: { name: "warmup" } });
      await concurrently(warm, o.clients, (i) => post("/api/v1/namespaces/warmup/pods", { apiVersion: "v1", kind: "Pod", metadata: { name: `pod-${i}` }, spec: shapes[i % total] }));
      for (const until = performance.now() + 30_000; (warmBound < warm || inFlight > 0 || (kubelets?.runningPending() ?? 0) > 0) && performance.now() < until; ) await Bun.sleep(20);
      if (warmBound < warm) throw new Error(`fixed-shape floor: only ${warmBound} of ${warm} warm-up pods were bound within 30 s`);
      o.log(`fixed-shape floor: warmed up with ${warm} pods`);
    }
    const eventsBefore = eventsWritten;
    // Pods the size of kubun's stored ones (its managedFields, mostly), for the memory floor.
    const pad = o.podPadBytes ? { annotations: { "bench.kubun.dev/pad": "x".repeat(o.podPadBytes) } } : {};
    const stats0 = (await (await fetch(`${url}/shape-floor/stats`, { tls: { ca } } as RequestInit)).json()) as ShapeFloorE2E["commits"];
    const cpu0 = [server.proc.pid, process.pid].map(cpuSeconds);
    const threads0 = threadCpuSeconds(server.proc.pid);
    const t = performance.now();
    await concurrently(total, o.clients, (i) => {
      sentAt[i] = performance.now();
      return post("/api/v1/namespaces/bench/pods", { apiVersion: "v1", kind: "Pod", metadata: { name: `pod-${i}`, ...pad }, spec: shapes[i] });
    });
    const createsPerS = total / ((performance.now() - t) / 1000);
    const timeoutMs = o.timeoutMs ?? 60_000;
    await Promise.race([done, sched.ended, mine.ended, Bun.sleep(timeoutMs)]);
    const cpu = [server.proc.pid, process.pid].map((pid, k) => round(cpuSeconds(pid) - cpu0[k]!, 2));
    const threads = threadCpuDelta(threads0, threadCpuSeconds(server.proc.pid));
    const stats1 = (await (await fetch(`${url}/shape-floor/stats`, { tls: { ca } } as RequestInit)).json()) as ShapeFloorE2E["commits"];
    if (failures.length) throw new Error(`fixed-shape floor: ${failures.length} stand-in scheduler writes failed, the first: ${failures[0]}`);
    if (bound !== total) throw new Error(`fixed-shape floor: only ${bound} of ${total} pods were bound within ${timeoutMs / 1000} s`);
    let last = t;
    for (let i = 0; i < total; i++) last = Math.max(last, boundAt[i]!);
    const seconds = (last - t) / 1000;
    for (const until = performance.now() + 10_000; kubelets && kubelets.runningPending() > 0 && performance.now() < until; ) await Bun.sleep(50);
    for (const until = performance.now() + 10_000; (inFlight > 0 || queue.length > 0) && performance.now() < until; ) await Bun.sleep(50);
    let settled: number | null = null;
    let liveText: number | null = null;
    if (o.settleS) {
      await Bun.sleep(o.settleS * 1000);
      settled = round(rssMb(server.proc.pid));
      const live = (await (await fetch(`${url}/shape-floor/stats?live=1`, { tls: { ca } } as RequestInit)).json()) as { liveTextLength: number };
      liveText = round(live.liveTextLength / 2 ** 20);
    }
    const beats = kubelets?.stop();
    kubelets = undefined;
    const latencies: number[] = [];
    for (let i = 0; i < total; i++) latencies.push(boundAt[i]! - sentAt[i]!);
    latencies.sort((a, b) => a - b);
    return {
      pods_per_s: Math.round(total / seconds),
      bound,
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      seconds: round(seconds, 2),
      creates_per_s: Math.round(createsPerS),
      cpu_s: { server: cpu[0]!, bench: cpu[1]! },
      server_threads: threads,
      server_cpu_us_per_pod: Math.round((cpu[0]! * 1e6) / total),
      server_rss_mb: round(peakRssMb(server.proc.pid)),
      server_settled_rss_mb: settled,
      server_live_json_mb: liveText,
      events_written: eventsWritten - eventsBefore,
      warmup_pods: warm,
      renewals: beats?.renewals ?? null,
      pods_running: beats?.podsRunning ?? null,
      node_status: beats?.nodeStatus ?? null,
      commits: { groups: stats1.groups - stats0.groups, rows: stats1.rows - stats0.rows, ms: round(stats1.ms - stats0.ms) },
    };
  } finally {
    for (const stop of stops) stop();
    try { kubelets?.stop(); } catch {}
    server.proc.kill("SIGTERM");
    await Promise.race([server.proc.exited, Bun.sleep(5000)]);
    if (server.proc.exitCode === null) server.proc.kill("SIGKILL");
  }
}

// Alone, without kubun's run (for iterating and profiling the floor): a certificate of its own.
//   bun bench/e2e-floor.ts [--nodes 5000] [--pods 10000] [--clients 64] [--warmup-pods N] [--profile DIR] [--commit-worker]
//                          [--lean] [--settle S] [--pod-pad BYTES]   (the memory floor: bench:memory's 50,000 pods with
//                          --pods 50000 --warmup-pods 0, each padded to the size of kubun's stored pods)
if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { resolve } = await import("node:path");
  const { createCA, issueCertificate } = await import("../src/pki/index.ts");
  const { values } = parseArgs({ options: { nodes: { type: "string", default: "5000" }, pods: { type: "string", default: "10000" }, clients: { type: "string", default: "64" }, "warmup-pods": { type: "string" }, profile: { type: "string" }, "commit-worker": { type: "boolean", default: false }, lean: { type: "boolean", default: false }, settle: { type: "string", default: "0" }, "pod-pad": { type: "string", default: "0" } } });
  const tmp = mkdtempSync(join(tmpdir(), "kubun-bench-floor-"));
  try {
    const dataDir = join(tmp, "server");
    mkdirSync(join(dataDir, "tls"), { recursive: true });
    const authority = await createCA("shape-floor-ca");
    const serving = await issueCertificate(authority, { commonName: "shape-floor", hosts: ["127.0.0.1", "localhost"], usage: "server" });
    writeFileSync(join(dataDir, "tls", "serving.crt"), serving.cert);
    writeFileSync(join(dataDir, "tls", "serving.key"), serving.key);
    const o = { nodes: Number(values.nodes), pods: Number(values.pods), clients: Number(values.clients), warmupPods: values["warmup-pods"] === undefined ? undefined : Number(values["warmup-pods"]), profileDir: values.profile && resolve(values.profile), commitWorker: values["commit-worker"], lean: values.lean, settleS: Number(values.settle), podPadBytes: Number(values["pod-pad"]), log: (s: string) => console.error(s) };
    const transport = await transportCeiling(dataDir, authority.cert, o);
    console.error(`transport: ${Math.round(transport)} req/s → ${Math.round(transport / REQUESTS_PER_POD)} pods/s at ${REQUESTS_PER_POD} requests a pod`);
    console.log(JSON.stringify({ transport_req_per_s: Math.round(transport), ...(await shapeFloorE2E(dataDir, authority.cert, o)) }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
