// `bun run bench`: the scheduler core bench (wasm vs the TypeScript reference) with a throughput
// plot against node count, then the end-to-end bench (a real server and scheduler process, pods
// created through the API until all are bound). Prints tables, then as its LAST line one JSON
// object; results and the SVG go to bench/results/.
//
//   bun bench/index.ts [--nodes 5000] [--pods 50000] [--ts-pods 1500] [--scoring binpack|spread]
//                      [--e2e-pods 10000] [--e2e-nodes N (default --nodes)] [--clients 64]
//                      [--no-sweep] [--no-e2e] [--json]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureWasmBuilt } from "../wasm/build.ts";
import { type CoreResult, benchCore } from "./scheduler-core.ts";
import { type ConstraintResult, benchConstraints } from "./scheduler-constraints.ts";
import { type E2EResult, REQUESTS_PER_POD, benchE2E } from "./scheduler-e2e.ts";
import { lineChart } from "./svg.ts";

export interface BenchOptions {
  nodes: number;
  pods: number;
  tsPods: number;
  scoring: "binpack" | "spread";
  sweep: boolean;
  json: boolean;
  resultsDir: string;
  /** The constraint workload (pod affinity, topology spread), reported apart; undefined skips it. */
  constraints?: { nodes: number; pods: number };
  /** End-to-end run; undefined skips it. */
  e2e?: { nodes: number; pods: number; clients: number };
}

