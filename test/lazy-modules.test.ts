// The libraries a server loads on first use, not at start-up (bench/README.md, "Memory"): the
// OpenAPI documents' builders with protobufjs, the YAML parser, the protobuf codec, the CEL
// engine, the whole of undici (webhook calls), the PostgreSQL client and the certificate issuer.
// Two checks: the static import graph of `kubun server` does not reach them, and in a fresh
// server process none of them is resident after start-up while the first request that needs
// each still answers as before.
// (The PostgreSQL datastore's first use is the HA tests', test/ha*.test.ts.)
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { prepareDataDir } from "../src/cli/data-dir.ts";

const ROOT = join(import.meta.dir, "..");

/** Files `entry` reaches through static value imports (type-only imports are erased, dynamic ones and require() are lazy). */
function staticGraph(entry: string): Set<string> {
  const seen = new Set([entry]);
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (!/\.(ts|js|mjs|cjs)$/.test(file)) continue; // JSON, wasm
    const source = readFileSync(file, "utf8");
    const loader = /\.(c|m)?js$/.test(file) ? "js" : "ts";
    // Transpiling first drops type-only imports; scanImports then lists what is left.
    const js = new Bun.Transpiler({ loader, trimUnusedImports: true }).transformSync(source);
    for (const i of new Bun.Transpiler({ loader: "js" }).scanImports(js)) {
      if (i.kind === "dynamic-import" || i.kind === "require-call" || /^(node|bun):/.test(i.path)) continue;
      let target: string;
      try {
        target = Bun.resolveSync(i.path, dirname(file));
      } catch {
        continue;
      }
      if (!target.startsWith("/") || seen.has(target)) continue;
      seen.add(target);
      stack.push(target);
    }
  }
  return seen;
}

test("kubun server's static imports do not reach the libraries it loads on first use", () => {
  const files = [...staticGraph(join(ROOT, "src/cli/server.ts"))];
  const reached = (re: RegExp) => files.filter((f) => re.test(f));
  // The server itself is reached (the walk works) ...
  expect(reached(/\/src\/api\/app\.ts$/)).toHaveLength(1);
  expect(reached(/\/node_modules\/hono\//).length).toBeGreaterThan(0);
  // ... and none of these.
  expect(reached(/\/node_modules\/yaml\//)).toEqual([]);
  expect(reached(/\/node_modules\/protobufjs\//)).toEqual([]);
  expect(reached(/\/node_modules\/@bufbuild\/(cel|protobuf)\//)).toEqual([]);
  expect(reached(/\/node_modules\/undici\/index\.js$/)).toEqual([]);
  // (drizzle-orm/pg-core stays: drizzle's relations.js imports part of it for every dialect.)
  expect(reached(/\/node_modules\/(postgres|drizzle-orm\/postgres-js)\//)).toEqual([]);
  expect(reached(/\/src\/api\/openapi\/(v2|v3|v2-protobuf|operations)\.ts$/)).toEqual([]);
  expect(reached(/\/src\/api\/protobuf\/(schema|decode|to-json)\.ts$/)).toEqual([]);
  expect(reached(/\/src\/store\/pg-(store|log)\.ts$/)).toEqual([]);
  expect(reached(/\/node_modules\/@peculiar\//)).toEqual([]);
});

/** Runs the fixture (test/fixtures/lazy-first-use.ts) in a process of its own; its last line of output. */
async function fixture(...args: string[]): Promise<any> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "test/fixtures/lazy-first-use.ts"), ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`fixture failed (${code}): ${stderr}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

test("a fresh server holds none of them, and the first request of each kind answers as before", async () => {
  const out = await fixture();
  // (The certificate issuer is resident: a fresh data dir's certificates were made at start-up.)
  expect(out.atStart).toEqual(["x509"]);
  expect(out.openapiV3).toEqual([200, true]);
  expect(out.openapiV2).toEqual([200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", true]);
  expect(out.afterOpenapi).toEqual(["yaml", "protobufjs", "openapi", "x509"]);
  expect(out.yamlBody).toEqual([201, { a: "b" }]);
  expect(out.protobufBody).toEqual([201, { a: "b" }]);
  expect(out.policyFile).toBe(1);
  expect(out.celBadPolicy[0]).toBe(422);
  expect(out.celBadPolicy[1]).toContain('spec.validations[0].expression: Invalid value: "object.data <=": compilation failed:');
  expect(out.celGoodPolicy).toBe(201);
  expect(out.celBadCrd[0]).toBe(422);
  expect(out.celBadCrd[1]).toContain("x-kubernetes-validations[0].rule");
  expect(out.webhookConfig).toBe(201);
  expect(out.webhook.status).toBe(500);
  expect(out.webhook.message).toContain(`failed calling webhook "gone.test.kubun.io": failed to call webhook: Post "${out.url}?timeout=10s"`);
  expect(out.webhook.message).toContain("connection refused");
  expect(out.atEnd).toEqual(["yaml", "protobufjs", "cel", "undici", "openapi", "x509"]);
}, 60_000);

test("a server restarting on its data dir loads the certificate issuer only when a node's certificate is made", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubun-lazy-"));
  try {
    await prepareDataDir(join(dir, "data"), "127.0.0.1");
    const out = await fixture("restart", join(dir, "data"));
    expect(out.atStart).toEqual([]);
    expect(out.hosts).toEqual(["10.1.2.3", "node-1.example"]);
    expect(out.atEnd).toEqual(["x509"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
