// The bytes the API server allocates per write, by kind of write: a pod's create, its binding, the
// status a kubelet writes, a Lease renewal (and a GET, for what any request costs). In process,
// through the API's Hono app (no TLS, no sockets), with a watch on the pods reading every event
// as a client's would; the figures include the Request and Response objects the script makes
// and reads (a few KB a request, as Bun.serve would make them). Garbage is what JSC collects:
// the fewer bytes a write allocates, the fewer collections (server CPU) for the same traffic.
// How: the script runs itself again with JSC's collector off (BUN_JSC_useGC=0), where the heap's
// size (process.memoryUsage().heapUsed) grows by every byte allocated in it and never shrinks:
// the growth over a phase's writes, divided by their count; the resident set's growth beside it
// adds what lives outside the heap (strings' characters, buffers). Also the process's CPU per
// write, without the collector's share. With --stages the server's stage timers count bytes
// instead of milliseconds (KUBUN_STAGE_BYTES, src/store/stage-timers.ts): what each stage
// allocates (reading the heap's size at every stage adds CPU and a little heap: compare totals
// between builds without --stages). The byte counts do not depend on the machine's load.
//   bun bench/write-garbage.ts [--pods 2000] [--stages] [--json]
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { STAGE_TIMERS, stageTotals } from "../src/store/stage-timers.ts";
import { inProcessApp } from "./inproc-app.ts";
import { kubeletStatus, WORKLOADS } from "./fake-objects.ts";

