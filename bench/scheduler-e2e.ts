// Scheduler end-to-end bench: a real `kubun server` process on a SQLite file, the scheduler as a
// second process (bench/run-scheduler.ts, the `kubun scheduler` code path), Node objects and then
// pods created through the API by concurrent clients. Measured from the first pod create to the
// last pod bound (as a watch on pods sees it): pods/s, create→bound latency p50/p99, and the
// server's peak RSS (VmHWM). As its baseline, measured in the same run: the transport ceiling, the
// same clients' requests answered by a bare Bun HTTPS server (bench/https-floor.ts) with the same
// certificate, divided by the API requests each pod costs (create, binding, Scheduled event); and
// the fixed shape's floor: the same per-pod requests, kubelets and pod watches against
// bench/shape-floor.ts, a server of kubun's shape that does nothing else (bench/e2e-floor.ts).
// Then a paced part: more pods created one at a time at half the rate just measured, a load the
// cluster keeps up with, where create→bound latency is what a pod waits when nothing is queued.
//   bun bench/scheduler-e2e.ts [--nodes 5000] [--pods 10000] [--clients 64] [--scoring binpack|spread]
//                              [--paced-pods 2000] (0: no paced part)
//                              [--profile DIR]   (CPU profiles of server and scheduler, as markdown)
//                              [--no-kubelets]   (without the fake kubelets' traffic, below)
//                              [--disable-controller-manager] (the server without its in-process controllers: their share)
//                              [--no-shape-floor] (without the fixed shape's floor's run)
// Before the first pod the cluster settles: the server's node IPAM controller has given every node
// its podCIDR (with --disable-controller-manager there is none to wait for).
// The fake nodes behave as kubelets do while pods are created and bound: each renews its Lease
// every 10 s and posts its status every 5 minutes (kubelet's nodeStatusReportFrequency), spread
// evenly, and each bound pod is marked Running by a status write (phase, conditions, podIP,
// containerStatuses), as its kubelet would. Events the scheduler's recorder wrote are counted
// against the pods bound; a run where pods stay unbound, or a kubelet write fails, exits non-zero.
// A failed run explains itself: its error carries the tails of the server's and the scheduler's
// stderr, whether they still run, what the bench's own pod watch saw and how it ended, and how
// many pods the server holds as bound; its temporary directory (both logs, the SQLite file) is
// kept and named.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Informer, KubeClient, resourceFor } from "../src/client/index.ts";
import type { SchedulerStats } from "../src/scheduler/scheduler.ts";
import { XorShift32 } from "../src/scheduler/tie-break.ts";
import { KUBUN_JSC_ENV } from "../src/cli/heap-settings.ts";
import { failureReport, type WatchLog } from "./e2e-failure.ts";
import { percentile, REQUESTS_PER_POD, round, shapeFloorE2E, transportCeiling, type ShapeFloorE2E } from "./e2e-floor.ts";
import { concurrently, poster, startKubelets } from "./fake-kubelets.ts";
import { nodeObject, WORKLOADS } from "./fake-objects.ts";
import { cpuSeconds, peakRssMb, spawn, threadCpuDelta, threadCpuSeconds, waitForLine, type Proc } from "./processes.ts";
import { fakeNodes } from "./scheduler-core.ts";

export interface E2EOptions {
  nodes: number;
  pods: number;
  /** Concurrent create requests (the "clients"). */
  clients: number;
  scoring: "binpack" | "spread";
  log: (s: string) => void;
  /** Give up waiting for bindings after this long. */
  timeoutMs?: number;
  /** Write CPU profiles (markdown) of the server and scheduler processes into this folder. */
  profileDir?: string;
  /** Pods of the paced part (default 2,000; 0 skips it). */
  pacedPods?: number;
  /** The fake kubelets' traffic (default on): Lease renewals, node status, each bound pod marked Running. */
  kubelets?: boolean;
  /** The server's in-process controllers (default on); off (`--disable-controller-manager`) to see their share. */
  controllers?: boolean;
  /** The same per-pod requests against the fixed shape's floor, bench/shape-floor.ts (default on; e2e-floor.ts). */
  shapeFloor?: boolean;
}

