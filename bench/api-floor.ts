// bench:api's fixed-shape floor: the same clients, the same create bodies and the same one
// watcher as kubun's burst, against bench/shape-floor.ts (Bun.serve + Hono + SQLite's group
// commit, nothing of Kubernetes' semantics), after the same warm-up. What a server of kubun's
// fixed shape can do at best on this machine, measured in the same run as kubun's figures.
import { join } from "node:path";
import { cpuSeconds } from "./processes.ts";
import { load, type LoadResult } from "./api-load.ts";
import type { RoundTrip } from "./api-tail.ts";

type Call = (path: string, init?: RequestInit) => Promise<Response>;

export interface FloorDeps {
  /** The directory with serving.crt/serving.key (kubun's server's), and where the floor's SQLite file goes. */
  tlsDir: string;
  dataDir: string;
  /** The server's environment (the JSC settings kubun's server runs with). */
  env: Record<string, string>;
  clients: number;
  creates: number;
  headers: Record<string, string>;
  ca: string;
  spawnListening: (cmd: string[], env?: Record<string, string>) => Promise<{ proc: Bun.Subprocess; url: string }>;
  warmUp: (what: string, request: (i: number) => { url: string; body: string }, headers: Record<string, string>, ca: string, expected: number) => Promise<number>;
  createRequest: (url: string) => (i: number) => { url: string; body: string };
  watchLatencies: (call: Call, resourceVersion: string, sent: Map<string, number>) => {
    latencies: number[];
    seen: (n: number, ms?: number) => Promise<void>;
    stop: () => void;
  };
  progress: (msg: string) => void;
}

export interface FloorRun {
  creates: LoadResult;
  /** Events its one watch saw of the burst's creates, and their send → event latency. */
  watched: number;
  latencies: number[];
  trips: RoundTrip[];
  /** The floor server's process CPU over the burst, µs per create. */
  cpuUsPerCreate: number;
  /** The floor's group commits over the burst: groups, rows, ms its event loop spent in them. */
  commits: { groups: number; rows: number; ms: number };
}

export async function shapeFloorRun(d: FloorDeps): Promise<FloorRun> {
  d.progress(`fixed-shape floor: ${d.creates} creates from ${d.clients} clients to bench/shape-floor.ts, watched`);
  const floor = await d.spawnListening([process.execPath, "bench/shape-floor.ts", join(d.tlsDir, "serving.crt"), join(d.tlsDir, "serving.key"), join(d.dataDir, "floor.db")], d.env);
  try {
    const call: Call = (path, init = {}) => fetch(`${floor.url}${path}`, { ...init, headers: d.headers, tls: { ca: d.ca } } as RequestInit);
    await call("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "bench" } }) });
    await call("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "warmup" } }) });
    await d.warmUp("the fixed-shape floor", (i) => ({ url: `${floor.url}/api/v1/namespaces/warmup/configmaps`, body: JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } }) }), d.headers, d.ca, 201);
    const before: any = await (await call("/api/v1/namespaces/bench/configmaps?limit=1")).json();
    const sent = new Map<string, number>();
    const watch = d.watchLatencies(call, before.metadata.resourceVersion, sent);
    await Bun.sleep(200);
    const trips: RoundTrip[] = [];
    const stats = async () => (await (await call("/shape-floor/stats")).json()) as FloorRun["commits"];
    const stats0 = await stats();
    const cpu0 = cpuSeconds(floor.proc.pid);
    const creates = await load(d.clients, d.creates, d.createRequest(floor.url), d.headers, d.ca, 201, sent, (i) => `cm-${i}`, undefined, trips);
    const cpu = cpuSeconds(floor.proc.pid) - cpu0;
    const stats1 = await stats();
    await watch.seen(creates.ok);
    watch.stop();
    return { creates, watched: watch.latencies.length, latencies: watch.latencies, trips, cpuUsPerCreate: Math.round((cpu * 1e6) / Math.max(1, creates.ok)), commits: { groups: stats1.groups - stats0.groups, rows: stats1.rows - stats0.rows, ms: Math.round(stats1.ms - stats0.ms) } };
  } finally {
    floor.proc.kill();
    await floor.proc.exited;
  }
}
