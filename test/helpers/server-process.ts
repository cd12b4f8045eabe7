// `kubun server` as its own process, for tests that kill it: resolves once it listens.
import type { Subprocess } from "bun";

export interface ServerProcess {
  proc: Subprocess;
  url: string;
}

export async function spawnServer(dataDir: string, opts: { stderr?: "inherit" | "ignore" } = {}): Promise<ServerProcess> {
  const proc = Bun.spawn([process.execPath, "src/cli/main.ts", "server", "--data-dir", dataDir, "--port", "0", "--bind", "127.0.0.1"], {
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
