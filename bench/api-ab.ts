// bun bench/api-ab.ts BEFORE AFTER [ROUNDS] [PER] — the in-process create path of two source trees
// (e.g. a `git archive` of main and of a branch, each with node_modules linked), compared in one
// process: each tree gets its own app, store and two watchers (one namespace's ConfigMaps, all
// ConfigMaps, as bench:api's watch and the server's informer), a warm-up of 15,000 creates, then
// ROUNDS (default 10) bursts of PER (default 3000) creates from 64 clients, the two trees
// alternating (and alternating which goes first), each burst's process CPU per create recorded.
// On the shared machine two runs of the same code in two processes differ by ±10%; bursts
// interleaved in one process see the same load, so the medians compare the code. Run it both ways
// round (BEFORE AFTER, then AFTER BEFORE) and against itself for the noise floor (bench/README.md).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
const roots = process.argv.slice(2, 4).map((r) => resolve(r));
if (roots.length < 2) throw new Error("usage: bun bench/api-ab.ts BEFORE AFTER [ROUNDS] [PER]");
const ROUNDS = Number(process.argv[4] ?? 10), PER = Number(process.argv[5] ?? 3000), CLIENTS = 64;
async function setup(root: string, tag: string) {
  const { createApp } = await import(`${root}/src/api/app.ts`);
  const { AuthenticatorChain, StaticTokens } = await import(`${root}/src/api/auth.ts`);
  const { AuthorizerChain, mastersAuthorizer } = await import(`${root}/src/api/authz.ts`);
  const { ensureDefaultNamespaces } = await import(`${root}/src/api/bootstrap.ts`);
  const { Storage } = await import(`${root}/src/api/storage.ts`);
  const { SqliteStore } = await import(`${root}/src/store/index.ts`);
  const dir = mkdtempSync(join(tmpdir(), `kubun-ab-${tag}-`));
  const store = new SqliteStore(join(dir, "db.sqlite"));
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  const auth = new AuthenticatorChain([new StaticTokens().add("t", { name: "admin", groups: ["system:masters"] })]);
  const app = createApp({ storage, now: () => new Date(), auth, authorizer: new AuthorizerChain([mastersAuthorizer]) });
  const headers = { authorization: "Bearer t", "content-type": "application/json", "user-agent": "Bun/1.4.5" };
  // two watchers, as the server's informer and bench:api's watch
  for (const path of ["/api/v1/namespaces/default/configmaps", "/api/v1/configmaps"]) {
    const watch = await app.request(`${path}?watch=1&resourceVersion=${store.revision}`, { headers });
    (async () => { for await (const _ of watch.body! as unknown as AsyncIterable<Uint8Array>) {} })();
  }
  let n = 0;
  const burst = async (count: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        next++;
        const i = n++;
        const body = JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } });
        const res = await app.request("/api/v1/namespaces/default/configmaps", { method: "POST", body, headers: { ...headers, "content-length": String(body.length) } });
        await res.arrayBuffer();
        if (res.status !== 201) throw new Error(`${tag} create ${i}: ${res.status}`);
      }
    }));
  };
  return { burst, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}
const sides = [await setup(roots[0]!, "a"), await setup(roots[1]!, "b")];
for (const s of sides) await s.burst(15000); // warm-up
const cpu: number[][] = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  for (const k of r % 2 ? [1, 0] : [0, 1]) {
    const c0 = process.cpuUsage();
    await sides[k]!.burst(PER);
    const c = process.cpuUsage(c0);
    cpu[k]!.push((c.user + c.system) / PER);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ a: roots[0], b: roots[1], a_median: +med(cpu[0]!).toFixed(1), b_median: +med(cpu[1]!).toFixed(1), a_mean: +(sum(cpu[0]!) / ROUNDS).toFixed(1), b_mean: +(sum(cpu[1]!) / ROUNDS).toFixed(1), b_wins: cpu[0]!.filter((x, i) => cpu[1]![i]! < x).length, rounds: ROUNDS, a_all: cpu[0]!.map((x) => +x.toFixed(1)), b_all: cpu[1]!.map((x) => +x.toFixed(1)) }));
for (const s of sides) await s.close();
process.exit(0);
