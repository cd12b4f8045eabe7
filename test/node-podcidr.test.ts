// One pod CIDR, one node, against a real API server on SQLite and the real node IPAM controller
// (no containerd): the race between the IPAM and an agent's --pod-cidr fallback, made
// deterministic. The controller's informers run over a watch the test holds back (a cache
// that lags, as a real one can), and the controller's sync is called by the test, so each
// ordering of the two writers is played exactly:
//   - the agent writes a /24 first and the IPAM, not having seen it, picks the same one:
//     the API server refuses the IPAM's patch (422 on spec.podCIDR) and it takes the next;
//   - the IPAM writes first and the agent's --pod-cidr names the same /24: the agent is
//     refused, says so, and gets its CIDR from the IPAM.
// Also: overlapping CIDRs of other sizes, a deleted node's CIDR freed, the rule kept across a
// server restart (rebuilt from the stored nodes). Pod CIDR 10.95.0.0/16 is this test's own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { nodeObject } from "../agent/node/node-status.ts";
import { registerNode, waitForPodCIDR } from "../agent/node/registration.ts";
import type { Node } from "../src/apis/index.ts";
import type { KubeObject } from "../src/apis/meta.ts";
import type { ResourceInfo } from "../src/apis/registry.ts";
import { startServer } from "../src/cli/server.ts";
import { KubeClient, resourceFor, SharedInformerFactory, type ControllerContext, type ListerWatcher, type ListWatchSource, type Scope } from "../src/client/index.ts";
import { newNodeIpamController } from "../src/controllers/node-ipam.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const NODES = resourceFor("Node");
const CLUSTER_CIDR = "10.95.0.0/16";

/** Informers whose watch events wait from lag() until catchUp(): the cache lags the server meanwhile. */
function laggingSource(client: KubeClient) {
  const held: (() => void)[] = [];
  let lagging = false;
  const source: ListWatchSource = {
    listerWatcher: <T extends KubeObject>(r: ResourceInfo, scope?: Scope) => {
      const lw = client.listerWatcher<T>(r, scope);
      const lagged: ListerWatcher<T> = {
        list: lw.list,
        watch: (opts, onEvent, signal) => lw.watch(opts, (e) => void (lagging ? held.push(() => onEvent(e)) : onEvent(e)), signal),
      };
      return lagged;
    },
  };
  return {
    source,
    /** Delivers the events held back, then stops holding. */
    catchUp() {
      lagging = false;
      for (const deliver of held.splice(0)) deliver();
    },
    lag() {
      lagging = true;
    },
  };
}

/** The node IPAM controller of `server` over a lagging cache; its events are kept. */
async function ipamOver(server: TestServer) {
  const client = new KubeClient({ server: server.url, token: server.adminToken, ca: server.ca.cert });
  const lag = laggingSource(client);
  const events: { node: string; reason: string; message: string }[] = [];
  const ctx: ControllerContext = {
    client,
    informers: new SharedInformerFactory(lag.source),
    recorder: () => ({ event: (obj: KubeObject, _type, reason, message) => void events.push({ node: obj.metadata.name!, reason, message }) }),
    now: () => new Date(),
  };
  const controller = newNodeIpamController(ctx, { clusterCIDR: CLUSTER_CIDR });
  ctx.informers.start();
  await ctx.informers.waitForSync();
  return {
    client,
    controller,
    events,
    lag,
    /** Waits until the cache holds what the server holds for `name`. */
    async cached(name: string) {
      const want = (await client.get<Node>(NODES, undefined, name)).metadata.resourceVersion;
      for (;;) {
        if (ctx.informers.informerFor<Node>("Node").lister.get(undefined, name)?.metadata.resourceVersion === want) return;
        await Bun.sleep(10);
      }
    },
    async stop() {
      await ctx.informers.stop();
      await client.close();
    },
  };
}

const bare = (name: string): Node => nodeObject(name, {}, { conditions: [] });
const cidrOf = async (client: KubeClient, name: string) => (await client.get<Node>(NODES, undefined, name)).spec?.podCIDR;

