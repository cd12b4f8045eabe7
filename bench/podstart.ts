// bun run bench:podstart — pod create → Running as seen by a watch, against a real `kubun agent`
// process and its containerd, with the image already on the node: pods pre-bound to the node
// (spec.nodeName set) and pods that go through the scheduler (no nodeName: create → bound →
// Running), one at a time, in rounds with the raw CRI floor (RunPodSandbox + CreateContainer +
// StartContainer straight to the agent's containerd); then a burst, and the floor's burst. Also
// the agent's RSS with the burst's pods running, and as its baseline the RSS of an idle bun
// process with only the agent's wire libraries loaded. Goals: p50 ≤ 300 ms, p99 ≤ 1 s, ≤ 80 ms
// above the floor (pre-bound and scheduled), RSS ≤ 1.5× the library floor with 20 pods.
//   --sequential N (default 20)  --burst N (default 20)  --scheduled N (default 20)  --floor N (default 20)
//   --gap MS (default 0): a pause before each one-at-a-time round, so `kubun agent` has dropped its
//   compiled code (agent/code-trim.ts: after 500 ms without pod events) before each pod it starts.
// Its last line is one JSON object (p50_ms, p99_ms, scheduled_p50_ms, floor_p50_ms, agent_rss_mb ...).
// For profiling: KUBUN_BENCH_AGENT_FLAGS="--heap-prof --heap-prof-dir=D" passes bun flags to the
// agent process; KUBUN_BENCH_AGENT_SMAPS=FILE saves its /proc/PID/smaps next to the RSS figure.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { bridgeName } from "../agent/cni.ts";
import { containerdPaths } from "../agent/containerd.ts";
import { CriClient, type ContainerConfig, type PodSandboxConfig } from "../agent/cri/index.ts";
import { agentId, iptablesBackend, names } from "../agent/netpol/index.ts";
import { POD_UID } from "../agent/pods/labels.ts";
import { teardownPod } from "../agent/pods/runtime-pod.ts";
import type { Pod } from "../src/apis/index.ts";
import { startServer } from "../src/cli/server.ts";
import { buildTestImages } from "../scripts/build-test-images.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sequential: { type: "string", default: "20" },
    burst: { type: "string", default: "20" },
    scheduled: { type: "string", default: "20" },
    floor: { type: "string", default: "20" },
    gap: { type: "string", default: "0" },
    json: { type: "boolean", default: false },
  },
});
const ROOT = resolve(import.meta.dir, "..");
const NODE = "bench-podstart";
const IMAGE = "docker.io/local/busybox:1";
const progress = (m: string) => process.stderr.write(`podstart: ${m}\n`);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const summary = (xs: number[]) => ({ n: xs.length, p50: Math.round(percentile(xs, 50)), p99: Math.round(percentile(xs, 99)), max: Math.round(Math.max(...xs)) });

const tmp = mkdtempSync(join(tmpdir(), "kubun-bps-"));
const dataDir = join(tmp, "agent");
const images = await buildTestImages();
mkdirSync(join(dataDir, "images"), { recursive: true });
for (const tar of [images.pause, images.busybox]) copyFileSync(tar, join(dataDir, "images", tar.split("/").pop()!));
const server = await startServer({ dataDir: join(tmp, "server"), port: 0, bind: "127.0.0.1", controllers: false });
const caFile = join(tmp, "ca.crt");
writeFileSync(caFile, server.ca.cert);
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json", ...init.headers }, tls: { ca: server.ca.cert } } as RequestInit);

