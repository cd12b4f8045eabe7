// `bun run bench`: the scheduler core bench (wasm vs the TypeScript reference) with a throughput
// plot against node count, then the end-to-end bench (a real server and scheduler process, pods
// created through the API until all are bound). Prints tables, then as its LAST line one JSON
// object; results and the SVG go to bench/results/.
//
//   bun bench/index.ts [--nodes 5000] [--pods 50000] [--ts-pods 1500] [--scoring binpack|spread]
//                      [--mix-pods 10000] [--no-mixes] [--no-constraints]
//                      [--e2e-pods 10000] [--e2e-nodes N (default --nodes)] [--clients 64]
//                      [--no-sweep] [--no-e2e] [--e2e-no-kubelets] [--json]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureWasmBuilt } from "../wasm/build.ts";
import { type CoreResult, type CoreRun, benchCore, benchCoreOn, fakeNodes } from "./scheduler-core.ts";
import { coldPods, constrainedCorePods, constrainedNodes } from "./scheduler-mixes.ts";
import { type ConstraintResult, benchConstraints } from "./scheduler-constraints.ts";
import { type E2EResult, REQUESTS_PER_POD, benchE2E } from "./scheduler-e2e.ts";
import { lineChart } from "./svg.ts";

export interface BenchOptions {
  nodes: number;
  pods: number;
  tsPods: number;
  /** Pods of each of the cold and constrained mixes (0 skips them). */
  mixPods: number;
  scoring: "binpack" | "spread";
  sweep: boolean;
  json: boolean;
  resultsDir: string;
  /** The constraint workload (pod affinity, topology spread), reported apart; undefined skips it. */
  constraints?: { nodes: number; pods: number };
  /** End-to-end run; undefined skips it. */
  e2e?: { nodes: number; pods: number; clients: number; kubelets?: boolean };
}

const SWEEP_NODES = [500, 1000, 2000, 5000];

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function rate(r: CoreRun): string {
  return fmt(r.podsPerSecond);
}

