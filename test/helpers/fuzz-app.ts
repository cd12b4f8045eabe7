// The API app as the fuzz tests drive it in-process (app.request()): `kubun server`'s app on a
// real SQLite file, with the admin token and stand-ins for the agents behind logs and exec.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { StaticTokens } from "../../src/api/auth.ts";
import { ensureDefaultNamespaces } from "../../src/api/bootstrap.ts";
import { Storage } from "../../src/api/storage.ts";
import { SqliteStore } from "../../src/store/index.ts";

export const FUZZ_TOKEN = "fuzz-admin-token";

export function fuzzApp(storage: Storage) {
  return createApp({
    storage,
    now: () => new Date("2026-01-01T00:00:00Z"),
    auth: new StaticTokens().add(FUZZ_TOKEN, { name: "admin", groups: ["system:masters"] }),
    logs: async () => new Response("fuzz log line\n", { headers: { "content-type": "text/plain" } }),
    streams: () => ({ url: "wss://127.0.0.1:9/nowhere", tls: { cert: "", key: "", ca: "" } }),
  });
}

/** A fresh store (its own folder under `tmp`) with the default namespaces, and the app over it. */
export async function freshFuzzApp(tmp: string, prefix: string): Promise<{ store: SqliteStore; app: ReturnType<typeof fuzzApp> }> {
  const store = new SqliteStore(join(mkdtempSync(join(tmp, prefix)), "state.db"));
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  return { store, app: fuzzApp(storage) };
}
