// In-process creates through the API's Hono app (no TLS, no sockets): the server's own work per
// create, for a CPU profile (`bun --cpu-prof-md bench/api-inproc.ts`) or the stage timers
// (KUBUN_STAGE_TIMERS=FILE; the totals are printed at the end). A watch on the namespace's
// ConfigMaps reads every event, as under bench:api.   --creates N (default 5000)  --clients N (default 64)
// --warmup N (default 0): N creates first (under other names), so the timed ones run on compiled code.
// The app's tokens and authorizers: inproc-app.ts. The process CPU per timed create (every thread's: user + system) is printed as cpu_us_per_create.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { STAGE_TIMERS, stageTotals } from "../src/store/stage-timers.ts";
import { inProcessApp } from "./inproc-app.ts";

const { values: args } = parseArgs({ args: process.argv.slice(2), options: { creates: { type: "string", default: "5000" }, clients: { type: "string", default: "64" }, warmup: { type: "string", default: "0" } } });
const CREATES = Number(args.creates);
const CLIENTS = Number(args.clients);
const dir = mkdtempSync(join(tmpdir(), "kubun-api-inproc-"));
try {
  const { store, app } = await inProcessApp(join(dir, "db.sqlite"));
  // The User-Agent names the field manager, as Bun's fetch does under bench:api.
  const headers = { authorization: "Bearer t", "content-type": "application/json", "user-agent": "Bun/1.4.5" };
  const watch = await app.request(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${store.revision}`, { headers });
  let seen = 0;
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of watch.body! as unknown as AsyncIterable<Uint8Array>) {
      seen += decoder.decode(chunk).split("\n").filter((l) => l.includes('"ADDED"')).length;
      if (seen >= CREATES + Number(args.warmup)) return;
    }
  })();
  const burst = async (prefix: string, count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < count) {
          const i = next++;
          const res = await app.request("/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: `${prefix}-${i}` }, data: { i: String(i) } }), headers });
          await res.arrayBuffer();
          if (res.status !== 201) throw new Error(`create ${prefix}-${i}: ${res.status}`);
        }
      }),
    );
  };
  const WARMUP = Number(args.warmup);
  if (WARMUP > 0) await burst("warmup", WARMUP);
  const before = STAGE_TIMERS ? stageTotals() : undefined;
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await burst("cm", CREATES);
  await reading;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const out: Record<string, unknown> = { creates: CREATES, creates_per_s: Math.round(CREATES / (ms / 1000)), cpu_us_per_create: Number(((cpu.user + cpu.system) / CREATES).toFixed(1)), heap_growth_bytes_per_create: Math.round((process.memoryUsage().heapUsed - heap0) / CREATES) };
  if (before) {
    const t = stageTotals();
    out.stages_us_per_create = Object.fromEntries(Object.entries(t.stages).map(([k, v]) => [k, Number(((v.ms * 1000) / CREATES).toFixed(1))]));
    if (t.stages.commit) out.creates_per_commit = Number((CREATES / t.stages.commit.count).toFixed(1));
  }
  console.log(JSON.stringify(out));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