function table(rows: CoreResult[], first = "nodes", label = (r: CoreResult) => fmt(r.nodes)): string {
  const head = [first, "wasm scan", "TS twin scan", "wasm/TS", "wasm indexed", "TS twin indexed", "wasm/TS", "paired median", "TS reference (objects)"];
  const body = rows.map((r) => [
    label(r), rate(r.wasmScan), rate(r.tsScan), `${r.scanRatio.toFixed(2)}x`,
    rate(r.wasmIndexed), rate(r.tsIndexed), `${r.indexedRatio.toFixed(2)}x`, `${r.indexedRatioMedian.toFixed(2)}x`, rate(r.reference),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** The same keys for the main mix, each sweep point and each of the other mixes. */
function coreKeys(r: CoreResult): Record<string, number> {
  return {
    nodes: r.nodes,
    pods: r.pods,
    core_ts_scan_pods_per_s: Math.round(r.tsScan.podsPerSecond),
    core_wasm_scan_pods_per_s: Math.round(r.wasmScan.podsPerSecond),
    core_ts_indexed_pods_per_s: Math.round(r.tsIndexed.podsPerSecond),
    core_wasm_indexed_pods_per_s: Math.round(r.wasmIndexed.podsPerSecond),
    core_scan_ratio: Number(r.scanRatio.toFixed(2)),
    core_indexed_ratio: Number(r.indexedRatio.toFixed(2)),
    core_indexed_ratio_median: Number(r.indexedRatioMedian.toFixed(2)),
    core_wasm_indexed_call_us: Number(r.wasmIndexedCallUs.toFixed(3)),
    core_ts_indexed_call_us: Number(r.tsIndexedCallUs.toFixed(3)),
    core_indexed_call_ratio: Number((r.tsIndexedCallUs / r.wasmIndexedCallUs).toFixed(2)),
    core_ts_reference_pods_per_s: Math.round(r.reference.podsPerSecond),
    core_ts_reference_pods_measured: r.reference.pods,
    core_choices_checked: r.checked,
    core_choices_differing: r.differing,
  };
}

/** An honest sentence about the ratios: the goal is wasm ≥ 2× its same-algorithm twin. */
function verdict(r: CoreResult): string {
  const met = (x: number) => (x >= 2 ? "meets" : "does NOT meet");
  const calls = r.tsIndexedCallUs / r.wasmIndexedCallUs;
  return `wasm is ${r.scanRatio.toFixed(2)}x its TS twin on the full scan (${met(r.scanRatio)} the 2x goal) and ${r.indexedRatio.toFixed(2)}x with the class index (${met(r.indexedRatio)} it; median of the paired rounds ${r.indexedRatioMedian.toFixed(2)}x); ` +
    `inside the indexed schedule() call alone ${calls.toFixed(2)}x (${r.wasmIndexedCallUs.toFixed(2)} vs ${r.tsIndexedCallUs.toFixed(2)} µs a pod), the rest of a pod's work being the same TypeScript for both`;
}

export async function runBench(o: BenchOptions): Promise<Record<string, unknown>> {
  ensureWasmBuilt("scheduler");
  const log = o.json ? () => {} : (s: string) => console.log(s);
  const opts = { scoring: o.scoring };

  log(`scheduler core: ${fmt(o.nodes)} nodes, ${fmt(o.pods)} pods, scoring ${o.scoring}; the wasm module against its TypeScript twin (same algorithm, same memory layout)`);
  log("  scan: every node filtered and scored for every pod; indexed: choices equal to a full scan of all nodes (incremental),");
  log(`  only nodes changed since the pod class last looked are evaluated again; TS reference: the object-based scorer on ${fmt(Math.min(o.tsPods, o.pods))} pods`);
  const main = benchCore(o.nodes, o.pods, o.tsPods, opts);

  const sweep: CoreResult[] = [];
  if (o.sweep) {
    for (const n of SWEEP_NODES) {
      sweep.push(n === o.nodes ? main : benchCore(n, Math.min(o.pods, 20000), o.tsPods, opts));
    }
  }
  log("");
  log("pods/s, hot mix (six workloads)");
  log(table(o.sweep ? sweep : [main]));

  const mixes: Record<string, CoreResult> = {};
  if (o.mixPods > 0) {
    const nodes = fakeNodes(o.nodes);
    mixes.cold = benchCoreOn(nodes, coldPods(o.mixPods), o.tsPods, opts);
    const constrained = constrainedNodes(o.nodes);
    mixes.constrained = benchCoreOn(constrained, constrainedCorePods(o.mixPods), o.tsPods, opts);
    log("");
    log(`pods/s, ${fmt(o.nodes)} nodes, ${fmt(o.mixPods)} pods: cold = 9 pods in 10 of a class of their own (class cache holds 32);`);
    log("constrained = required node affinity, up to 7 taints a node, host ports");
    log(table(Object.values(mixes), "mix", (r) => Object.keys(mixes).find((k) => mixes[k] === r)!));
  }

  const all = [...new Set([main, ...sweep, ...Object.values(mixes)])];
  const checked = all.reduce((n, r) => n + r.checked, 0);
  const differing = all.reduce((n, r) => n + r.differing, 0);
  log("");
  log(`wasm indexed scheduled ${fmt(main.wasmIndexed.scheduled)}/${fmt(main.wasmIndexed.pods)} pods in ${main.wasmIndexed.seconds.toFixed(2)}s`);
  log(`${fmt(checked)} choices checked against a full scan of all nodes (wasm): ${differing === 0 ? "all equal" : `${fmt(differing)} DIFFER`}`);
  log(verdict(main));
  let constraints: ConstraintResult | undefined;
  if (o.constraints) {
    log("");
    log(`constraint workload: ${fmt(o.constraints.nodes)} nodes, ${fmt(o.constraints.pods)} pods with pod (anti-)affinity and topology spread`);
    log("  (the plugins beside the core read every placed pod; no equivalence cache applies: not comparable with the mixes above)");
    constraints = benchConstraints(o.constraints.nodes, o.constraints.pods, Math.min(o.tsPods, 300), opts);
    log(`  wasm ${fmt(constraints.wasm.podsPerSecond)} pods/s (${fmt(constraints.wasm.scheduled)}/${fmt(constraints.wasm.pods)} placed), TS twin ${fmt(constraints.twin.podsPerSecond)} pods/s, ts reference ${fmt(constraints.ts.podsPerSecond)} pods/s on ${fmt(constraints.ts.pods)}; choices ${constraints.identical ? "identical" : "DIFFER"}`);
  }

  let e2e: E2EResult | undefined;
  if (o.e2e) {
    log("");
    log(`end to end: kubun server + scheduler processes, ${fmt(o.e2e.nodes)} nodes, ${fmt(o.e2e.pods)} pods from ${o.e2e.clients} concurrent clients`);
    e2e = await benchE2E({ ...o.e2e, scoring: o.scoring, log: (s) => log(`  ${s}`) });
    log(`  ${fmt(e2e.bound)}/${fmt(e2e.pods)} bound: ${fmt(e2e.e2e_pods_per_s)} pods/s, create→bound p50 ${e2e.e2e_p50_ms} ms, p99 ${e2e.e2e_p99_ms} ms`);
    log(`  server peak RSS ${e2e.server_rss_mb} MB (scheduler ${e2e.scheduler_rss_mb} MB); CPU s: server ${e2e.cpu_s.server}, scheduler ${e2e.cpu_s.scheduler}, bench ${e2e.cpu_s.bench}`);
    if (e2e.heartbeats && e2e.kubelet_writes) {
      log(`  fake kubelets meanwhile: ${fmt(e2e.heartbeats.renewals)} lease renewals (${fmt(e2e.heartbeats.per_s)}/s), ${fmt(e2e.kubelet_writes.node_status)} node status posts, ${fmt(e2e.kubelet_writes.pods_running)} pods marked Running`);
    }
    log(`  Scheduled events: ${fmt(e2e.events.written)} written by the scheduler's recorder, ${fmt(e2e.events.dropped)} bound pods without one`);
    if (e2e.paced) log(`  paced at ${fmt(e2e.paced.rate)} pods/s (half that rate): ${fmt(e2e.paced.bound)}/${fmt(e2e.paced.pods)} bound, create→bound p50 ${e2e.paced.p50_ms} ms, p99 ${e2e.paced.p99_ms} ms`);
    log(`  baseline, same run: a bare HTTPS server answers these clients ${fmt(e2e.transport_req_per_s)} req/s → at most ${fmt(e2e.transport_pods_per_s)} pods/s at ${REQUESTS_PER_POD} requests a pod (e2e is ${Math.round((100 * e2e.e2e_pods_per_s) / e2e.transport_pods_per_s)}% of it)`);
    if (e2e.shape_floor) {
      const f = e2e.shape_floor;
      log(`  fixed-shape floor, same run (bench/shape-floor.ts: the same requests, kubelets and pod watches to a Hono + SQLite group-commit server doing nothing else): ${fmt(f.pods_per_s)} pods/s, create→bound p99 ${f.p99_ms} ms; its CPU ${f.server_cpu_us_per_pod} µs a pod (e2e is ${Math.round((100 * e2e.e2e_pods_per_s) / f.pods_per_s)}% of it)`);
    }
  }

  const result = {
    ...coreKeys(main),
    scoring: o.scoring,
    // Earlier names, kept for readers of older results: indexed wasm, wasm scan, object reference.
    core_wasm_pods_per_s: Math.round(main.wasmIndexed.podsPerSecond),
    core_wasm_nocache_pods_per_s: Math.round(main.wasmScan.podsPerSecond),
    core_ts_pods_per_s: Math.round(main.reference.podsPerSecond),
    core_ts_pods_measured: main.reference.pods,
    core_ratio: Number((main.wasmIndexed.podsPerSecond / main.reference.podsPerSecond).toFixed(2)),
    core_identical_to_full_scan: differing === 0,
    core_all_choices_checked: checked,
    core_all_choices_differing: differing,
    core_verdict: verdict(main),
    core_sweep: sweep.map(coreKeys),
    mixes: Object.fromEntries(Object.entries(mixes).map(([k, r]) => [k, coreKeys(r)])),
    constraints_nodes: constraints?.nodes ?? null,
    constraints_pods: constraints?.pods ?? null,
    constraints_wasm_pods_per_s: constraints ? Math.round(constraints.wasm.podsPerSecond) : null,
    constraints_ts_pods_per_s: constraints ? Math.round(constraints.ts.podsPerSecond) : null,
    constraints_ts_twin_pods_per_s: constraints ? Math.round(constraints.twin.podsPerSecond) : null,
    constraints_identical: constraints?.identical ?? null,
    e2e: e2e ?? null,
    e2e_pods_per_s: e2e?.e2e_pods_per_s ?? null,
    e2e_p50_ms: e2e?.e2e_p50_ms ?? null,
    e2e_p99_ms: e2e?.e2e_p99_ms ?? null,
    e2e_paced_p50_ms: e2e?.paced?.p50_ms ?? null,
    e2e_paced_p99_ms: e2e?.paced?.p99_ms ?? null,
    e2e_transport_pods_per_s: e2e?.transport_pods_per_s ?? null,
    e2e_shape_floor_pods_per_s: e2e?.e2e_shape_floor_pods_per_s ?? null,
    e2e_events_written: e2e?.events.written ?? null,
    e2e_events_dropped: e2e?.events.dropped ?? null,
    e2e_pods_marked_running: e2e?.kubelet_writes?.pods_running ?? null,
    server_rss_mb: e2e?.server_rss_mb ?? null,
  };

  mkdirSync(o.resultsDir, { recursive: true });
  writeFileSync(join(o.resultsDir, "scheduler-core.json"), `${JSON.stringify(result, null, 2)}\n`);
  if (e2e) writeFileSync(join(o.resultsDir, "scheduler-e2e.json"), `${JSON.stringify(e2e, null, 2)}\n`);
  if (sweep.length > 0) {
    const svg = lineChart(`Scheduler core throughput (${o.scoring}; same algorithm in wasm and TS)`, "nodes", "pods/s", [
      { name: "wasm, indexed", color: "#1f77b4", points: sweep.map((r) => ({ x: r.nodes, y: r.wasmIndexed.podsPerSecond })) },
      { name: "TS twin, indexed", color: "#aec7e8", points: sweep.map((r) => ({ x: r.nodes, y: r.tsIndexed.podsPerSecond })) },
      { name: "wasm, full scan", color: "#2ca02c", points: sweep.map((r) => ({ x: r.nodes, y: r.wasmScan.podsPerSecond })) },
      { name: "TS twin, full scan", color: "#98df8a", points: sweep.map((r) => ({ x: r.nodes, y: r.tsScan.podsPerSecond })) },
      { name: "TS reference (objects)", color: "#d62728", points: sweep.map((r) => ({ x: r.nodes, y: r.reference.podsPerSecond })) },
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
      "mix-pods": { type: "string", default: "10000" },
      "no-mixes": { type: "boolean", default: false },
      scoring: { type: "string", default: "binpack" },
      "no-sweep": { type: "boolean", default: false },
      "no-e2e": { type: "boolean", default: false },
      "no-constraints": { type: "boolean", default: false },
      "constraint-nodes": { type: "string", default: "1000" },
      "constraint-pods": { type: "string", default: "3000" },
      "e2e-pods": { type: "string", default: "10000" },
      "e2e-nodes": { type: "string" },
      "e2e-no-kubelets": { type: "boolean", default: false },
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
    mixPods: values["no-mixes"] ? 0 : int("mix-pods", values["mix-pods"]),
    scoring: values.scoring,
    sweep: !values["no-sweep"],
    json: values.json,
    resultsDir: values.results,
    constraints: values["no-constraints"]
      ? undefined
      : { nodes: int("constraint-nodes", values["constraint-nodes"]), pods: int("constraint-pods", values["constraint-pods"]) },
    e2e: values["no-e2e"]
      ? undefined
      : { nodes: int("e2e-nodes", values["e2e-nodes"] ?? values.nodes), pods: int("e2e-pods", values["e2e-pods"]), clients: int("clients", values.clients), kubelets: !values["e2e-no-kubelets"] },
  };
}

if (import.meta.main) {
  const result = await runBench(parseBenchArgs(process.argv.slice(2)));
  console.log(JSON.stringify(result));
  // Any choice unequal to the full scan's (or, for pod constraints, to the TS reference's) fails the run.
  if (!result.core_identical_to_full_scan || result.constraints_identical === false) process.exitCode = 1;
}
