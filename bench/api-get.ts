// In-process GETs of one ConfigMap through the API's Hono app (no TLS, no sockets, no write):
// what the request path costs around a handler — routing, the request filter (authentication,
// limits, authorization), the query, dispatch, the answer — which a create pays too but where
// its fsync and store work hide it. Tokens and authorizers are chained as `kubun server` chains
// them (a static token, system:masters first). Prints the process CPU per GET (user + system,
// every thread) after a warm-up of as many GETs; compare builds back to back (bench/README.md).
//   --gets N (default 50000)
import { parseArgs } from "node:util";
import { createApp } from "../src/api/app.ts";
import { AuthenticatorChain, StaticTokens } from "../src/api/auth.ts";
import { AuthorizerChain, mastersAuthorizer } from "../src/api/authz.ts";
import { ensureDefaultNamespaces } from "../src/api/bootstrap.ts";
import { Storage } from "../src/api/storage.ts";
import { SqliteStore } from "../src/store/index.ts";

const { values: args } = parseArgs({ args: process.argv.slice(2), options: { gets: { type: "string", default: "50000" } } });
const GETS = Number(args.gets);
const store = new SqliteStore(":memory:");
const storage = new Storage(store);
await ensureDefaultNamespaces(storage);
const auth = new AuthenticatorChain([new StaticTokens().add("t", { name: "admin", groups: ["system:masters"] })]);
const app = createApp({ storage, now: () => new Date(), auth, authorizer: new AuthorizerChain([mastersAuthorizer]) });
const headers = { authorization: "Bearer t", "content-type": "application/json", "user-agent": "Bun/1.4.5" };
const created = await app.request("/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: "x" } }), headers });
if (created.status !== 201) throw new Error(`create: ${created.status}`);

async function gets(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await app.fetch(new Request("http://localhost/api/v1/namespaces/default/configmaps/x?resourceVersion=0", { headers }));
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`get: ${res.status}`);
  }
}
await gets(GETS); // warm-up: the JIT compiles the path
const cpu0 = process.cpuUsage();
await gets(GETS);
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ gets: GETS, cpu_us_per_get: Number(((cpu.user + cpu.system) / GETS).toFixed(2)) }));
await store.close();