export interface E2EResult {
  nodes: number;
  pods: number;
  bound: number;
  clients: number;
  nodes_per_s: number;
  /** Seconds from the kubelets' start until every node had its podCIDR (the server's node IPAM), before any pod. */
  nodes_settled_s: number;
  creates_per_s: number;
  e2e_pods_per_s: number;
  e2e_p50_ms: number;
  e2e_p99_ms: number;
  server_rss_mb: number;
  scheduler_rss_mb: number;
  seconds: number;
  /** CPU seconds each process spent from the first pod create to the last binding seen: where the time goes. */
  cpu_s: { server: number; scheduler: number; bench: number };
  /** The server's CPU seconds over the same time by thread name (user, system): JavaScript on `main`, JSC's collector and compiler, Bun's pools. */
  server_threads: Record<string, { user: number; sys: number }>;
  /** The server's CPU over the pods bound, µs (it also counts the renewals and node status of the time it took). */
  server_cpu_us_per_pod: number;
  /** Whether the server ran its in-process controllers (--disable-controller-manager: false). */
  controllers: boolean;
  scheduler_stats: SchedulerStats | null;
  /** The paced part: pods created evenly at `rate`/s (half the burst's e2e rate), and their create→bound latency. */
  paced: { pods: number; rate: number; bound: number; p50_ms: number; p99_ms: number } | null;
  /** Node Lease renewals made while pods were created and bound (null: --no-kubelets). */
  heartbeats: { renewals: number; per_s: number } | null;
  /** Node status posts, and pods the fake kubelets marked Running (a status write each), meanwhile (null: --no-kubelets). */
  kubelet_writes: { node_status: number; pods_running: number } | null;
  /** Scheduled events the scheduler's recorder wrote for the burst's pods, and how many bound pods got none. */
  events: { written: number; dropped: number };
  /** Requests/s a bare HTTPS server answers to the same clients: no API server can be faster. */
  transport_req_per_s: number;
  /** transport_req_per_s over the REQUESTS_PER_POD a scheduled pod costs: the e2e rate's ceiling here. */
  transport_pods_per_s: number;
  /** The fixed shape's floor's run of the same mix (null: --no-shape-floor), and its pods/s. */
  shape_floor: ShapeFloorE2E | null;
  e2e_shape_floor_pods_per_s: number | null;
}

export { REQUESTS_PER_POD };

type Json = any;



