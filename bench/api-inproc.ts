// In-process creates through the API's Hono app (no TLS, no sockets): the server's own work per
// create, for a CPU profile (`bun --cpu-prof-md bench/api-inproc.ts`) or the stage timers
// (KUBUN_STAGE_TIMERS=FILE; the totals are printed at the end). A watch on the namespace's
// ConfigMaps reads every event, as under bench:api.   --creates N (default 5000)  --clients N (default 64)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/api/app.ts";
import { StaticTokens } from "../src/api/auth.ts";
import { ensureDefaultNamespaces } from "../src/api/bootstrap.ts";
import { Storage } from "../src/api/storage.ts";
import { SqliteStore } from "../src/store/index.ts";
import { STAGE_TIMERS, stageTotals } from "../src/store/stage-timers.ts";

const { values: args } = parseArgs({ args: process.argv.slice(2), options: { creates: { type: "string", default: "5000" }, clients: { type: "string", default: "64" } } });
const CREATES = Number(args.creates);
const CLIENTS = Number(args.clients);
const dir = mkdtempSync(join(tmpdir(), "kubun-api-inproc-"));
try {
  const store = new SqliteStore(join(dir, "db.sqlite"));
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  const app = createApp({ storage, now: () => new Date(), auth: new StaticTokens().add("t", { name: "admin", groups: ["system:masters"] }) });
  // The User-Agent names the field manager, as Bun's fetch does under bench:api.
  const headers = { authorization: "Bearer t", "content-type": "application/json", "user-agent": "Bun/1.4.5" };
  const watch = await app.request(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${store.revision}`, { headers });
  let seen = 0;
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of watch.body! as unknown as AsyncIterable<Uint8Array>) {
      seen += decoder.decode(chunk).split("\n").filter((l) => l.includes('"ADDED"')).length;
      if (seen >= CREATES) return;
    }
  })();
  const before = STAGE_TIMERS ? stageTotals() : undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < CREATES) {
        const i = next++;
        const res = await app.request("/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } }), headers });
        await res.arrayBuffer();
        if (res.status !== 201) throw new Error(`create ${i}: ${res.status}`);
      }
    }),
  );
  await reading;
  const ms = performance.now() - t0;
  const out: Record<string, unknown> = { creates: CREATES, creates_per_s: Math.round(CREATES / (ms / 1000)) };
  if (before) {
    const t = stageTotals();
    out.cpu_us_per_create = Number((((t.cpuMs - before.cpuMs) * 1000) / CREATES).toFixed(1));
    out.stages_us_per_create = Object.fromEntries(Object.entries(t.stages).map(([k, v]) => [k, Number(((v.ms * 1000) / CREATES).toFixed(1))]));
    if (t.stages.commit) out.creates_per_commit = Number((CREATES / t.stages.commit.count).toFixed(1));
  }
  console.log(JSON.stringify(out));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