async function allCIDRs(client: KubeClient): Promise<Record<string, string | undefined>> {
  const list = await client.list<Node>(NODES);
  return Object.fromEntries(list.items.map((n) => [n.metadata.name!, n.spec?.podCIDR]));
}

/** The raw answer to a merge patch of a node's spec, as kubectl or an agent sends it. */
async function patchCIDR(server: TestServer, name: string, cidr: string, query = "") {
  const res = await server.api(`/api/v1/nodes/${name}${query}`, {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json" },
    body: JSON.stringify({ spec: { podCIDR: cidr, podCIDRs: [cidr] } }),
  });
  return { code: res.status, body: (await res.json()) as { reason?: string; details?: { causes?: { field: string; message: string }[] }; spec?: { podCIDR?: string } } };
}

describe("the agent's --pod-cidr and the node IPAM never give two nodes one CIDR", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  test("the agent writes first, the IPAM's cache has not seen it: the IPAM is refused and takes the next /24", async () => {
    const ipam = await ipamOver(server);
    try {
      const logs: string[] = [];
      // Both nodes registered without a CIDR, and the IPAM's cache holds them so.
      await registerNode(ipam.client, bare("race-a"), undefined, (m) => logs.push(m));
      await registerNode(ipam.client, bare("race-b"), undefined, (m) => logs.push(m));
      await ipam.cached("race-a");
      await ipam.cached("race-b");
      // race-b's agent restarts with --pod-cidr: the /24 the IPAM hands out next. Its write lands; the cache lags.
      ipam.lag.lag();
      const b = await registerNode(ipam.client, bare("race-b"), "10.95.0.0/24", (m) => logs.push(m));
      expect(b.spec?.podCIDR).toBe("10.95.0.0/24");
      await ipam.controller.sync("race-a");
      const cidrs = await allCIDRs(ipam.client);
      expect(cidrs).toEqual({ "race-a": "10.95.1.0/24", "race-b": "10.95.0.0/24" });
      expect(ipam.events).toContainEqual(expect.objectContaining({ node: "race-a", reason: "CIDRNotAvailable" }));
      // Once the cache catches up, nothing moves, and the next node gets a /24 neither holds.
      ipam.lag.catchUp();
      await registerNode(ipam.client, bare("race-c"), undefined, () => {});
      await ipam.cached("race-c");
      await ipam.cached("race-b");
      await ipam.controller.sync("race-c");
      expect(await allCIDRs(ipam.client)).toEqual({ "race-a": "10.95.1.0/24", "race-b": "10.95.0.0/24", "race-c": "10.95.2.0/24" });
      expect(logs).toEqual([]);
    } finally {
      await ipam.stop();
      for (const n of ["race-a", "race-b", "race-c"]) await server.api(`/api/v1/nodes/${n}`, { method: "DELETE" });
    }
  });

  test("the IPAM writes first: the agent's --pod-cidr is refused (422 on spec.podCIDR), it says so and gets its CIDR from the IPAM", async () => {
    const ipam = await ipamOver(server);
    try {
      await registerNode(ipam.client, bare("first-a"), undefined, () => {});
      await ipam.cached("first-a");
      await ipam.controller.sync("first-a");
      const taken = await cidrOf(ipam.client, "first-a");
      expect(taken).toBeDefined();
      ipam.lag.lag();

      const logs: string[] = [];
      const b = await registerNode(ipam.client, bare("first-b"), taken, (m) => logs.push(m));
      expect(b.spec?.podCIDR).toBeUndefined();
      expect(logs.join("\n")).toContain(`--pod-cidr ${taken} refused by the API server`);
      expect(logs.join("\n")).toContain('node "first-a" already holds this pod CIDR');
      expect(logs.join("\n")).toContain("waiting for the control plane's node IPAM");

      // What the agent was answered: a Status naming the field.
      const refused = await patchCIDR(server, "first-b", taken!);
      expect(refused.code).toBe(422);
      expect(refused.body.reason).toBe("Invalid");
      expect(refused.body.details?.causes?.[0]?.field).toBe("spec.podCIDR");

      ipam.lag.catchUp();
      await ipam.cached("first-b");
      await ipam.controller.sync("first-b");
      const own = await waitForPodCIDR(ipam.client, "first-b", 5_000);
      expect(own).not.toBe(taken);
      expect(own.startsWith("10.95.")).toBe(true);
    } finally {
      await ipam.stop();
      for (const n of ["first-a", "first-b"]) await server.api(`/api/v1/nodes/${n}`, { method: "DELETE" });
    }
  });
});