export async function benchE2E(o: E2EOptions): Promise<E2EResult> {
  const tmp = mkdtempSync(join(tmpdir(), "kubun-bench-e2e-"));
  const dataDir = join(tmp, "server");
  // The scheduler runs as its own process (the `kubun scheduler` code path) so its CPU and RSS are
  // measured apart. A cluster CIDR that holds a /24 for each of the thousands of nodes, as a real
  // cluster of that size would be configured (the default /16 holds 256).
  const serverArgs = ["src/cli/main.ts", "server", "--data-dir", dataDir, "--port", "0", "--bind", "127.0.0.1", "--disable-scheduler", "--cluster-cidr", "10.0.0.0/8"];
  if (o.controllers === false) serverArgs.push("--disable-controller-manager");
  // The server starts as `kubun server` does, with the heap setting package.json's script gives it
  // (as bench:api's and bench:memory's servers do).
  const server = spawn(serverArgs, join(tmp, "server.log"), o.profileDir, { ...KUBUN_JSC_ENV });
  let scheduler: Proc | undefined;
  const client = { current: undefined as KubeClient | undefined };
  // Ended in `finally` too: a run that failed (pods left unbound) must not leave the watch or the
  // kubelets' timers holding the client open, or the bench never exits.
  let stopWatch = async () => {};
  let kubelets: Awaited<ReturnType<typeof startKubelets>> | undefined;
  const watchLog: WatchLog = { watches: 0, events: 0, binds: 0, ends: [] };
  let failed = false;
  /** Rejects with the failure report; the temporary directory is kept for it. */
  const fail = async (why: string): Promise<never> => {
    failed = true;
    throw new Error(await failureReport(why, { api: client.current, server, scheduler, watch: watchLog, tmp }));
  };
  try {
    const url = (await waitForLine(server, /listening on (https:\/\/\S+)/, "kubun server"))[1]!;
    const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
    const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
    const api = (client.current = new KubeClient({ server: url, token, ca, userAgent: "kubun-bench" }));
    const pods = resourceFor("Pod");
    const post = poster(url, token, ca);
    await post("/api/v1/namespaces", { metadata: { name: "bench" } });

    const nodes = fakeNodes(o.nodes);
    let t = performance.now();
    await concurrently(nodes.length, o.clients, async (i) => {
      await post("/api/v1/nodes", nodeObject(nodes[i]!));
    });
    const nodesPerS = nodes.length / ((performance.now() - t) / 1000);
    o.log(`created ${nodes.length} nodes (${Math.round(nodesPerS)}/s)`);

    kubelets = o.kubelets !== false ? await startKubelets(url, token, ca, nodes.map((n) => n.name), o.clients) : undefined;
    if (kubelets) o.log(`fake kubelets: ${nodes.length} leases renewed every 10 s, node status every 5 min, bound pods marked Running`);

    // The cluster settles before pods come, as a real one has long before a burst: the server's
    // node IPAM controller gives each node its podCIDR, one write at a time. Not waited for, those
    // 5,000 writes ran on into the burst as the run's timing fell (in one run counted, ~600 during
    // it and ~3,100 as it ended), starved by it and counted in the server's CPU per pod.
    let settledS = 0;
    if (o.controllers !== false) {
      t = performance.now();
      for (const until = t + 120_000; ; ) {
        const list = (await api.list(resourceFor("Node"))) as { items: Json[] };
        const without = list.items.filter((n) => !n.spec?.podCIDR).length;
        if (without === 0) break;
        if (performance.now() > until) await fail(`${without} of ${list.items.length} nodes still have no podCIDR after 120 s`);
        await Bun.sleep(500);
      }
      settledS = (performance.now() - t) / 1000;
      o.log(`every node has its podCIDR (${settledS.toFixed(1)} s)`);
    }

    scheduler = spawn(["bench/run-scheduler.ts", "--kubeconfig", join(dataDir, "admin.kubeconfig"), "--scoring", o.scoring], join(tmp, "scheduler.log"), o.profileDir);
    await waitForLine(scheduler, /scheduler ready/, "scheduler");
    o.log("scheduler synced");

    // Bound times as a client sees them: the MODIFIED event that carries spec.nodeName.
    const pacedPods = o.pacedPods ?? 2000;
    const total = o.pods + pacedPods;
    const sentAt = new Float64Array(total);
    const boundAt = new Float64Array(total);
    let bound = 0;
    let pacedBound = 0;
    let allBound!: () => void;
    let allPacedBound!: () => void;
    const done = new Promise<void>((r) => (allBound = r));
    const pacedDone = new Promise<void>((r) => (allPacedBound = r));
    const watchStart = performance.now();
    const since = () => `+${((performance.now() - watchStart) / 1000).toFixed(1)} s`;
    const onPod = (obj: Json) => {
      if (!obj.spec?.nodeName) return;
      const i = Number(obj.metadata.name.slice(4));
      if (boundAt[i] !== 0) return;
      watchLog.binds++;
      boundAt[i] = performance.now();
      kubelets?.markRunning(obj, i);
      if (i < o.pods && ++bound === o.pods) allBound();
      if (i >= o.pods && ++pacedBound === pacedPods) allPacedBound();
    };
    // Watched as any client watches, through an informer: a watch the server closes (one that fell
    // its whole budget behind, as a starved bench process can while it also creates the pods) is
    // resumed from the last resourceVersion seen, and a compacted one re-listed. A bare watch would
    // stop counting at its first close and fail the run with every later binding unseen.
    const podLW = api.listerWatcher<Json>(pods, { namespace: "bench" });
    const podInformer = new Informer<Json>(
      {
        list: (opts) => podLW.list(opts),
        watch: (opts, onEvent, signal) => {
          watchLog.watches++;
          const before = watchLog.events;
          return podLW.watch(opts, (ev) => {
            watchLog.events++;
            onEvent(ev);
          }, signal).then(
            () => void (signal?.aborted || watchLog.ends.push(`closed by the server at ${since()} after ${watchLog.events - before} events`)),
            (err) => {
              watchLog.ends.push(`failed at ${since()} after ${watchLog.events - before} events: ${err}`);
              throw err;
            },
          );
        },
      },
      { backoff: { initialMs: 100, maxMs: 2000 }, onError: () => {} },
    );
    podInformer.addEventHandler({ onAdd: onPod, onUpdate: (_, obj) => onPod(obj) });
    stopWatch = () => podInformer.stop();
    podInformer.start();
    if (!(await podInformer.waitForSync())) throw new Error("the bench's pod informer stopped before its first list");
    // A process that ends mid-run fails the run at once, with its stderr, not after the timeout.
    const exited = (p: Proc, name: string) => p.proc.exited.then((code) => `the ${name} exited (code ${code}, signal ${p.proc.signalCode ?? "none"}) while pods were created and bound`);
    const processDied = Promise.race([exited(server, "server"), exited(scheduler, "scheduler")]);
    let died: string | undefined;
    void processDied.then((why) => (died ??= why));

    const cpuBefore = [server.proc.pid, scheduler.proc.pid, process.pid].map(cpuSeconds);
    const serverThreadsBefore = threadCpuSeconds(server.proc.pid);
    const rng = new XorShift32(7);
    const shapes = Array.from({ length: total }, () => WORKLOADS[rng.next() % WORKLOADS.length]!);
    const createPod = (i: number) => {
      sentAt[i] = performance.now();
      return post("/api/v1/namespaces/bench/pods", { apiVersion: "v1", kind: "Pod", metadata: { name: `pod-${i}` }, spec: shapes[i] });
    };
    t = performance.now();
    await concurrently(o.pods, o.clients, createPod);
    const createsPerS = o.pods / ((performance.now() - t) / 1000);
    o.log(`created ${o.pods} pods (${Math.round(createsPerS)}/s)`);
    const timeoutMs = o.timeoutMs ?? 60_000;
    await Promise.race([done, processDied, Bun.sleep(timeoutMs)]);
    if (died) await fail(died);
    const cpu = [server.proc.pid, scheduler.proc.pid, process.pid].map((pid, k) => round(cpuSeconds(pid) - cpuBefore[k]!, 2));
    const serverThreads = threadCpuDelta(serverThreadsBefore, threadCpuSeconds(server.proc.pid));
    let last = t;
    for (let i = 0; i < o.pods; i++) if (boundAt[i] !== 0) last = Math.max(last, boundAt[i]!);
    const seconds = (last - t) / 1000;
    const burstRate = bound / seconds;

    // The paced part: one create every 1/rate s, each on its own (open loop: a slow answer
    // delays no later create), at half the rate the burst reached.
    let paced: E2EResult["paced"] = null;
    if (pacedPods > 0 && bound === o.pods) {
      const rate = Math.max(1, Math.round(burstRate / 2));
      o.log(`paced: ${pacedPods} pods at ${rate}/s`);
      const start = performance.now() + 50;
      const creates: Promise<void>[] = [];
      for (let k = 0; k < pacedPods; k++) {
        const at = start + (k * 1000) / rate;
        const wait = at - performance.now();
        if (wait > 1) await Bun.sleep(wait);
        creates.push(createPod(o.pods + k));
      }
      await Promise.all(creates);
      await Promise.race([pacedDone, processDied, Bun.sleep(timeoutMs)]);
      if (died) await fail(died);
      const waits: number[] = [];
      for (let i = o.pods; i < total; i++) if (boundAt[i] !== 0) waits.push(boundAt[i]! - sentAt[i]!);
      waits.sort((a, b) => a - b);
      paced = { pods: pacedPods, rate, bound: pacedBound, p50_ms: round(percentile(waits, 50)), p99_ms: round(percentile(waits, 99)) };
    }
    // Every pod of the burst must be bound, and of the paced part too: a run that timed out is a failure, not a figure.
    if (bound !== o.pods) await fail(`only ${bound} of ${o.pods} pods were bound within ${timeoutMs / 1000} s`);
    if (paced && paced.bound !== pacedPods) await fail(`only ${paced.bound} of ${pacedPods} paced pods were bound within ${timeoutMs / 1000} s`);
    // The last pods' Running writes are on their way (or queued behind the kubelets' bound of
    // writes in flight): let them land before the count, for at most 10 s.
    for (const until = performance.now() + 10_000; kubelets && kubelets.runningPending() > 0 && performance.now() < until; ) await Bun.sleep(50);
    const beats = kubelets?.stop();
    const rss = { server: round(peakRssMb(server.proc.pid)), scheduler: round(peakRssMb(scheduler.proc.pid)) };
    await stopWatch();
    if (watchLog.ends.length) o.log(`the bench's pod watch was resumed: ${watchLog.ends.join("; ")}`);
    // The scheduler prints its counters as it stops: bindings that failed and pods that did not fit.
    scheduler.proc.kill("SIGTERM");
    const statsLine = await Promise.race([
      waitForLine(scheduler, /^\{"stats"/, "scheduler").then((m) => m.input, () => undefined),
      Bun.sleep(5000).then(() => undefined),
    ]);
    const schedulerStats = statsLine ? JSON.parse(statsLine).stats : null;
    // The Scheduled events the recorder wrote (it flushes as the scheduler stops) against the pods bound.
    const eventList = (await api.list(resourceFor("Event"), { namespace: "bench" })) as { items: Json[] };
    const scheduledFor = new Set(eventList.items.filter((e) => e.reason === "Scheduled").map((e) => e.involvedObject?.name as string));
    const written = [...scheduledFor].filter((n) => Number(n?.slice(4)) < total).length;
    const events = { written, dropped: Math.max(0, bound + (paced?.bound ?? 0) - written) };

    const latencies: number[] = [];
    for (let i = 0; i < o.pods; i++) if (boundAt[i] !== 0) latencies.push(boundAt[i]! - sentAt[i]!);
    latencies.sort((a, b) => a - b);
    const transportReqPerS = await transportCeiling(dataDir, ca, o);
    // kubun's server is stopped first: its node lifecycle controller would soon act on 5,000 nodes
    // whose Leases no longer renew, on the CPU the floor's run needs.
    await client.current?.close();
    client.current = undefined;
    server.proc.kill("SIGTERM");
    await Promise.race([server.proc.exited, Bun.sleep(5000)]);
    const shapeFloor = o.shapeFloor === false ? null : await shapeFloorE2E(dataDir, ca, { ...o, profileDir: o.profileDir && join(o.profileDir, "shape-floor") });
    return {
      nodes: o.nodes,
      pods: o.pods,
      bound,
      clients: o.clients,
      nodes_per_s: Math.round(nodesPerS),
      nodes_settled_s: round(settledS, 1),
      creates_per_s: Math.round(createsPerS),
      e2e_pods_per_s: Math.round(bound / seconds),
      e2e_p50_ms: round(percentile(latencies, 50)),
      e2e_p99_ms: round(percentile(latencies, 99)),
      server_rss_mb: rss.server,
      scheduler_rss_mb: rss.scheduler,
      seconds: round(seconds, 2),
      cpu_s: { server: cpu[0]!, scheduler: cpu[1]!, bench: cpu[2]! },
      server_threads: serverThreads,
      server_cpu_us_per_pod: Math.round((cpu[0]! * 1e6) / Math.max(1, bound)),
      controllers: o.controllers !== false,
      scheduler_stats: schedulerStats,
      paced,
      heartbeats: beats ? { renewals: beats.renewals, per_s: beats.per_s } : null,
      kubelet_writes: beats ? { node_status: beats.nodeStatus, pods_running: beats.podsRunning } : null,
      events,
      transport_req_per_s: Math.round(transportReqPerS),
      transport_pods_per_s: Math.round(transportReqPerS / REQUESTS_PER_POD),
      shape_floor: shapeFloor,
      e2e_shape_floor_pods_per_s: shapeFloor?.pods_per_s ?? null,
    };
  } catch (err) {
    if (failed) throw err;
    // Any other failure (a create refused, a kubelet write failed, a process not ready) reports too.
    return await fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
  } finally {
    await stopWatch();
    // Their failures were already reported by the run's own stop, or the run failed before it.
    try { kubelets?.stop(); } catch {}
    await client.current?.close();
    for (const p of [scheduler, server]) {
      if (!p) continue;
      p.proc.kill("SIGTERM");
      await Promise.race([p.proc.exited, Bun.sleep(5000)]);
      if (p.proc.exitCode === null) p.proc.kill("SIGKILL");
    }
    if (!failed) rmSync(tmp, { recursive: true, force: true });
  }
}

export function parseE2EArgs(argv: string[]): Omit<E2EOptions, "log"> & { json: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: "string", default: "5000" },
      pods: { type: "string", default: "10000" },
      clients: { type: "string", default: "64" },
      scoring: { type: "string", default: "binpack" },
      json: { type: "boolean", default: false },
      profile: { type: "string" },
      "paced-pods": { type: "string", default: "2000" },
      "no-kubelets": { type: "boolean", default: false },
      "disable-controller-manager": { type: "boolean", default: false },
      "no-shape-floor": { type: "boolean", default: false },
    },
  });
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  if (values.scoring !== "binpack" && values.scoring !== "spread") throw new Error("--scoring must be binpack or spread");
  const pacedPods = Number(values["paced-pods"]);
  if (!Number.isInteger(pacedPods) || pacedPods < 0) throw new Error(`--paced-pods must be a non-negative integer, got ${values["paced-pods"]}`);
  return { nodes: int("nodes", values.nodes), pods: int("pods", values.pods), clients: int("clients", values.clients), scoring: values.scoring, json: values.json, profileDir: values.profile ? resolve(values.profile) : undefined, pacedPods, kubelets: !values["no-kubelets"], controllers: !values["disable-controller-manager"], shapeFloor: !values["no-shape-floor"] };
}

if (import.meta.main) {
  const { json, ...opts } = parseE2EArgs(process.argv.slice(2));
  const result = await benchE2E({ ...opts, log: json ? () => {} : (s) => console.log(s) });
  console.log(JSON.stringify(result));
}
