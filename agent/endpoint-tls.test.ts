// The agent endpoint's TLS front in-process: a plain Bun.serve on a unix socket behind it, and
// clients with every kind of certificate in front.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCA, issueCertificate, type KeyPairPem } from "../src/pki/index.ts";
import { APISERVER_KUBELET_CLIENT, startClientCertGate, type ClientCertGate } from "./endpoint-tls.ts";

let dir: string;
let ca: KeyPairPem;
let upstream: ReturnType<typeof Bun.serve>;
let gate: ClientCertGate;
const certs: Record<string, KeyPairPem> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kubun-endpoint-tls-"));
  ca = await createCA();
  const serving = await issueCertificate(ca, { commonName: "system:node:n1", organization: "system:nodes", hosts: ["127.0.0.1"], usage: "server" });
  certs.apiserver = await issueCertificate(ca, { commonName: APISERVER_KUBELET_CLIENT, organization: "system:masters", usage: "client" });
  certs.node = await issueCertificate(ca, { commonName: "system:node:n2", organization: "system:nodes", usage: "client" });
  certs.otherCA = await issueCertificate(await createCA("other-ca"), { commonName: APISERVER_KUBELET_CLIENT, usage: "client" });
  certs.serving = serving;
  const socket = join(dir, "endpoint.sock");
  upstream = Bun.serve({
    unix: socket,
    fetch: (req, server) => (server.upgrade(req, { data: undefined }) ? undefined : new Response(`path ${new URL(req.url).pathname}`)),
    websocket: { message: (ws, m) => void ws.send(`echo ${m}`) },
  });
  gate = await startClientCertGate({ port: 0, hostname: "127.0.0.1", ...serving, ca: ca.cert, allowedCommonNames: [APISERVER_KUBELET_CLIENT], upstream: socket });
});

afterAll(async () => {
  await gate?.stop();
  upstream?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** The status and body, or "refused" when the TLS handshake fails. */
async function get(path: string, cert?: KeyPairPem): Promise<[number, string] | "refused"> {
  try {
    const res = await fetch(`https://127.0.0.1:${gate.port}${path}`, { tls: { ...cert, ca: ca.cert }, signal: AbortSignal.timeout(5000) } as RequestInit);
    return [res.status, await res.text()];
  } catch {
    return "refused";
  }
}

describe("the agent endpoint's TLS front", () => {
  test("the API server's client certificate reaches the server behind, request after request", async () => {
    for (const path of ["/a", "/b", "/c"]) expect(await get(path, certs.apiserver)).toEqual([200, `path ${path}`]);
  });

  test("another identity signed by the cluster CA gets 403 naming it", async () => {
    const answer = await get("/a", certs.node);
    expect(answer).not.toBe("refused");
    const [status, body] = answer as [number, string];
    expect(status).toBe(403);
    expect(body).toContain("user=system:node:n2");
  });

  test.each([
    ["no client certificate", undefined],
    ["a certificate of another CA", "otherCA"],
    ["a serving certificate of the cluster CA", "serving"],
  ])("%s is refused at the handshake", async (_, name) => {
    expect(await get("/a", name ? certs[name] : undefined)).toBe("refused");
  });

  test.each([
    ["apiserver", "echo ping"],
    ["node", "no connection"],
  ])("a WebSocket with the %s certificate: %s", async (name, want) => {
    const got = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`wss://127.0.0.1:${gate.port}/ws`, { tls: { ...certs[name], ca: ca.cert } } as any);
      ws.onopen = () => ws.send("ping");
      ws.onmessage = (m) => {
        resolve(String(m.data));
        ws.close();
      };
      ws.onerror = () => resolve("no connection");
      ws.onclose = () => resolve("no connection");
    });
    expect(got).toBe(want);
  });
});
