// A real image registry on loopback for the registry e2e tests: the CNCF distribution registry
// (Debian's docker-registry) with TLS from a test CA and htpasswd (bcrypt) auth, on a free port,
// its storage in a temp dir; skopeo copies the project's test image tarballs into it. Stopped by
// PID, its folder removed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createCA, issueCertificate, type KeyPairPem } from "../../src/pki/index.ts";

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  port: number;
  /** The CA that signed its serving certificate, and where it is written. */
  ca: KeyPairPem;
  caFile: string;
  username: string;
  password: string;
  /** Copies an OCI image-layout tarball into the registry as `repo:tag`. */
  push(tarball: string, repoTag: string): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on now (the registry binds it right after). */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

export async function startTestRegistry(opts: { username: string; password: string }): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "kubun-registry-"));
  const ca = await createCA("kubun-test-registry-ca");
  // localhost is in the certificate too: pulling by that name with no CA configured is the TLS failure case.
  const serving = await issueCertificate(ca, { commonName: "registry", hosts: ["127.0.0.1", "localhost"], usage: "server" });
  // Only the CA in here: skopeo's cert dir takes every .key for a client key.
  mkdirSync(join(dir, "certs"));
  const caFile = join(dir, "certs", "ca.crt");
  writeFileSync(caFile, ca.cert);
  writeFileSync(join(dir, "tls.crt"), serving.cert);
  writeFileSync(join(dir, "tls.key"), serving.key);
  writeFileSync(join(dir, "htpasswd"), `${opts.username}:${await Bun.password.hash(opts.password, { algorithm: "bcrypt", cost: 5 })}\n`);
  let proc: Subprocess | undefined;
  let port = 0;
  let log = "";
  for (let attempt = 0; attempt < 5 && !proc; attempt++) {
    port = freePort();
    const config = `version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${join(dir, "data")}
http:
  addr: 127.0.0.1:${port}
  tls:
    certificate: ${join(dir, "tls.crt")}
    key: ${join(dir, "tls.key")}
auth:
  htpasswd:
    realm: kubun-test
    path: ${join(dir, "htpasswd")}
`;
    writeFileSync(join(dir, "config.yml"), config);
    const p = Bun.spawn(["docker-registry", "serve", join(dir, "config.yml")], { stdout: "pipe", stderr: "pipe" });
    void new Response(p.stderr).text().then((t) => (log += t));
    // Ready when /v2/ answers (401 without credentials); a port taken meanwhile ends the process.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && p.exitCode === null) {
      const res = await fetch(`https://127.0.0.1:${port}/v2/`, { tls: { ca: ca.cert } }).catch(() => null);
      if (res?.status === 401) {
        proc = p;
        break;
      }
      await Bun.sleep(100);
    }
    if (!proc) p.kill("SIGKILL");
  }
  if (!proc) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`docker-registry did not start: ${log}`);
  }
  const running = proc;
  const host = `127.0.0.1:${port}`;
  return {
    host,
    port,
    ca,
    caFile,
    username: opts.username,
    password: opts.password,
    async push(tarball, repoTag) {
      const copy = Bun.spawn(
        ["skopeo", "copy", "--quiet", "--dest-cert-dir", join(dir, "certs"), "--dest-creds", `${opts.username}:${opts.password}`, `oci-archive:${tarball}`, `docker://${host}/${repoTag}`],
        { stdout: "pipe", stderr: "pipe", env: { ...process.env, HOME: dir } },
      );
      const [err, code] = await Promise.all([new Response(copy.stderr).text(), copy.exited]);
      if (code !== 0) throw new Error(`skopeo copy ${tarball} → ${host}/${repoTag} failed: ${err}`);
    },
    async stop() {
      running.kill("SIGTERM");
      await running.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