// The agent as it runs in production: its own process, its own containerd.
const agent = Bun.spawn([process.execPath, ...(process.env.KUBUN_BENCH_AGENT_FLAGS?.split(" ").filter(Boolean) ?? []), "src/cli/main.ts", "agent", "--server", server.url, "--token", server.adminToken, "--ca-file", caFile, "--data-dir", dataDir, "--node-name", NODE, "--pod-cidr", "10.213.40.0/24", "--log-port", "0", "--pause-image", "docker.io/local/pause:1"], {
  cwd: ROOT,
  stdout: "pipe",
  stderr: "inherit",
});
{
  let out = "";
  for await (const chunk of agent.stdout as ReadableStream<Uint8Array>) {
    out += new TextDecoder().decode(chunk);
    if (out.includes(`node ${NODE} ready`)) break;
  }
}
progress("agent ready");

// Running-seen times, fed by one watch on the node's pods.
const runningAt = new Map<string, number>();
const waiters = new Map<string, () => void>();
const watch = new AbortController();
void (async () => {
  const res = await api(`/api/v1/namespaces/default/pods?watch=1&fieldSelector=spec.nodeName%3D${NODE}`, { signal: watch.signal });
  let buf = "";
  try {
    for await (const chunk of res.body as ReadableStream<Uint8Array>) {
      const now = performance.now();
      buf += new TextDecoder().decode(chunk);
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const ev = JSON.parse(line) as { type: string; object: Pod };
        const name = ev.object.metadata.name!;
        if (ev.object.status?.phase === "Running" && !runningAt.has(name)) {
          runningAt.set(name, now);
          waiters.get(name)?.();
        }
      }
    }
  } catch {
    // aborted at the end
  }
})();
await Bun.sleep(200);

/** Creates a pod and resolves with create → Running in ms; `scheduled` leaves spec.nodeName to the scheduler. */
async function createPod(name: string, scheduled = false): Promise<number> {
  const running = new Promise<void>((r) => waiters.set(name, r));
  const t0 = performance.now();
  const res = await api("/api/v1/namespaces/default/pods", {
    method: "POST",
    body: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { ...(scheduled ? {} : { nodeName: NODE }), terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: IMAGE, imagePullPolicy: "Never" }] } }),
  });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
  await running;
  return runningAt.get(name)! - t0;
}

const cri = new CriClient({ socket: containerdPaths(dataDir).socket });

/**
 * Deletes the pods and waits until the agent has torn them down too: with a grace period of 0
 * the API objects vanish at once, and a teardown still running would weigh on the next phase.
 */
async function deleteAll(names: string[]): Promise<void> {
  for (const n of names) await api(`/api/v1/namespaces/default/pods/${n}`, { method: "DELETE" });
  for (;;) {
    const list = (await (await api("/api/v1/namespaces/default/pods")).json()) as { items: Pod[] };
    if (list.items.length === 0 && (await cri.listPodSandbox()).length === 0) return;
    await Bun.sleep(200);
  }
}

/** The JavaScriptCore options (BUN_JSC_*) a process runs with, from its environment: `kubun agent` sets its own (agent/jsc-options.ts). */
function jscOptionsOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter((kv) => kv.startsWith("BUN_JSC_"));
}

/** The agent's memory from /proc, in MB: resident total, its anonymous part (heap) and file-backed part (the bun binary's pages). */
function memoryOf(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  return { rss: mb("VmRSS"), anon: mb("RssAnon"), file: mb("RssFile") };
}

// The floor: the same sandbox and container straight through CRI.
/** One pod straight through CRI; resolves with its start time and its uid (for teardown). */
async function criPod(i: number): Promise<{ ms: number; uid: string }> {
  const uid = crypto.randomUUID();
  const logDir = join(tmp, "floor", uid);
  mkdirSync(logDir, { recursive: true });
  const sandbox: PodSandboxConfig = {
    metadata: { name: `floor-${i}`, uid, namespace: "default", attempt: 0 },
    hostname: `floor-${i}`,
    log_directory: logDir,
    labels: { [POD_UID]: uid },
    annotations: {},
    linux: { security_context: { namespace_options: { network: "POD", pid: "CONTAINER", ipc: "POD" } } },
  } as PodSandboxConfig;
  const container = { metadata: { name: "c", attempt: 0 }, image: { image: IMAGE }, log_path: "c/0.log", labels: { [POD_UID]: uid }, annotations: {} } as unknown as ContainerConfig;
  const t0 = performance.now();
  const id = await cri.runPodSandbox(sandbox);
  const cid = await cri.createContainer(id, container, sandbox);
  await cri.startContainer(cid);
  return { ms: performance.now() - t0, uid };
}

