// `bun run bench:all`: every bench, one after another (never two at once: they would share the
// two cores), each in its own process. Their last lines (one JSON object each) go to
// bench/results/all.jsonl, and bench/results/summary.md gets one table: each figure, its goal, the
// baseline measured in the same run, the ratio, and whether the goal is met — with the machine
// described, so the README can link real numbers.
//   bun bench/all.ts [--only bench,api,memory,podstart,proxy] [--quick]
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

type Json = Record<string, any>;
const ROOT = resolve(import.meta.dir, "..");
const RESULTS = join(ROOT, "bench", "results");

const { values: args } = parseArgs({ args: process.argv.slice(2), options: { only: { type: "string" }, quick: { type: "boolean", default: false } } });

/** Each bench's command; --quick shrinks them for a smoke run (its figures are not the goals' scale). */
const BENCHES: Record<string, { cmd: string[]; quick: string[] }> = {
  bench: { cmd: ["bench/index.ts"], quick: ["--nodes", "1000", "--pods", "5000", "--e2e-pods", "2000", "--no-sweep", "--mix-pods", "3000"] },
  api: { cmd: ["bench/api.ts"], quick: ["--creates", "3000", "--watch-samples", "300"] },
  memory: { cmd: ["bench/memory.ts"], quick: ["--nodes", "500", "--pods", "5000", "--settle", "2"] },
  podstart: { cmd: ["bench/podstart.ts"], quick: ["--sequential", "5", "--burst", "5", "--scheduled", "5", "--floor", "3"] },
  proxy: { cmd: ["bench/proxy.ts"], quick: ["--bulk-mb", "256", "--rounds", "1", "--seconds", "1", "--pings", "2000"] },
};

interface Row {
  bench: string;
  figure: string;
  value: number | null;
  goal: string;
  baseline: string;
  ratio: number | null;
  pass: boolean | null;
}

const atLeast = (v: number | null | undefined, goal: number) => (v === null || v === undefined ? null : v >= goal);
const atMost = (v: number | null | undefined, goal: number) => (v === null || v === undefined ? null : v <= goal);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const div = (a: unknown, b: unknown) => (num(a) !== null && num(b) ? (a as number) / (b as number) : null);

