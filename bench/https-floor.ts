// The transport ceiling for bench:api: a bare Bun.serve over the same TLS certificate that reads
// each request body and answers 201 with a small fixed JSON object — no routing, auth, admission
// or storage. Whatever kubun's API server does, it cannot answer faster than this on this machine.
//   bun bench/https-floor.ts <cert.pem> <key.pem>   → prints "listening on https://127.0.0.1:PORT"
import { readFileSync } from "node:fs";

const [certPath, keyPath] = process.argv.slice(2);
if (!certPath || !keyPath) throw new Error("usage: bun bench/https-floor.ts <cert.pem> <key.pem>");

const answer = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "bench", resourceVersion: "1" } });
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  tls: { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") },
  async fetch(req) {
    await req.arrayBuffer();
    return new Response(answer, { status: 201, headers: { "content-type": "application/json" } });
  },
});
console.log(`listening on https://127.0.0.1:${server.port}`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