const SWEEP_NODES = [500, 1000, 2000, 5000];

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function table(rows: CoreResult[]): string {
  const head = ["nodes", "wasm pods/s", "wasm (no cache) pods/s", "ts pods/s", "wasm/ts"];
  const body = rows.map((r) => [
    fmt(r.nodes), fmt(r.wasm.podsPerSecond), fmt(r.wasmNoCache.podsPerSecond), fmt(r.ts.podsPerSecond), `${r.ratio.toFixed(1)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

export async function runBench(o: BenchOptions): Promise<Record<string, unknown>> {
  ensureWasmBuilt("scheduler");
  const log = o.json ? () => {} : (s: string) => console.log(s);
  const opts = { scoring: o.scoring };

  log(`scheduler core: ${fmt(o.nodes)} nodes, ${fmt(o.pods)} pods (ts reference on ${fmt(Math.min(o.tsPods, o.pods))}), scoring ${o.scoring}, all nodes scored`);
  const main = benchCore(o.nodes, o.pods, o.tsPods, opts);

  const sweep: CoreResult[] = [];
  if (o.sweep) {
    for (const n of SWEEP_NODES) {
      sweep.push(n === o.nodes ? main : benchCore(n, Math.min(o.pods, 20000), o.tsPods, opts));
    }
  }
  log("");
  log(table(o.sweep ? sweep : [main]));
  log("");
  log(`wasm scheduled ${fmt(main.wasm.scheduled)}/${fmt(main.wasm.pods)} pods in ${main.wasm.seconds.toFixed(2)}s`);
  const identical = [main, ...sweep].every((r) => r.identical);
  log(`wasm choices ${identical ? "identical to" : "DIFFER from"} the full scan and the TS reference`);

  let constraints: ConstraintResult | undefined;
  if (o.constraints) {
    log("");
    log(`constraint workload: ${fmt(o.constraints.nodes)} nodes, ${fmt(o.constraints.pods)} pods with pod (anti-)affinity and topology spread`);
    log("  (the plugins beside the core read every placed pod; no equivalence cache applies: not comparable with the mixes above)");
    constraints = benchConstraints(o.constraints.nodes, o.constraints.pods, Math.min(o.tsPods, 300), opts);
    log(`  wasm ${fmt(constraints.wasm.podsPerSecond)} pods/s (${fmt(constraints.wasm.scheduled)}/${fmt(constraints.wasm.pods)} placed), ts reference ${fmt(constraints.ts.podsPerSecond)} pods/s on ${fmt(constraints.ts.pods)}; choices ${constraints.identical ? "identical" : "DIFFER"}`);
  }

  let e2e: E2EResult | undefined;
  if (o.e2e) {
    log("");
    log(`end to end: kubun server + scheduler processes, ${fmt(o.e2e.nodes)} nodes, ${fmt(o.e2e.pods)} pods from ${o.e2e.clients} concurrent clients`);
    e2e = await benchE2E({ ...o.e2e, scoring: o.scoring, log: (s) => log(`  ${s}`) });
    log(`  ${fmt(e2e.bound)}/${fmt(e2e.pods)} bound: ${fmt(e2e.e2e_pods_per_s)} pods/s, create→bound p50 ${e2e.e2e_p50_ms} ms, p99 ${e2e.e2e_p99_ms} ms`);
    log(`  server peak RSS ${e2e.server_rss_mb} MB (scheduler ${e2e.scheduler_rss_mb} MB); CPU s: server ${e2e.cpu_s.server}, scheduler ${e2e.cpu_s.scheduler}, bench ${e2e.cpu_s.bench}`);
    if (e2e.paced) log(`  paced at ${fmt(e2e.paced.rate)} pods/s (half that rate): ${fmt(e2e.paced.bound)}/${fmt(e2e.paced.pods)} bound, create→bound p50 ${e2e.paced.p50_ms} ms, p99 ${e2e.paced.p99_ms} ms`);
    log(`  baseline, same run: a bare HTTPS server answers these clients ${fmt(e2e.transport_req_per_s)} req/s → at most ${fmt(e2e.transport_pods_per_s)} pods/s at ${REQUESTS_PER_POD} requests a pod (e2e is ${Math.round((100 * e2e.e2e_pods_per_s) / e2e.transport_pods_per_s)}% of it)`);
  }

  const result = {
    nodes: main.nodes,
    pods: main.pods,
    scoring: o.scoring,
    core_wasm_pods_per_s: Math.round(main.wasm.podsPerSecond),
    core_wasm_nocache_pods_per_s: Math.round(main.wasmNoCache.podsPerSecond),
    core_ts_pods_per_s: Math.round(main.ts.podsPerSecond),
    core_ts_pods_measured: main.ts.pods,
    core_ratio: Number(main.ratio.toFixed(2)),
    core_identical_to_full_scan: identical,
    core_sweep: sweep.map((r) => ({
      nodes: r.nodes,
      wasm: Math.round(r.wasm.podsPerSecond),
      wasm_nocache: Math.round(r.wasmNoCache.podsPerSecond),
      ts: Math.round(r.ts.podsPerSecond),
    })),
    constraints_nodes: constraints?.nodes ?? null,
    constraints_pods: constraints?.pods ?? null,
    constraints_wasm_pods_per_s: constraints ? Math.round(constraints.wasm.podsPerSecond) : null,
    constraints_ts_pods_per_s: constraints ? Math.round(constraints.ts.podsPerSecond) : null,
    constraints_identical: constraints?.identical ?? null,
    e2e: e2e ?? null,
    e2e_pods_per_s: e2e?.e2e_pods_per_s ?? null,
    e2e_p50_ms: e2e?.e2e_p50_ms ?? null,
    e2e_p99_ms: e2e?.e2e_p99_ms ?? null,
    e2e_paced_p50_ms: e2e?.paced?.p50_ms ?? null,
    e2e_paced_p99_ms: e2e?.paced?.p99_ms ?? null,
    e2e_transport_pods_per_s: e2e?.transport_pods_per_s ?? null,
    server_rss_mb: e2e?.server_rss_mb ?? null,
  };

  mkdirSync(o.resultsDir, { recursive: true });
  writeFileSync(join(o.resultsDir, "scheduler-core.json"), `${JSON.stringify(result, null, 2)}\n`);
  if (e2e) writeFileSync(join(o.resultsDir, "scheduler-e2e.json"), `${JSON.stringify(e2e, null, 2)}\n`);
  if (sweep.length > 0) {
    const svg = lineChart(`Scheduler core throughput (${o.scoring}, all nodes scored)`, "nodes", "pods/s", [
      { name: "wasm", color: "#1f77b4", points: sweep.map((r) => ({ x: r.nodes, y: r.wasm.podsPerSecond })) },
      { name: "wasm, no cache", color: "#2ca02c", points: sweep.map((r) => ({ x: r.nodes, y: r.wasmNoCache.podsPerSecond })) },
      { name: "ts reference", color: "#d62728", points: sweep.map((r) => ({ x: r.nodes, y: r.ts.podsPerSecond })) },
    ]);
    writeFileSync(join(o.resultsDir, "scheduler-core.svg"), svg);
    log(`wrote ${join(o.resultsDir, "scheduler-core.json")} and scheduler-core.svg`);
  }
  return result;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: "string", default: "5000" },
      pods: { type: "string", default: "50000" },
      "ts-pods": { type: "string", default: "1500" },
      scoring: { type: "string", default: "binpack" },
      "no-sweep": { type: "boolean", default: false },
      "no-e2e": { type: "boolean", default: false },
      "no-constraints": { type: "boolean", default: false },
      "constraint-nodes": { type: "string", default: "1000" },
      "constraint-pods": { type: "string", default: "3000" },
      "e2e-pods": { type: "string", default: "10000" },
      "e2e-nodes": { type: "string" },
      clients: { type: "string", default: "64" },
      json: { type: "boolean", default: false },
      results: { type: "string", default: join(import.meta.dir, "results") },
    },
  });
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  if (values.scoring !== "binpack" && values.scoring !== "spread") throw new Error("--scoring must be binpack or spread");
  return {
    nodes: int("nodes", values.nodes),
    pods: int("pods", values.pods),
    tsPods: int("ts-pods", values["ts-pods"]),
    scoring: values.scoring,
    sweep: !values["no-sweep"],
    json: values.json,
    resultsDir: values.results,
    constraints: values["no-constraints"]
      ? undefined
      : { nodes: int("constraint-nodes", values["constraint-nodes"]), pods: int("constraint-pods", values["constraint-pods"]) },
    e2e: values["no-e2e"]
      ? undefined
      : { nodes: int("e2e-nodes", values["e2e-nodes"] ?? values.nodes), pods: int("e2e-pods", values["e2e-pods"]), clients: int("clients", values.clients) },
  };
}

if (import.meta.main) {
  const result = await runBench(parseBenchArgs(process.argv.slice(2)));
  console.log(JSON.stringify(result));
}