/** The figures each bench's JSON holds, with their goals (from the performance and bench issues). */
function rows(name: string, r: Json): Row[] {
  const row = (figure: string, value: unknown, goal: string, pass: boolean | null, baseline = "", ratio: number | null = null): Row => ({ bench: name, figure, value: num(value), goal, baseline, ratio, pass });
  switch (name) {
    case "bench":
      return [
        row(`scheduler core, wasm pods/s (${r.nodes} nodes)`, r.core_wasm_pods_per_s, ">= 50,000", atLeast(r.core_wasm_pods_per_s, 50_000)),
        r.core_scan_ratio !== undefined
          ? row("wasm / TS, same full scan on the same arrays", r.core_scan_ratio, ">= 2", atLeast(r.core_scan_ratio, 2), `TS ${r.core_ts_scan_pods_per_s} pods/s`, r.core_scan_ratio)
          : row("wasm (indexed) / TS object scan — not like for like", r.core_ratio, "same-algorithm twin not built yet", null, `TS ${r.core_ts_pods_per_s} pods/s`, r.core_ratio),
        ...(r.core_indexed_ratio !== undefined
          ? [row("wasm / TS, same class index on the same arrays", r.core_indexed_ratio, ">= 2", atLeast(r.core_indexed_ratio, 2), `TS ${r.core_ts_indexed_pods_per_s} pods/s`, r.core_indexed_ratio)]
          : []),
        r.core_all_choices_checked !== undefined
          ? row(`choices differing from a full scan of all nodes (of ${r.core_all_choices_checked} checked)`, r.core_all_choices_differing, "0", r.core_all_choices_differing === 0)
          : row("choices equal to a full scan", r.core_identical_to_full_scan ? 1 : 0, "1 (all)", r.core_identical_to_full_scan === true),
        ...(["cold", "constrained"] as const)
          .filter((mix) => r.mixes?.[mix])
          .map((mix) => row(`${mix} mix, wasm pods/s (${r.mixes[mix].nodes ?? r.nodes} nodes)`, r.mixes[mix].core_wasm_indexed_pods_per_s, ">= 50,000", atLeast(r.mixes[mix].core_wasm_indexed_pods_per_s, 50_000), `twin ${r.mixes[mix].core_ts_indexed_pods_per_s} pods/s`, r.mixes[mix].core_indexed_ratio)),
        ...(r.core_indexed_call_ratio !== undefined
          ? [row("wasm / TS inside the indexed schedule() call alone", r.core_indexed_call_ratio, "(for readers)", null, `TS ${r.core_ts_indexed_call_us} µs a pod`, r.core_indexed_call_ratio)]
          : []),
        row("end to end pods/s bound", r.e2e_pods_per_s, ">= 5,000", atLeast(r.e2e_pods_per_s, 5000), `transport allows ${r.e2e_transport_pods_per_s} pods/s`, div(r.e2e_pods_per_s, r.e2e_transport_pods_per_s)),
        ...(r.e2e_shape_floor_pods_per_s !== undefined && r.e2e_shape_floor_pods_per_s !== null
          ? [
              row("fixed-shape floor, end to end pods/s bound (bench/shape-floor.ts)", r.e2e_shape_floor_pods_per_s, "(same-run baseline: the shape doing nothing else)", null, `transport allows ${r.e2e_transport_pods_per_s} pods/s`, div(r.e2e_shape_floor_pods_per_s, r.e2e_transport_pods_per_s)),
              row("end to end pods/s against the fixed-shape floor", r.e2e_pods_per_s, "(for readers)", null, `floor ${r.e2e_shape_floor_pods_per_s} pods/s`, div(r.e2e_pods_per_s, r.e2e_shape_floor_pods_per_s)),
            ]
          : []),
        row("paced create→bound p99 ms", r.e2e_paced_p99_ms, "<= 100", atMost(r.e2e_paced_p99_ms, 100)),
        ...(r.e2e_events_written !== undefined && r.e2e_events_written !== null
          ? [row("end to end: bound pods without a Scheduled event", r.e2e_events_dropped, "0", r.e2e_events_dropped === 0, `${r.e2e_events_written} written; ${r.e2e_pods_marked_running} pods marked Running by the fake kubelets`)]
          : []),
      ];
    case "api":
      return [
        row("durable creates/s", r.api_creates_per_s, ">= 50% of bare HTTPS", atLeast(r.ratio_of_transport, 0.5), `bare HTTPS ${r.bare_https_requests_per_s}/s`, r.ratio_of_transport),
        row("creates/s vs etcd puts/s", r.api_creates_per_s, ">= 2× etcd", atLeast(r.ratio_of_etcd, 2), r.etcd_puts_per_s ? `etcd ${r.etcd_puts_per_s} puts/s` : `etcd: ${r.etcd_note}`, r.ratio_of_etcd),
        ...(r.shape_floor_creates_per_s !== undefined
          ? [
              row("fixed-shape floor creates/s (bench/shape-floor.ts)", r.shape_floor_creates_per_s, "(same-run baseline: the shape doing nothing else)", null, `bare HTTPS ${r.bare_https_requests_per_s}/s`, r.shape_floor_share_of_bare_https),
              row("durable creates/s against the fixed-shape floor", r.api_creates_per_s, "(for readers)", null, `floor ${r.shape_floor_creates_per_s}/s${r.shape_floor_ratio_of_etcd ? `, ${r.shape_floor_ratio_of_etcd}× etcd` : ""}`, r.ratio_of_shape_floor),
            ]
          : []),
        row("watch delivery p99 ms under load", r.watch_p99_under_load_ms, "<= 10", atMost(r.watch_p99_under_load_ms, 10)),
        ...(r.watch_after_answer_p99_under_load_ms !== undefined
          ? [row("watch event after the create's answer, p99 ms under load", r.watch_after_answer_p99_under_load_ms, "(for readers)", null, "what the watch adds to a create's round trip")]
          : []),
        row("failed requests", r.failed, "0", r.failed === 0),
      ];
    case "memory":
      return [
        row(`server peak RSS MB (${r.nodes} nodes, ${r.pods} pods)`, r.peak_rss_mb, "<= 400", atMost(r.peak_rss_mb, 400), `the data: ${r.pod_json_mb + r.node_json_mb} MB of JSON`, div(r.peak_rss_mb, r.pod_json_mb + r.node_json_mb)),
        row("server settled RSS MB", r.settled_rss_mb, "<= 350", atMost(r.settled_rss_mb, 350)),
      ];
    case "podstart":
      return [
        row("pod start p50 ms (pre-bound)", r.p50_ms, "<= 300", atMost(r.p50_ms, 300), `CRI floor p50 ${r.floor_p50_ms} ms`, div(r.p50_ms, r.floor_p50_ms)),
        row("pod start p99 ms (pre-bound)", r.p99_ms, "<= 1000", atMost(r.p99_ms, 1000)),
        row("p50 above the CRI floor ms (pre-bound)", r.above_floor_p50_ms, "<= 80", atMost(r.above_floor_p50_ms, 80)),
        row("p50 above the CRI floor ms (scheduled)", r.scheduled_above_floor_p50_ms, "<= 80", atMost(r.scheduled_above_floor_p50_ms, 80), `scheduled p50 ${r.scheduled_p50_ms} ms`),
        row("agent RSS MB with the pods", r.agent_rss_mb, "<= 1.5× library floor", atMost(div(r.agent_rss_mb, r.floor_rss_mb), 1.5), `library floor ${r.floor_rss_mb} MB`, div(r.agent_rss_mb, r.floor_rss_mb)),
      ];
    case "proxy":
      return [
        row("bulk vs direct", r.kubunBulkVsDirect, ">= 0.6", atLeast(r.kubunBulkVsDirect, 0.6), `direct ${Math.round(r.results?.direct?.bulkMBps ?? 0)} MB/s`, r.kubunBulkVsDirect),
        row("added p50 vs HAProxy's added p50", r.kubunAddedP50VsHaproxy, "<= 1.5×", atMost(r.kubunAddedP50VsHaproxy, 1.5), "tuned HAProxy", r.kubunAddedP50VsHaproxy),
        row("new connections/s vs HAProxy", r.kubunConnectionsVsHaproxy, ">= 0.8", atLeast(r.kubunConnectionsVsHaproxy, 0.8), "tuned HAProxy", r.kubunConnectionsVsHaproxy),
      ];
  }
  return [];
}

