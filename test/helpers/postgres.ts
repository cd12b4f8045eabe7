// A private PostgreSQL for one test: Debian's `postgresql` binaries, a cluster initdb'd into a
// temporary directory, listening on a free loopback port (and a unix socket in that directory),
// stopped by its PID and removed afterwards. Never the system service, never a shared instance.
//
// PostgreSQL refuses to run as root, so initdb and the server run as the `postgres` user the
// package creates, through setpriv (which execs: the PID we hold is the postmaster's own).
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";

export interface TestPostgres {
  /** postgres://kubun:PASSWORD@127.0.0.1:PORT/kubun */
  url: string;
  port: number;
  /** Stops the server (fast shutdown, or SIGKILL with `kill`), keeping its data. */
  stop(opts?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
  /** A fresh database in this cluster, for a test that wants a datastore of its own. */
  createDatabase(name: string): Promise<string>;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

const USER = "kubun";
const PASSWORD = "kubun-test-password";

export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], "bin");
}

/** Whether PostgreSQL is installed (scripts/prepare.ts --test installs it). */
export const havePostgres = postgresBinDir() !== undefined;

function ids(): { uid: number; gid: number } {
  const line = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
  const gid = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
  if (!line) throw new Error("no postgres user: install the postgresql package (scripts/prepare.ts --test)");
  return { uid: Number(line), gid: Number(gid) };
}

function asPostgres(cmd: string[]): string[] {
  const { uid, gid } = ids();
  return ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", ...cmd];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function psql(bin: string, port: number, socketDir: string, sqlText: string): Promise<void> {
  const proc = Bun.spawn(asPostgres([join(bin, "psql"), "-h", socketDir, "-p", String(port), "-U", USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sqlText]), {
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PGPASSWORD: PASSWORD },
  });
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`psql ${sqlText}: ${err}`);
}

/** `durable`: fsync every commit, as a production database does (benches); tests leave it off. */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL is not installed: run scripts/prepare.ts --test");
  const { uid, gid } = ids();
  const tmp = mkdtempSync(join(tmpdir(), "kubun-pg-"));
  chownSync(tmp, uid, gid);
  const data = join(tmp, "data");
  const pwfile = join(tmp, "pw");
  writeFileSync(pwfile, PASSWORD, { mode: 0o600 });
  chownSync(pwfile, uid, gid);
  // --no-sync: a test's cluster need not survive a power cut (the server itself still fsyncs its commits).
  const init = Bun.spawn(asPostgres([join(bin, "initdb"), "-D", data, "-U", USER, `--pwfile=${pwfile}`, "--auth=scram-sha-256", "-E", "UTF8", "--no-instructions", "--no-sync"]), {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [initOut, initErr, initCode] = await Promise.all([new Response(init.stdout).text(), new Response(init.stderr).text(), init.exited]);
  if (initCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`initdb failed (${initCode}): ${initErr}${initOut}`);
  }
  const port = await freePort();
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  let log = "";

  async function start(): Promise<void> {
    proc = Bun.spawn(
      asPostgres([join(bin!, "postgres"), "-D", data, "-p", String(port), "-k", tmp, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "shared_buffers=16MB",
        // A test's cluster need not survive a power cut, only a crash (the OS keeps what was written),
        // and on a machine shared with other test runs an fsync per commit makes every test slow.
        "-c", `fsync=${opts.durable ? "on" : "off"}`]),
      { stdout: "ignore", stderr: "pipe", stdin: "ignore", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" } },
    );
    void (async () => {
      const reader = (proc!.stderr as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        log += new TextDecoder().decode(value);
      }
    })();
    for (let i = 0; i < 300; i++) {
      if (log.includes("ready to accept connections")) return;
      if (proc.exitCode !== null) break;
      await Bun.sleep(50);
    }
    throw new Error(`postgres did not start:\n${log}`);
  }

  async function stop(opts: { kill?: boolean } = {}): Promise<void> {
    if (!proc || proc.exitCode !== null) return;
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, nothing committed is lost.
    proc.kill(opts.kill ? "SIGKILL" : "SIGINT");
    await proc.exited;
    if (opts.kill) {
      // The postmaster's children outlive a SIGKILL of it for a moment; a new postmaster waits for them.
      for (let i = 0; i < 100 && existsSync(join(data, "postmaster.pid")); i++) await Bun.sleep(50);
    }
  }

  await start();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start: async () => {
      log = "";
      await start();
    },
    async createDatabase(name) {
      await psql(bin, port, tmp, `CREATE DATABASE "${name}"`);
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    async close() {
      await stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
