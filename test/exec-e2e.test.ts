// kubectl's streaming commands against a real agent and containerd: exec (output, exit code,
// stdin, a tty that follows resizes), port-forward, cp (tar over exec) and logs -f of several
// containers, all through the API server's WebSocket relay to the agent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pod } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { KUBECTL } from "./helpers/server.ts";

let c: AgentCluster;
let work: string;
beforeAll(async () => {
  c = await startAgentCluster({ logPort: 0 });
  work = mkdtempSync(join(tmpdir(), "kubun-exec-"));
  await c.createPod("box", {
    containers: [
      { name: "web", image: "local/busybox:1" },
      { name: "talker", image: "local/busybox:1", command: ["sh", "-c", "while true; do echo tick; sleep 1; done"] },
    ],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pod = (await (await c.server.api("/api/v1/namespaces/default/pods/box")).json()) as Pod;
    if (pod.status?.phase === "Running" && pod.status.containerStatuses?.every((s) => s.ready)) break;
    if (Date.now() > deadline) throw new Error(`pod box not running: ${JSON.stringify(pod.status)}`);
    await Bun.sleep(200);
  }
}, 60_000);
afterAll(async () => {
  await c?.close();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

/** A long-running kubectl (port-forward, logs -f): resolves once its stdout matches, then is killed by its own PID. */
async function kubectlUntil(args: string[], pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray & { stop(): void }> {
  const proc = Bun.spawn([KUBECTL, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(work, `home-${crypto.randomUUID()}`), KUBECONFIG: c.server.kubeconfigPath },
    stdout: "pipe",
    stderr: "pipe",
  });
  const stop = () => proc.kill();
  const timer = setTimeout(stop, timeoutMs);
  let out = "";
  const decoder = new TextDecoder();
  // Keep reading stdout after the match: a closed pipe would kill kubectl on its next line.
  const reader = proc.stdout.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out += decoder.decode(value);
    const m = out.match(pattern);
    if (m) {
      clearTimeout(timer);
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return Object.assign(m, { stop });
    }
  }
  clearTimeout(timer);
  throw new Error(`kubectl ${args.join(" ")} ended without ${pattern}: ${out} ${await new Response(proc.stderr).text()}`);
}

describe("kubectl streaming through the agent", () => {
  test("exec returns the command's stdout, stderr and exit code", async () => {
    const ok = await c.server.kubectl(["exec", "box", "-c", "web", "--", "sh", "-c", "echo out; echo err >&2"]);
    expect(ok).toMatchObject({ code: 0, stdout: "out\n" });
    expect(ok.stderr).toContain("err");
    const failed = await c.server.kubectl(["exec", "box", "-c", "web", "--", "sh", "-c", "exit 7"]);
    expect(failed.code).toBe(7);
  });

  test("exec -it gives the command a tty that follows kubectl's terminal size, and keeps the exit code", async () => {
    // Each line typed makes the shell print its tty's size again; "q" ends it with exit code 7.
    const script = `stty size; while read line; do [ "$line" = q ] && exit 7; stty size; done`;
    let out = "";
    const decoder = new TextDecoder();
    const proc = Bun.spawn([KUBECTL, "exec", "-it", "box", "-c", "web", "--", "sh", "-c", script], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(work, `home-${crypto.randomUUID()}`), KUBECONFIG: c.server.kubeconfigPath, TERM: "xterm" },
      terminal: { cols: 80, rows: 24, data: (_t, d) => void (out += decoder.decode(d, { stream: true })) },
    });
    const terminal = proc.terminal!;
    // kubectl sends the size when it starts and again on SIGWINCH; ask until the pod's tty agrees.
    const sizeBecomes = async (rows: number, cols: number) => {
      const deadline = Date.now() + 20_000;
      while (!new RegExp(`(^|\\n)${rows} ${cols}\\r?\\n`).test(out)) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`tty never became ${rows}x${cols}: ${JSON.stringify(out.slice(-400))}`);
        terminal.write("\r");
        await Bun.sleep(200);
      }
    };
    try {
      await sizeBecomes(24, 80);
      terminal.resize(111, 33);
      await sizeBecomes(33, 111);
      terminal.write("q\r");
      expect(await proc.exited).toBe(7);
    } finally {
      proc.kill();
      terminal.close();
    }
  });

  test("exec -i pipes stdin in and closes it", async () => {
    const r = await c.server.kubectl(["exec", "-i", "box", "-c", "web", "--", "tr", "a-z", "A-Z"], { stdin: "hello pod\n" });
    expect(r).toMatchObject({ code: 0, stdout: "HELLO POD\n" });
  });

  test("exec into a missing container is refused", async () => {
    const r = await c.server.kubectl(["exec", "box", "-c", "nope", "--", "true"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("nope");
  });

  test("port-forward serves the pod's port on localhost", async () => {
    const m = await kubectlUntil(["port-forward", "pod/box", ":80"], /Forwarding from 127\.0\.0\.1:(\d+) -> 80/);
    try {
      const body = await fetch(`http://127.0.0.1:${m[1]}/`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
      expect(body.trim()).toBe("box");
    } finally {
      m.stop();
    }
  });

  test("cp copies a file into the pod and back out", async () => {
    const local = join(work, "in.txt");
    writeFileSync(local, "copied through tar over exec\n");
    const into = await c.server.kubectl(["cp", local, "default/box:/tmp/in.txt", "-c", "web"]);
    expect(into.code).toBe(0);
    const cat = await c.server.kubectl(["exec", "box", "-c", "web", "--", "cat", "/tmp/in.txt"]);
    expect(cat.stdout).toBe("copied through tar over exec\n");
    const back = join(work, "out.txt");
    const out = await c.server.kubectl(["cp", "default/box:/tmp/in.txt", back, "-c", "web"]);
    expect(out.code).toBe(0);
    expect(readFileSync(back, "utf8")).toBe("copied through tar over exec\n");
  });

  test("attach streams a running container's output", async () => {
    const m = await kubectlUntil(["attach", "box", "-c", "talker"], /tick\n/);
    m.stop();
  });

  test("logs -f follows every container of the pod", async () => {
    await c.server.kubectl(["exec", "box", "-c", "web", "--", "sh", "-c", "echo web-line > /proc/1/fd/1"]);
    const m = await kubectlUntil(["logs", "-f", "box", "--all-containers", "--prefix"], /\[pod\/box\/web\] web-line[\s\S]*\[pod\/box\/talker\] tick|\[pod\/box\/talker\] tick[\s\S]*\[pod\/box\/web\] web-line/);
    m.stop();
  });
});