async function runOne(name: string): Promise<Json | { error: string }> {
  const b = BENCHES[name]!;
  const cmd = [process.execPath, ...b.cmd, ...(args.quick ? b.quick : [])];
  process.stderr.write(`bench:all: ${cmd.slice(1).join(" ")}\n`);
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  process.stdout.write(out);
  const last = out.trim().split("\n").pop() ?? "";
  try {
    return { ...JSON.parse(last), exit_code: code };
  } catch {
    return { error: `exited ${code} without a JSON last line` };
  }
}

const names = (args.only?.split(",") ?? Object.keys(BENCHES)).filter((n) => n in BENCHES);
const results: Record<string, Json> = {};
for (const name of names) results[name] = await runOne(name);

mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, "all.jsonl"), names.map((n) => JSON.stringify({ bench: n, ...results[n] })).join("\n") + "\n");
const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Bun ${Bun.version}`;
const fmt = (v: number | null) => (v === null ? "n/a" : Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : String(Number(v.toFixed(3))));
const lines = [
  "# Bench results",
  "",
  `Run ${new Date().toISOString()} by \`bun run bench:all${args.quick ? " --quick" : ""}\` on ${machine}.${args.quick ? " **Quick run: smaller sizes than the goals are set for.**" : ""}`,
  "Each baseline is measured in the same run as its figure; the raw JSON lines are in `all.jsonl`.",
  "",
  "| bench | figure | value | goal | baseline (same run) | ratio | met |",
  "|---|---|---|---|---|---|---|",
];
for (const name of names) {
  const r = results[name]!;
  if ("error" in r) {
    lines.push(`| ${name} | — | — | — | — | — | ✗ ${r.error} |`);
    continue;
  }
  for (const row of rows(name, r)) {
    lines.push(`| ${name} | ${row.figure} | ${fmt(row.value)} | ${row.goal} | ${row.baseline} | ${fmt(row.ratio)} | ${row.pass === null ? "—" : row.pass ? "✓" : "✗"} |`);
  }
}
writeFileSync(join(RESULTS, "summary.md"), lines.join("\n") + "\n");
console.log(lines.join("\n"));
