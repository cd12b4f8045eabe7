// KubeClient.close() against a real API server while watches are open: undici's Agent.close()
// waits for every request in flight, and a watch is in flight until the server ends it, so a
// client (or a controller manager) shut down with a watch open would hang that long. close()
// ends the open watches first: each resolves as if its own signal had aborted.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../test/helpers/server.ts";
import { KubeClient } from "./kube-client.ts";
import { resourceFor } from "./paths.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

const CONFIGMAPS = resourceFor("ConfigMap");

test("close() ends open watches instead of waiting for the server to end them", async () => {
  const client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
  const seen: string[] = [];
  // No signal and no timeoutSeconds: only the server (or close) ends these watches.
  const watches = [client.watch(CONFIGMAPS, { namespace: "default" }, (e) => seen.push(e.type)), client.watch(resourceFor("Pod"), {}, () => {})];
  // The watches are open once an event written after them arrives.
  await client.create(CONFIGMAPS, "default", { metadata: { name: "close-watch" } });
  while (!seen.includes("ADDED")) await Bun.sleep(20);

  // A hang would be the server's watch lifetime (minutes); 10 s tells the two apart by far.
  const outcome = await Promise.race([client.close().then(() => "closed"), Bun.sleep(10_000).then(() => "still waiting for the watches")]);
  expect(outcome).toBe("closed");
  // The watches end as an aborted watch does: resolved, not with a connection error.
  expect(await Promise.all(watches)).toEqual([undefined, undefined]);
  // The server is still serving: nothing on its side ended them.
  expect((await s.api("/api/v1/namespaces/default/configmaps/close-watch")).status).toBe(200);
});

test("a watch started on a closed client ends at once; requests in flight at close() still complete", async () => {
  const client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
  const pending = client.list(resourceFor("Namespace"));
  await client.close();
  expect((await pending).items.map((n) => n.metadata.name)).toContain("default");
  expect(await client.watch(CONFIGMAPS, { namespace: "default" }, () => {})).toBeUndefined();
});
