// bun bench/heap-snapshot.ts FILE [--retainers TYPE] [--top N] — what a V8-format heap snapshot (the one
// `bun run bench:memory --snapshot FILE` writes of the settled server) holds, summed by type:
// the "where are the bytes" table of bench/README.md's Memory section. JSC's own heapStats()
// only counts objects; this sums their self sizes, sorts strings by size and names the
// biggest kinds of text, and with --retainers TYPE shows what holds the objects of one type.
import { parseArgs } from "node:util";

const { values: args, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { retainers: { type: "string" }, top: { type: "string", default: "25" } },
});
const file = positionals[0];
if (!file) throw new Error("usage: bun bench/heap-snapshot.ts FILE [--retainers TYPE] [--top N]");

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}
const snap = (await Bun.file(file).json()) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [fType, fName, fSize, fEdges] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
const types = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;
const mb = (b: number) => (b / 2 ** 20).toFixed(1).padStart(7);

/** "object:Set", "string", "hidden:Cell Butterfly": what a node is, for summing. */
function kindOf(n: number): string {
  const t = types[nodes[n * NF + fType]!]!;
  return t.endsWith("string") ? "string" : `${t}:${strings[nodes[n * NF + fName]!]!.slice(0, 40)}`;
}

const byKind = new Map<string, { bytes: number; count: number }>();
let total = 0;
for (let n = 0; n < count; n++) {
  const size = nodes[n * NF + fSize]!;
  const k = byKind.get(kindOf(n)) ?? { bytes: 0, count: 0 };
  k.bytes += size;
  k.count++;
  byKind.set(kindOf(n), k);
  total += size;
}
console.log(`${mb(total)} MB in ${count} cells (self sizes)`);
for (const [kind, { bytes, count }] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(args.top))) {
  console.log(`${mb(bytes)} MB ${String(count).padStart(9)}  ${kind}`);
}

// Strings by size, and the texts that make most of the big ones (a JSON document's first 40 characters).
const buckets = [64, 256, 1024, 4096, Infinity].map((limit) => ({ limit, bytes: 0, count: 0 }));
const texts = new Map<string, { bytes: number; count: number }>();
for (let n = 0; n < count; n++) {
  if (kindOf(n) !== "string") continue;
  const size = nodes[n * NF + fSize]!;
  const b = buckets.find((b) => size < b.limit)!;
  b.bytes += size;
  b.count++;
  if (size >= 1024) {
    const head = strings[nodes[n * NF + fName]!]!.slice(0, 40);
    const t = texts.get(head) ?? { bytes: 0, count: 0 };
    t.bytes += size;
    t.count++;
    texts.set(head, t);
  }
}
console.log("strings by size:");
for (const b of buckets) console.log(`${mb(b.bytes)} MB ${String(b.count).padStart(9)}  < ${b.limit} B`);
console.log("texts of 1 KiB or more, by their start:");
for (const [head, { bytes, count }] of [...texts].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 8)) console.log(`${mb(bytes)} MB ${String(count).padStart(9)}  ${JSON.stringify(head)}`);

if (args.retainers) {
  // What holds the cells of one kind: the chain of (non-weak) referrers, three steps up.
  const parents: number[][] = Array.from({ length: count }, () => []);
  const via: string[][] = Array.from({ length: count }, () => []);
  for (let n = 0, e = 0; n < count; n++) {
    for (let j = 0; j < nodes[n * NF + fEdges]!; j++, e += EF) {
      const type = edgeTypes[edges[e + eType]!]!;
      if (type === "weak") continue;
      const to = edges[e + eTo]! / NF;
      parents[to]!.push(n);
      via[to]!.push(type === "element" || type === "hidden" ? `[${edges[e + eName]}]` : strings[edges[e + eName]!]!);
    }
  }
  const chains = new Map<string, number>();
  for (let n = 0; n < count; n++) {
    if (kindOf(n) !== args.retainers) continue;
    let chain = "";
    for (let x = n, d = 0; d < 3 && parents[x]!.length; d++) {
      chain += ` <-${via[x]![0]}- ${kindOf(parents[x]![0]!)}`;
      x = parents[x]![0]!;
    }
    chains.set(chain || " (no strong referrer in the snapshot)", (chains.get(chain) ?? 0) + 1);
  }
  console.log(`what holds ${args.retainers}:`);
  for (const [chain, n] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`${String(n).padStart(9)} ${chain}`);
}
