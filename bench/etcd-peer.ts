// etcd, the store every kube-apiserver writes to, as bench:api's peer: Debian's etcd-server
// started on loopback with TLS (the same certificate and CA as kubun's server), in its default
// durable configuration (fsync of the WAL per batch), on a private data dir, stopped by PID.
// It is driven through its gRPC-gateway JSON API (POST /v3/kv/put), the same way and by the same
// clients as kubun's API: any Kubernetes API server does at least one etcd write per create, so
// etcd's puts/s is the floor kube-apiserver can't beat.
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ETCD = "/usr/bin/etcd";

/** Installs etcd-server the way scripts/prepare.ts installs host packages; a note when it cannot. */
export async function ensureEtcd(): Promise<string | undefined> {
  if (existsSync(ETCD)) return undefined;
  if (process.getuid?.() !== 0) return "etcd-server is not installed and we are not root to apt-get it";
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const cmd of [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "etcd-server"]]) {
    await Bun.spawn(cmd, { env, stdout: "ignore", stderr: "inherit" }).exited;
  }
  return existsSync(ETCD) ? undefined : "etcd-server still missing after apt-get install";
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface RunningEtcd {
  url: string;
  stop(): Promise<void>;
}

export async function startEtcd(tls: { certFile: string; keyFile: string; caPem: string }): Promise<RunningEtcd> {
  const dir = mkdtempSync(join(tmpdir(), "kubun-etcd-"));
  const [client, peer] = [await freePort(), await freePort()];
  const url = `https://127.0.0.1:${client}`;
  const proc = Bun.spawn(
    [ETCD, "--name", "bench", "--data-dir", join(dir, "data"),
      "--listen-client-urls", url, "--advertise-client-urls", url,
      "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
      "--initial-cluster", `bench=http://127.0.0.1:${peer}`,
      "--cert-file", tls.certFile, "--key-file", tls.keyFile, "--logger", "zap", "--log-level", "error"],
    { stdout: "ignore", stderr: "inherit" },
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`, { tls: { ca: tls.caPem } } as RequestInit);
      if (res.ok && ((await res.json()) as { health?: string }).health === "true") break;
    } catch {}
    if (proc.exitCode !== null) throw new Error(`etcd exited with ${proc.exitCode}`);
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error("etcd did not become healthy in 20 s");
    }
    await Bun.sleep(100);
  }
  return {
    url,
    async stop() {
      proc.kill();
      await proc.exited;
      await Bun.spawn(["rm", "-rf", dir]).exited;
    },
  };
}

/** The body of a put of `value` under `key` for etcd's JSON gateway (base64 key and value). */
export const etcdPut = (key: string, value: string) => JSON.stringify({ key: Buffer.from(key).toString("base64"), value: Buffer.from(value).toString("base64") });