const { values: args } = parseArgs({ args: process.argv.slice(2), options: { pods: { type: "string", default: "2000" }, stages: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const PODS = Number(args.pods);
if (process.env.KUBUN_WRITE_GARBAGE_RUN !== "1") {
  // Again, with the collector off (and with --stages, the stages counting bytes: reading the
  // heap's size at every stage costs CPU and a little heap of its own, so the totals and CPU
  // to compare between builds are those of a run without it).
  const stages = args.stages ? { KUBUN_STAGE_TIMERS: "/dev/null", KUBUN_STAGE_BYTES: "1" } : {};
  const child = Bun.spawnSync([process.execPath, import.meta.path, ...process.argv.slice(2)], {
    env: { ...process.env, BUN_JSC_useGC: "0", KUBUN_WRITE_GARBAGE_RUN: "1", ...stages },
    stdio: ["ignore", "inherit", "inherit"],
  });
  process.exit(child.exitCode ?? 1);
}
const heapUsed = () => process.memoryUsage().heapUsed;

// On tmpfs when there is one: fsync is not what is measured, and idle waits for it would let JSC collect inside a write.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "kubun-write-garbage-"));
try {
  const { store, app } = await inProcessApp(join(dir, "db.sqlite"));
  const headers = { authorization: "Bearer t", "content-type": "application/json", "user-agent": "kubelet/v1.32.0" };
  const merge = { ...headers, "content-type": "application/merge-patch+json" };
  const call = async (path: string, method: string, body: unknown, h: Record<string, string> = headers) => {
    const res = await app.request(path, { method, body: JSON.stringify(body), headers: h });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
  };
  // A client's watch on the pods, reading (not decoding) every event.
  const watch = await app.request(`/api/v1/namespaces/default/pods?watch=1&resourceVersion=${store.revision}`, { headers });
  let watchBytes = 0;
  const reading = (async () => {
    for await (const chunk of watch.body! as unknown as AsyncIterable<Uint8Array>) watchBytes += chunk.byteLength;
  })();

  const phases: Record<string, { kb: number; rssKb: number; cpuUs: number; stages: Record<string, number> }> = {};
  /** Runs `write(i)` `count` times, one at a time: the KB allocated per write, in all and by stage. */
  const phase = async (name: string, count: number, write: (i: number) => Promise<void>) => {
    const before = STAGE_TIMERS ? structuredClone(stageTotals().stages) : {}; // the totals are mutated in place
    const heap0 = heapUsed();
    const rss0 = process.memoryUsage.rss();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < count; i++) await write(i);
    // The process's CPU per write with nothing collected: the writes' own code, without the collector's share.
    const cpu = process.cpuUsage(cpu0);
    const cpuUs = (cpu.user + cpu.system) / count;
    await Bun.sleep(20);
    const kb = (heapUsed() - heap0) / count / 1024;
    // With nothing collected, the resident set grows by what the heap does and by what lives
    // outside it until a collection (strings' characters, buffers): the garbage JSC does not see.
    const rssKb = (process.memoryUsage.rss() - rss0) / count / 1024;
    const stages: Record<string, number> = {};
    for (const [stage, t] of Object.entries(STAGE_TIMERS ? stageTotals().stages : {})) {
      const bytes = t.ms - (before[stage]?.ms ?? 0);
      if (bytes > 0) stages[stage] = Number((bytes / count / 1024).toFixed(2));
    }
    phases[name] = { kb: Number(kb.toFixed(2)), rssKb: Number(rssKb.toFixed(2)), cpuUs: Math.round(cpuUs), stages };
  };
  const pod = (i: number) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: `pod-${i}`, labels: { app: `app-${i % 50}` } }, spec: WORKLOADS[i % 5] });
  // Warm-up: the same writes on other pods, so that compiled code and caches are in place.
  const warm = Math.min(500, PODS);
  for (let i = 0; i < warm; i++) {
    await call("/api/v1/namespaces/default/pods", "POST", { ...pod(i), metadata: { name: `warm-${i}` } });
    await call(`/api/v1/namespaces/default/pods/warm-${i}/binding`, "POST", { apiVersion: "v1", kind: "Binding", metadata: { name: `warm-${i}` }, target: { kind: "Node", name: `node-${i % 100}` } });
    await call(`/api/v1/namespaces/default/pods/warm-${i}/status`, "PATCH", kubeletStatus(`warm-${i}`, `node-${i % 100}`, i), merge);
  }
  await phase("create", PODS, (i) => call("/api/v1/namespaces/default/pods", "POST", pod(i)));
  await phase("binding", PODS, (i) => call(`/api/v1/namespaces/default/pods/pod-${i}/binding`, "POST", { apiVersion: "v1", kind: "Binding", metadata: { name: `pod-${i}` }, target: { kind: "Node", name: `node-${i % 100}` } }));
  await phase("status", PODS, (i) => call(`/api/v1/namespaces/default/pods/pod-${i}/status`, "PATCH", kubeletStatus(`pod-${i}`, `node-${i % 100}`, i), merge));
  // What any request costs (routing, authentication, authorization, the Request and Response), for comparison.
  const get = async (path: string) => {
    const res = await app.request(path, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  };
  await phase("get", PODS, (i) => get(`/api/v1/namespaces/default/pods/pod-${i}`));
  await phase("get /version", PODS, () => get("/version"));
  const leases = Math.min(PODS, 1000);
  const lease = (name: string) => ({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "default" }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace("Z", "000Z") } });
  for (let i = 0; i < leases; i++) await call("/apis/coordination.k8s.io/v1/namespaces/default/leases", "POST", lease(`node-${i}`));
  await phase("lease renewal", leases, (i) => call(`/apis/coordination.k8s.io/v1/namespaces/default/leases/node-${i}`, "PATCH", { spec: { renewTime: new Date().toISOString().replace("Z", "000Z") } }, merge));
  const result = { pods: PODS, watch_mb: Number((watchBytes / 2 ** 20).toFixed(1)), ...Object.fromEntries(Object.entries(phases).flatMap(([k, v]) => [[`${k.replace(" ", "_")}_kb`, v.kb], [`${k.replace(" ", "_")}_rss_kb`, v.rssKb], [`${k.replace(" ", "_")}_cpu_us`, v.cpuUs]])) };
  if (!args.json) {
    console.log("KB the server allocates per write (in process, one write at a time; the stages timed in src/api and src/store)");
    for (const [k, v] of Object.entries(phases)) {
      const stages = Object.entries(v.stages).sort((a, b) => b[1] - a[1]);
      console.log(`  ${k.padEnd(14)} ${v.kb.toFixed(1).padStart(6)} KB in the heap (${v.rssKb.toFixed(1)} KB resident), ${v.cpuUs} µs CPU: ${stages.map(([s, kb]) => `${s} ${kb.toFixed(1)}`).join(", ")}`);
    }
  }
  console.log(JSON.stringify(result));
  watch.body?.cancel().catch(() => {});
  void reading.catch(() => {});
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