describe("the API server's rule: a node's podCIDR may not overlap another node's", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    for (const n of ["o-a", "o-b", "o-c", "o-d"]) expect((await server.api("/api/v1/nodes", { method: "POST", body: JSON.stringify(bare(n)) })).status).toBe(201);
    expect((await patchCIDR(server, "o-a", "10.95.8.0/24")).code).toBe(200);
  });
  afterAll(async () => {
    await server.close();
  });

  test.each([
    ["the same CIDR", "10.95.8.0/24"],
    ["a wider one containing it", "10.95.0.0/16"],
    ["a narrower one inside it", "10.95.8.128/25"],
  ])("%s is refused, in a dry run too, and the node stays without one", async (_, cidr) => {
    for (const query of ["?dryRun=All", ""]) {
      const r = await patchCIDR(server, "o-b", cidr, query);
      expect(r.code).toBe(422);
      expect(r.body.details?.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.podCIDR", message: expect.stringContaining('node "o-a" already holds this pod CIDR') }] as never);
    }
    expect(((await (await server.api("/api/v1/nodes/o-b")).json()) as Node).spec?.podCIDR).toBeUndefined();
  });

  test("a user's own Node with a unique podCIDR (kubectl create -f node.yaml) is created as before", async () => {
    const manifest = "apiVersion: v1\nkind: Node\nmetadata:\n  name: o-user\nspec:\n  podCIDR: 10.95.20.0/24\n";
    expect(await server.kubectlOk(["create", "-f", "-"], manifest)).toContain("node/o-user created");
    const stored = (await (await server.api("/api/v1/nodes/o-user")).json()) as Node;
    expect(stored.spec).toMatchObject({ podCIDR: "10.95.20.0/24", podCIDRs: ["10.95.20.0/24"] });
    // The same file for another node is refused, as kubectl shows it.
    const again = await server.kubectl(["create", "-f", "-"], { stdin: manifest.replace("o-user", "o-user2") });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('spec.podCIDR: Invalid value: "10.95.20.0/24": node "o-user" already holds this pod CIDR');
  });

  test("a create naming a held CIDR is refused as an update is", async () => {
    const node = { ...bare("o-new"), spec: { podCIDR: "10.95.8.0/24" } };
    const res = await server.api("/api/v1/nodes", { method: "POST", body: JSON.stringify(node) });
    expect(res.status).toBe(422);
    expect((await server.api("/api/v1/nodes/o-new")).status).toBe(404);
  });

  test("neighbours and other ranges are fine; a deleted node's CIDR is free again", async () => {
    expect((await patchCIDR(server, "o-b", "10.95.9.0/24")).code).toBe(200);
    expect((await patchCIDR(server, "o-c", "10.96.8.0/24")).code).toBe(200);
    expect((await server.api("/api/v1/nodes/o-a", { method: "DELETE" })).status).toBe(200);
    expect((await patchCIDR(server, "o-d", "10.95.8.0/24")).code).toBe(200);
  });

  test("after a restart the stored nodes' CIDRs are still held", async () => {
    const dataDir = join(server.tmp, "data");
    await server.stop();
    const again = await startServer({ dataDir, port: 0, bind: "127.0.0.1", controllers: false, scheduler: false });
    try {
      const create = await fetch(`${again.url}/api/v1/nodes`, {
        method: "POST",
        headers: { authorization: `Bearer ${again.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ ...bare("o-after"), spec: { podCIDR: "10.95.9.0/24" } }),
        tls: { ca: again.ca.cert },
      } as RequestInit);
      expect(create.status).toBe(422);
      expect(((await create.json()) as { message: string }).message).toContain('node "o-b" already holds this pod CIDR');
    } finally {
      await again.stop();
    }
    // server.close() (afterAll) stops the first server again (a no-op) and removes the directory.
  });
});
