// examples/generated-client.ts, run as a user runs it (its own process, KUBECONFIG pointing at a
// real server), so the README's example of the generated client cannot rot.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const EXAMPLE = join(import.meta.dir, "..", "examples", "generated-client.ts");
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
  const json = { "content-type": "application/json" };
  expect((await s.api("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "example" } }), headers: json })).status).toBe(201);
  const pod = { metadata: { name: "listed" }, spec: { containers: [{ name: "c", image: "local/busybox:1" }] } };
  const res = await s.api("/api/v1/namespaces/example/pods", { method: "POST", body: JSON.stringify(pod), headers: json });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  await s?.close();
});

async function runExample(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, EXAMPLE, ...args], {
    env: { ...process.env, KUBECONFIG: s.kubeconfigPath },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

test("the example lists pods, creates a ConfigMap, sees it come and go on a watch, and leaves nothing behind", async () => {
  const run = await runExample(["example"]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  const lines = run.stdout.trim().split("\n");
  const name = /^created configmap example\/(example-[0-9a-f]{8}) at resourceVersion \d+$/.exec(lines[2] ?? "")?.[1];
  expect(name).toBeDefined();
  expect(lines).toEqual([
    "1 pod(s) in example",
    "pod listed Pending",
    lines[2]!,
    `watch: ADDED configmap example/${name} data={"greeting":"hello"}`,
    `watch: DELETED configmap example/${name} data={"greeting":"hello"}`,
  ]);
  const left = (await (await s.api("/api/v1/namespaces/example/configmaps?labelSelector=app%3Dgenerated-client-example")).json()) as { items: unknown[] };
  expect(left.items).toEqual([]);
});

test("a request the server refuses ends the example with the server's message", async () => {
  const run = await runExample(["no-such-namespace-either"]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain(`create configmap: namespaces "no-such-namespace-either" not found`);
});