// 1. one pod at a time, in rounds: a raw CRI pod (the floor), a pre-bound pod, a pod through the
// scheduler (the server runs it in-process, as `kubun server` does). Interleaved, the three see
// the same machine: a load that comes and goes weighs on each alike, so their differences hold.
const sequential: number[] = [];
const scheduled: number[] = [];
const floor: number[] = [];
const seqNames = Array.from({ length: Number(args.sequential) }, (_, i) => `seq-${i}`);
const schedNames = Array.from({ length: Number(args.scheduled) }, (_, i) => `sched-${i}`);
const floorUids: string[] = [];
for (let i = 0; i < Math.max(seqNames.length, schedNames.length, Number(args.floor)); i++) {
  if (Number(args.gap) > 0) await Bun.sleep(Number(args.gap));
  if (i < Number(args.floor)) {
    const { ms, uid } = await criPod(i);
    floor.push(ms);
    floorUids.push(uid);
  }
  if (i < seqNames.length) sequential.push(await createPod(seqNames[i]!));
  if (i < schedNames.length) scheduled.push(await createPod(schedNames[i]!, true));
}
progress(`floor: ${JSON.stringify(summary(floor))}`);
progress(`pre-bound: ${JSON.stringify(summary(sequential))}`);
progress(`scheduled: ${JSON.stringify(summary(scheduled))}`);
for (const uid of floorUids) await teardownPod(cri, uid, 0);
await deleteAll([...seqNames, ...schedNames]);

// 2. a burst
const burstNames = Array.from({ length: Number(args.burst) }, (_, i) => `burst-${i}`);
const burst = await Promise.all(burstNames.map((n) => createPod(n)));
progress(`burst: ${JSON.stringify(summary(burst))}`);
await Bun.sleep(1000);
const memory = memoryOf(agent.pid);
const agentJscOptions = jscOptionsOf(agent.pid);
if (process.env.KUBUN_BENCH_AGENT_SMAPS) writeFileSync(process.env.KUBUN_BENCH_AGENT_SMAPS, readFileSync(`/proc/${agent.pid}/smaps`));
await deleteAll(burstNames);

// 3. the same burst straight through CRI: what containerd and CNI themselves allow in parallel.
const floorBurstPods = await Promise.all(burstNames.map((_, i) => criPod(1000 + i)));
const floorBurst = floorBurstPods.map((p) => p.ms);
for (const p of floorBurstPods) await teardownPod(cri, p.uid, 0);
cri.close();
progress(`floor burst: ${JSON.stringify(summary(floorBurst))}`);

// 4. The memory floor: a Bun process that only loads the agent's two wire libraries (the gRPC
// client for CRI and undici for the API), idle, with JSC's defaults (no BUN_JSC_* options, even
// if this bench was given some). Whatever the agent does costs on top of this.
const floorEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BUN_JSC_")));
const floorProc = Bun.spawn([process.execPath, "-e", "await import('@grpc/grpc-js'); await import('undici/index.js'); console.log('ready'); setInterval(() => {}, 1000);"], { cwd: ROOT, stdout: "pipe", env: floorEnv });
await (floorProc.stdout as ReadableStream<Uint8Array>).getReader().read();
await Bun.sleep(1000);
const memoryFloor = memoryOf(floorProc.pid);
floorProc.kill();
await floorProc.exited;

