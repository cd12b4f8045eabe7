// `kubun server`: the control plane in one process — store, API server, controller manager
// and scheduler. The controllers and the scheduler talk to the API server only through its
// HTTPS API, with their own client, exactly as they do when run alone.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { StaticTokens } from "../api/auth.ts";
import { createApp } from "../api/app.ts";
import { ensureDefaultNamespaces } from "../api/bootstrap.ts";
import { agentLogs } from "../api/pod-logs.ts";
import { Storage } from "../api/storage.ts";
import { KubeClient } from "../client/index.ts";
import { createControllerContext, startControllerManager, type ControllerManagerOptions } from "../controllers/manager.ts";
import { SqliteStore } from "../store/index.ts";
import { kubeconfig, prepareDataDir, type ClusterFiles } from "./data-dir.ts";

export interface ServerOptions {
  dataDir: string;
  port: number;
  bind?: string;
  /** Revisions of history kept for watches to resume from. */
  history?: number;
  /** "normal" trades power-loss durability for speed (process crashes still lose nothing). */
  synchronous?: "full" | "normal";
  /** Run the controller manager in this process (default true). */
  controllers?: boolean | ControllerManagerOptions;
}

export interface RunningServer extends ClusterFiles {
  url: string;
  port: number;
  store: SqliteStore;
  stop(): Promise<void>;
}

const COMPACT_EVERY_MS = 60_000;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const bind = opts.bind ?? "0.0.0.0";
  const files = await prepareDataDir(opts.dataDir, bind);
  const store = new SqliteStore(files.dbPath, { synchronous: opts.synchronous });
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);

  const auth = new StaticTokens()
    .add(files.adminToken, { name: "admin", groups: ["system:masters", "system:authenticated"] })
    .add(files.joinToken, { name: "system:node-bootstrap", groups: ["system:nodes", "system:authenticated"] });
  const app = createApp({ storage, now: () => new Date(), auth, logs: agentLogs(storage, files.joinToken) });
  const server = Bun.serve({
    hostname: bind,
    port: opts.port,
    fetch: app.fetch,
    tls: { cert: files.serving.cert, key: files.serving.key },
    idleTimeout: 0, // watches stay open for as long as the client wants
    maxRequestBodySize: 8 * 1024 * 1024,
  });
  const port = server.port!;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfigPath = join(opts.dataDir, "admin.kubeconfig");
  writeFileSync(kubeconfigPath, kubeconfig(url, files.ca.cert, files.adminToken), { mode: 0o600 });

  let controllers: { stop(): Promise<void> } | undefined;
  if (opts.controllers !== false) {
    const client = new KubeClient({ server: url, token: files.adminToken, ca: files.ca.cert, userAgent: "kubun-controller-manager" });
    const ctx = createControllerContext(client);
    const manager = startControllerManager(ctx, typeof opts.controllers === "object" ? opts.controllers : {});
    controllers = {
      async stop() {
        await manager.stop();
        await ctx.informers.stop();
        await ctx.flushEvents();
        await client.close();
      },
    };
  }

  const history = opts.history ?? 10_000;
  const compactor = setInterval(() => store.compact(store.revision - history), COMPACT_EVERY_MS);

  let stopped = false;
  return {
    ...files,
    kubeconfigPath,
    url,
    port,
    store,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(compactor);
      await controllers?.stop();
      await server.stop(true);
      await store.close();
    },
  };
}
