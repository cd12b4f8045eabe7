// A real kubun server on a real SQLite file in a temporary directory, and kubectl pointed at it
// with a fresh HOME (so no discovery cache carries over between tests).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer, type ServerOptions } from "../../src/cli/server.ts";

export interface TestServer extends RunningServer {
  tmp: string;
  /** Runs kubectl against the server; resolves with its output and exit code. */
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Runs kubectl and resolves with its standard output; a non-zero exit throws with its stderr. */
  kubectlOk(args: string[], stdin?: string, opts?: KubectlOptions): Promise<string>;
  /** `kubectl apply`s the manifest, runs `body`, then `kubectl delete`s the manifest (also when body throws). */
  withApplied<T>(manifest: string, body: () => Promise<T>): Promise<T>;
  /** fetch against the server with the admin token and the cluster CA. */
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  stdin?: string;
  env?: Record<string, string>;
  bin?: string;
}

/** The result of a kubectl run that must have succeeded; a non-zero exit throws with its stderr. */
export function succeeded(r: KubectlResult, args: string[]): KubectlResult {
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r;
}

export const KUBECTL = process.env.KUBECTL ?? "/usr/bin/kubectl";

export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const tmp = mkdtempSync(join(tmpdir(), "kubun-test-"));
  // No in-process controllers or scheduler unless asked for: their tests start their own, with short test intervals.
  const server = await startServer({ dataDir: join(tmp, "data"), port: 0, bind: "127.0.0.1", controllers: false, scheduler: false, ...opts });
  let homes = 0;
  const test: TestServer = {
    ...server,
    tmp,
    async kubectl(args, o = {}) {
      // A fresh HOME per call: no discovery cache carries over.
      const home = join(tmp, `home-${homes++}`);
      const proc = Bun.spawn([o.bin ?? KUBECTL, ...args], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: server.kubeconfigPath, ...o.env },
        stdin: o.stdin !== undefined ? new TextEncoder().encode(o.stdin) : "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      return { code, stdout, stderr };
    },
    async kubectlOk(args, stdin, o = {}) {
      return succeeded(await test.kubectl(args, stdin === undefined ? o : { ...o, stdin }), args).stdout;
    },
    async withApplied(manifest, body) {
      await test.kubectlOk(["apply", "-f", "-"], manifest);
      try {
        return await body();
      } finally {
        await test.kubectlOk(["delete", "-f", "-"], manifest);
      }
    },
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? server.adminToken}`);
      return fetch(`${server.url}${path}`, { ...init, headers, tls: { ca: server.ca.cert } } as RequestInit);
    },
    async close() {
      await server.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  return test;
}
