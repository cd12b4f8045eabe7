// The in-server scheduler's memory, split by structure (bench:memory --owners counts the scheduler
// as one owner: stopped and let go of whole). Here the scheduler's cache and wasm scorer are fed
// what bench:memory's server feeds them — its nodes (bench/scheduler-core.ts's fakeNodes as Node
// objects) and its pods (bench/memory.ts's five workload shapes), each pod scheduled, assumed and
// then confirmed as bound, as the informer shows it — in this process, without a server; then
// taken apart one structure at a time with two full collections after each step, as
// memory-owners.ts does. The wasm scorer's linear memory is reported from its allocator
// (`memoryStats`): its size, what was ever handed out (touched: resident), what is live.
//
// JSC reports a wasm memory's bytes twice in `extraMemorySize` (the memory, and the ArrayBuffer
// of `memory.buffer` the views hold: measured, a 3.9 MB memory adds 7.8 MB of "extra"), so the
// scorer's "extra" is about twice its memory's size, pages never touched included; resident is
// what `touched` says at most.
//
//   bun bench/memory-scheduler.ts [--nodes 5000] [--pods 50000] [--json]
import { measure, type Measure } from "./memory-owners.ts";
import { parseArgs } from "node:util";
import { SchedulerCache } from "../src/scheduler/cache.ts";
import { nodeInfoFrom, podQueryFrom } from "../src/scheduler/convert.ts";
import { XorShift32 } from "../src/scheduler/tie-break.ts";
import { createWasmScorer, type WasmScorer } from "../src/scheduler/wasm-scorer.ts";
import { nodeObject, WORKLOADS } from "./fake-objects.ts";
import { fakeNodes } from "./scheduler-core.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: { nodes: { type: "string", default: "5000" }, pods: { type: "string", default: "50000" }, json: { type: "boolean", default: false } },
});
const nodeCount = Number(args.nodes);
const podCount = Number(args.pods);


// Private parts reached for accounting only (the cache's pod table: pod-slots.ts).
interface PodSlotsInternals {
  table: Int32Array;
  hashes: Int32Array;
  keys: unknown[];
  usages: unknown[];
  node: Int32Array;
  flags: Uint8Array;
  next: Int32Array;
  prev: Int32Array;
}
interface CacheInternals {
  pods: PodSlotsInternals;
}

const nodes = fakeNodes(nodeCount).map(nodeObject);
const shapes = WORKLOADS.slice(0, 5);
const rng = new XorShift32(7);
const pods = Array.from({ length: podCount }, (_, i) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `pod-${i}`, namespace: "bench", labels: { app: "bench" } },
  spec: structuredClone(shapes[rng.next() % shapes.length]),
}));

const held: { cache?: SchedulerCache; scorer?: WasmScorer } = {};
const before = measure();
// In functions of their own, so no local of the caller keeps what a step lets go of (JSC scans the stack).
const build = (): number => {
  const scorer = createWasmScorer();
  const cache = new SchedulerCache(scorer);
  for (const n of nodes) cache.upsertNode(nodeInfoFrom(n));
  let bound = 0;
  for (const p of pods) {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    const query = podQueryFrom(p);
    const decision = scorer.schedule(query);
    if (decision.node === undefined) continue;
    cache.assume(key, query, decision.node);
    (p.spec as { nodeName?: string }).nodeName = decision.node;
    cache.addPod(`${p.metadata.namespace}/${p.metadata.name}`, decision.node, podQueryFrom(p));
    bound++;
  }
  held.cache = cache;
  held.scorer = scorer;
  return bound;
};
const bound = build();
const full = measure();
const wasm = held.scorer!.memoryStats;

const rows: { part: string; heap: number; extra: number; cells: number }[] = [];
let last = full;
const step = (part: string, letGo: () => void) => {
  letGo();
  const now = measure();
  rows.push({ part, heap: last.heap - now.heap, extra: last.extra - now.extra, cells: last.cells - now.cells });
  last = now;
};
const slots = () => (held.cache as unknown as CacheInternals).pods;
step("cache: pod key table (Int32Array) and each slot's hash", () => {
  slots().table = new Int32Array(0);
  slots().hashes = new Int32Array(0);
});
step("cache: each slot's key (the key strings) and usage (shared objects)", () => {
  slots().keys = [];
  slots().usages = [];
});
step("cache: each slot's node id, flags and list links", () => {
  for (const c of ["node", "next", "prev"] as const) slots()[c] = new Int32Array(0);
  slots().flags = new Uint8Array(0);
});
step("cache: the rest (node fingerprints, node ids, usage table)", () => (held.cache = undefined));
step("scorer: JS objects and its wasm instance and memory", () => (held.scorer = undefined));

const mb = (b: number) => Math.round((b / 1048576) * 100) / 100;
const result = {
  nodes: nodeCount,
  pods: podCount,
  bound,
  heap_mb: mb(full.heap - before.heap),
  extra_mb: mb(full.extra - before.extra),
  cells: full.cells - before.cells,
  wasm_byte_length_mb: mb(wasm.byteLength),
  wasm_touched_mb: mb(wasm.touched),
  wasm_live_mb: mb(wasm.live),
  wasm_free_mb: mb(wasm.free),
  parts: rows.map((r) => ({ part: r.part, heap_mb: mb(r.heap), extra_mb: mb(r.extra), cells: r.cells })),
};
if (!args.json) {
  console.log(`scheduler at ${nodeCount} nodes, ${bound}/${podCount} pods bound: ${result.heap_mb} MB of JS heap (${result.extra_mb} MB "extra"), ${result.cells} cells`);
  console.log(`  wasm memory: ${result.wasm_byte_length_mb} MB long, ${result.wasm_touched_mb} MB ever handed out (touched), ${result.wasm_live_mb} MB live, ${result.wasm_free_mb} MB free below the top`);
  for (const r of result.parts) console.log(`  ${String(r.heap_mb).padStart(7)} MB heap ${String(r.extra_mb).padStart(6)} MB extra ${String(r.cells).padStart(7)} cells  ${r.part}`);
}
console.log(JSON.stringify(result));
