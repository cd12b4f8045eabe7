// `kubun server` as its own process, for tests that kill it: resolves once it listens. Its
// temporary files (the loopback socket's directory) go beside the data dir (or to `tmpDir`), so
// a server killed with SIGKILL leaves nothing behind once the test removes its folder.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Subprocess } from "bun";

export interface ServerProcess {
  proc: Subprocess;
  url: string;
}

export async function spawnServer(dataDir: string, opts: { stderr?: "inherit" | "ignore"; tmpDir?: string; args?: string[] } = {}): Promise<ServerProcess> {
  const tmp = opts.tmpDir ?? join(dirname(dataDir), "tmp");
  mkdirSync(tmp, { recursive: true });
  const proc = Bun.spawn([process.execPath, "src/cli/main.ts", "server", "--data-dir", dataDir, "--port", "0", "--bind", "127.0.0.1", ...(opts.args ?? [])], {
    env: { ...process.env, TMPDIR: tmp },
    stdout: "pipe",
    stderr: opts.stderr ?? "inherit",
  });
  const decoder = new TextDecoder();
  let out = "";
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
    out += decoder.decode(chunk);
    const m = /listening on (https:\/\/\S+)/.exec(out);
    if (m) return { proc, url: m[1]! };
  }
  throw new Error(`server did not start: ${out}`);
}
