// KubeClient's fallback servers against a real API server and a port nothing listens on: a
// request whose connection is refused goes to the next server, which then stays the current one.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer } from "node:net";
import { startTestServer, type TestServer } from "../../test/helpers/server.ts";
import { KubeClient } from "./kube-client.ts";
import { resourceFor } from "./paths.ts";

let s: TestServer;
let dead: string;
beforeAll(async () => {
  s = await startTestServer();
  // A loopback port that was free a moment ago and is closed now: connections to it are refused.
  const port = await new Promise<number>((resolve) => {
    const l = createServer().listen(0, "127.0.0.1", () => {
      const p = (l.address() as { port: number }).port;
      l.close(() => resolve(p));
    });
  });
  dead = `https://127.0.0.1:${port}`;
});
afterAll(async () => {
  await s.close();
});

test("a refused connection fails over to the next server, for reads and writes alike", async () => {
  const client = new KubeClient({ server: dead, fallbackServers: [s.url], token: s.adminToken, ca: s.ca.cert });
  const created = await client.create(resourceFor("ConfigMap"), "default", { metadata: { name: "failover" }, data: { k: "v" } });
  expect(created.metadata.name).toBe("failover");
  expect(client.serverURLs[0]).toBe(s.url);
  expect((await client.get(resourceFor("ConfigMap"), "default", "failover")).metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  // Servers learned later keep the working one first.
  client.setFallbackServers([dead, s.url]);
  expect(client.serverURLs).toEqual([s.url, dead]);
  await client.close();
});

test("with no server reachable, the connection error is the caller's", async () => {
  const client = new KubeClient({ server: dead, fallbackServers: [dead.replace(/:\d+$/, ":1")], token: s.adminToken, ca: s.ca.cert });
  await expect(client.list(resourceFor("ConfigMap"))).rejects.toMatchObject({ code: "ECONNREFUSED" });
  await client.close();
});