const result = {
  sequential: summary(sequential),
  burst: summary(burst),
  scheduled: summary(scheduled),
  criFloor: summary(floor),
  criFloorBurst: summary(floorBurst),
  aboveFloorP50: Math.round(percentile(sequential, 50) - percentile(floor, 50)),
  scheduledAboveFloorP50: Math.round(percentile(scheduled, 50) - percentile(floor, 50)),
  agentRssMB: memory.rss,
  agentRssAnonMB: memory.anon,
  agentRssFileMB: memory.file,
  libraryFloorRssMB: memoryFloor.rss,
  libraryFloorRssAnonMB: memoryFloor.anon,
  /** What the agent process ran with (JSC options), against the floor's defaults. */
  agentJscOptions,
};

watch.abort();
agent.kill("SIGTERM"); // stops its containerd too; the pods are already gone
await agent.exited;
await Bun.spawn(["ip", "link", "del", bridgeName(dataDir)], { stdout: "ignore", stderr: "ignore" }).exited;
// A stopped agent keeps its NetworkPolicy chains (its pods may still run); the bench's are done.
await iptablesBackend(names(agentId(dataDir))).remove().catch(() => undefined);
const mounts = readFileSync("/proc/mounts", "utf8")
  .split("\n")
  .map((l) => l.split(" ")[1] ?? "")
  .filter((m) => m.startsWith(tmp))
  .sort((a, b) => b.length - a.length);
for (const m of mounts) await Bun.spawn(["umount", "-l", m]).exited;
await server.stop();
rmSync(tmp, { recursive: true, force: true });

if (!args.json) {
  console.log("pod create → Running (watch)   n    p50    p99    max  (ms)");
  for (const [k, s] of [["pre-bound, one at a time", result.sequential], [`pre-bound, burst of ${burst.length}`, result.burst], ["scheduled, one at a time", result.scheduled], ["raw CRI floor", result.criFloor], [`raw CRI floor, burst of ${burst.length}`, result.criFloorBurst]] as const)
    console.log(`${k.padEnd(30)} ${String(s.n).padStart(2)} ${String(s.p50).padStart(6)} ${String(s.p99).padStart(6)} ${String(s.max).padStart(6)}`);
  console.log(`one-at-a-time p50 above the floor: ${result.aboveFloorP50} ms pre-bound, ${result.scheduledAboveFloorP50} ms scheduled (goal <= 80 ms); agent RSS with ${burst.length} pods: ${result.agentRssMB} MB (anonymous ${result.agentRssAnonMB} MB, file-backed ${result.agentRssFileMB} MB)`);
  console.log(`memory floor: an idle bun process with only @grpc/grpc-js and undici loaded: ${result.libraryFloorRssMB} MB (anonymous ${result.libraryFloorRssAnonMB} MB), JSC's defaults`);
  console.log(`the agent ran with: ${agentJscOptions.length > 0 ? agentJscOptions.join(" ") : "JSC's defaults"}; as \`kubun agent\` it drops its compiled code once up and 500 ms after its pods' last event (agent/code-trim.ts)`);
}
writeFileSync(join(ROOT, "bench/results/podstart.json"), `${JSON.stringify(result, null, 2)}\n`);
// The last line, for scripts (bench:all): the figures by the names the issue tracker uses.
console.log(JSON.stringify({
  bench: "podstart",
  p50_ms: result.sequential.p50,
  p99_ms: result.sequential.p99,
  floor_p50_ms: result.criFloor.p50,
  scheduled_p50_ms: result.scheduled.p50,
  scheduled_p99_ms: result.scheduled.p99,
  burst_p50_ms: result.burst.p50,
  above_floor_p50_ms: result.aboveFloorP50,
  scheduled_above_floor_p50_ms: result.scheduledAboveFloorP50,
  agent_rss_mb: result.agentRssMB,
  floor_rss_mb: result.libraryFloorRssMB,
  agent_jsc_options: agentJscOptions.join(" "),
  agent_rss_anon_mb: result.agentRssAnonMB,
  agent_rss_file_mb: result.agentRssFileMB,
  gap_ms: Number(args.gap),
}));
