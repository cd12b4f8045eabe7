// The API server's Hono app in this process, on a SQLite file of its own (no TLS, no sockets):
// what the in-process benches (api-inproc.ts, write-garbage.ts) drive with `app.request`. Tokens
// and authorizers are chained as `kubun server` chains them: the static token "t" of a user in
// system:masters, that group's authorizer first. (bench/api-ab.ts builds the same from two source
// trees' modules, imported at run time.)
import { createApp } from "../src/api/app.ts";
import { AuthenticatorChain, StaticTokens } from "../src/api/auth.ts";
import { AuthorizerChain, mastersAuthorizer } from "../src/api/authz.ts";
import { ensureDefaultNamespaces } from "../src/api/bootstrap.ts";
import { Storage } from "../src/api/storage.ts";
import { SqliteStore } from "../src/store/index.ts";

export async function inProcessApp(dbPath: string) {
  const store = new SqliteStore(dbPath);
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  const auth = new AuthenticatorChain([new StaticTokens().add("t", { name: "admin", groups: ["system:masters"] })]);
  const app = createApp({ storage, now: () => new Date(), auth, authorizer: new AuthorizerChain([mastersAuthorizer]) });
  return { store, app };
}
