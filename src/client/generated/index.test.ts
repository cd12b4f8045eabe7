import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCA, issueCertificate } from "../../pki/index.ts";
import { createKubeClient } from "./index.ts";

// A serving certificate for 127.0.0.1 from the cluster's own PKI code.
async function servingPair(): Promise<{ ca: string; tls: { cert: string; key: string } }> {
  const authority = await createCA("kubun-test-ca");
  return { ca: authority.cert, tls: await issueCertificate(authority, { commonName: "kubun-test", hosts: ["127.0.0.1"], usage: "server" }) };
}

const TOKEN = "s3cret";
let dir: string;
let ca: string;
let server: ReturnType<typeof Bun.serve>;
const seen: { method: string; path: string; contentType: string | null; body: string }[] = [];

const pod = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
const status = (code: number, reason: string, message: string) => ({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", code, reason, message });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kubun-client-"));
  const pair = await servingPair();
  const tls = pair.tls;
  ca = pair.ca;
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    async fetch(req) {
      const url = new URL(req.url);
      seen.push({ method: req.method, path: url.pathname + url.search, contentType: req.headers.get("content-type"), body: await req.text() });
      if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) return Response.json(status(401, "Unauthorized", "Unauthorized"), { status: 401 });
      const name = url.pathname.split("/").pop()!;
      if (name === "missing") return Response.json(status(404, "NotFound", `pods "missing" not found`), { status: 404 });
      return Response.json(pod(name));
    },
  });
});

afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("createKubeClient over https with a bearer token", () => {
  const client = () => createKubeClient(`https://127.0.0.1:${server.port}`, { token: TOKEN, ca });

  test("reads a typed object, trusting the given CA", async () => {
    const { data, error } = await client().GET("/api/v1/namespaces/{namespace}/pods/{name}", {
      params: { path: { namespace: "default", name: "web" } },
    });
    expect(error).toBeUndefined();
    expect(data?.metadata?.name).toBe("web");
    expect(data?.spec?.containers[0]?.image).toBe("busybox");
  });

  test("failures come back as a Status", async () => {
    const { data, error, response } = await client().GET("/api/v1/namespaces/{namespace}/pods/{name}", {
      params: { path: { namespace: "default", name: "missing" } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error?.reason).toBe("NotFound");
  });

  test("patches carry their media type and query parameters", async () => {
    seen.length = 0;
    await client().PATCH("/api/v1/namespaces/{namespace}/pods/{name}", {
      params: { path: { namespace: "default", name: "web" }, query: { fieldManager: "test", fieldValidation: "Strict" } },
      body: { metadata: { labels: { a: "b" } } },
      headers: { "content-type": "application/merge-patch+json" },
    });
    expect(seen).toEqual([
      {
        method: "PATCH",
        path: "/api/v1/namespaces/default/pods/web?fieldManager=test&fieldValidation=Strict",
        contentType: "application/merge-patch+json",
        body: '{"metadata":{"labels":{"a":"b"}}}',
      },
    ]);
  });

  test("without the token the server answers 401", async () => {
    const anonymous = createKubeClient(`https://127.0.0.1:${server.port}`, { ca });
    const { response } = await anonymous.GET("/api/v1/nodes");
    expect(response.status).toBe(401);
  });

  test("without the CA the certificate is not trusted", async () => {
    const untrusting = createKubeClient(`https://127.0.0.1:${server.port}`, { token: TOKEN });
    await expect(untrusting.GET("/api/v1/nodes")).rejects.toThrow();
  });
});
