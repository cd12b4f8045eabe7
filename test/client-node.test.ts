// @kubernetes/client-node, unchanged, against a real kubun server. It runs under Node.js, where
// its users run it: under Bun, its `import { fetch } from "undici"` gets Bun's built-in stand-in,
// which ignores the CA of the kubeconfig.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

test(
  "client-node: create, list, typed errors, and an informer across its 30 s idle re-watch",
  async () => {
    const proc = Bun.spawn(["node", "test/client-node/scenario.mjs"], {
      env: { ...process.env, KUBECONFIG: s.kubeconfigPath, HOME: s.tmp },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const out = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(out.created).toBeString();
    expect(out.listed).toContain("cn");
    expect(out.deployReplicas).toBe(1);
    expect(out.notFoundCode).toBe(404);
    const count = (e: string) => out.events.filter((x: string) => x === e).length;
    expect(count("add cn")).toBe(1);
    expect(count("add inf-1")).toBe(1);
    expect(count("add inf-2")).toBe(1);
    expect(count("update inf-2")).toBeGreaterThanOrEqual(1);
    expect(count("delete inf-1")).toBe(1);
    expect(out.errors).toBe(0);
  },
  { timeout: 60_000 },
);
