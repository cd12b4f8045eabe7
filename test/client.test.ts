// src/client against a real kubun server: the verbs, Status errors, watch resume, and informers
// that sync, follow changes and recover from a compacted revision.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { StatusError } from "../src/apis/errors.ts";
import type { KubeObject } from "../src/apis/meta.ts";
import {
  Informer,
  KubeClient,
  objectKey,
  podsByNodeName,
  resourceFor,
  SharedInformerFactory,
  type ListerWatcher,
  type ObjectEvent,
} from "../src/client/index.ts";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
let client: KubeClient;
/** A client of the same server through a unix socket, as the server's in-process loopback client is. */
let unixClient: KubeClient;
let unixProxy: ReturnType<typeof Bun.serve>;
beforeAll(async () => {
  s = await startTestServer();
  client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
  const socketPath = join(s.tmp, "api.sock");
  // Relays to the server over TLS, streaming: a watch's events pass as they come.
  unixProxy = Bun.serve({
    unix: socketPath,
    fetch: (req) => {
      const url = new URL(req.url);
      return fetch(`${s.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body: req.body, signal: req.signal, tls: { ca: s.ca.cert } } as RequestInit);
    },
  } as Parameters<typeof Bun.serve>[0]);
  unixClient = new KubeClient({ server: "http://localhost", socketPath, token: s.adminToken });
});
afterAll(async () => {
  await client.close();
  await unixClient.close();
  await unixProxy.stop(true);
  await s.close();
});

const CM = resourceFor("ConfigMap");
const POD = resourceFor("Pod");
const NODE = resourceFor("Node");

const pod = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { name, labels },
  spec: { containers: [{ name: "c", image: "busybox" }] },
});

/** Rejects unless `p` fails with a StatusError of this code and reason. */
async function expectStatus(p: Promise<unknown>, code: number, reason: string): Promise<StatusError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StatusError);
  expect(err).toMatchObject({ code, reason });
  return err as StatusError;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await Bun.sleep(10);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe("KubeClient verbs", () => {
  test("create, get, list, update, delete a ConfigMap", async () => {
    const created = await client.create(CM, "default", { metadata: { name: "c1", labels: { app: "one" } }, data: { a: "1" } });
    expect(created).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c1", namespace: "default" } });
    expect(created.metadata.uid).toBeString();
    const got = await client.get(CM, "default", "c1");
    expect(got.metadata.resourceVersion).toBe(created.metadata.resourceVersion!);

    await client.create(CM, "default", { metadata: { name: "c2", labels: { app: "two" } } });
    const selected = await client.list(CM, { namespace: "default", labelSelector: "app=one" });
    expect(selected.items.map((i) => i.metadata.name)).toEqual(["c1"]);
    expect(selected.metadata.resourceVersion).toBeString();
    const byName = await client.list(CM, { fieldSelector: "metadata.name=c2" });
    expect(byName.items.map((i) => objectKey(i.metadata))).toEqual(["default/c2"]);

    const updated = await client.update(CM, { ...got, data: { a: "2" } });
    expect(updated.data).toEqual({ a: "2" });
    // The old resourceVersion is stale now.
    await expectStatus(client.update(CM, { ...got, data: { a: "3" } }), 409, "Conflict");

    await client.delete(CM, "default", "c1");
    const err = await expectStatus(client.get(CM, "default", "c1"), 404, "NotFound");
    expect(err.status.details?.name).toBe("c1");
  });

  test("pages a list with limit and continue", async () => {
    for (const n of ["p1", "p2", "p3"]) await client.create(CM, "kube-public", { metadata: { name: n } });
    const first = await client.list(CM, { namespace: "kube-public", limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeString();
    const rest = await client.list(CM, { namespace: "kube-public", limit: 2, continue: first.metadata.continue });
    expect([...first.items, ...rest.items].map((i) => i.metadata.name)).toEqual(["p1", "p2", "p3"]);
  });

  test("server errors arrive as the server's Status", async () => {
    await client.create(CM, "default", { metadata: { name: "dup" } });
    await expectStatus(client.create(CM, "default", { metadata: { name: "dup" } }), 409, "AlreadyExists");
    const invalid = await expectStatus(client.create(CM, "default", { metadata: { name: "Not_Valid" } }), 422, "Invalid");
    expect(invalid.status.details?.causes?.map((c) => c.field)).toContain("metadata.name");
    await expectStatus(client.create(CM, "nowhere", { metadata: { name: "x" } }), 404, "NotFound");
    const stranger = new KubeClient({ server: s.url, token: "not-a-token", ca: s.ca.cert });
    await expectStatus(stranger.list(CM), 401, "Unauthorized");
    await stranger.close();
  });

  test.each([
    ["merge", { metadata: { labels: { m: "1" } } }, { m: "1" }],
    ["strategic", { metadata: { labels: { s: "1" } } }, { s: "1" }],
    ["json", [{ op: "add", path: "/metadata/labels/j", value: "1" }], { j: "1" }],
  ] as const)("%s patch", async (type, patch, labels) => {
    const name = `patched-${type}`;
    await client.create(CM, "default", { metadata: { name, labels: { base: "x" } } });
    const out = await client.patch(CM, "default", name, patch, type);
    expect(out.metadata.labels).toEqual({ base: "x", ...labels });
  });

  test("server-side apply creates, then conflicts with another manager unless forced", async () => {
    const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied" }, data: { k: "a" } };
    const created = await client.patch(CM, "default", "applied", body, "apply", { fieldManager: "one" });
    expect(created.data).toEqual({ k: "a" });
    const other = { ...body, data: { k: "b" } };
    await expectStatus(client.patch(CM, "default", "applied", other, "apply", { fieldManager: "two" }), 409, "Conflict");
    const forced = await client.patch(CM, "default", "applied", other, "apply", { fieldManager: "two", force: true });
    expect(forced.data).toEqual({ k: "b" });
  });

  test("cluster-scoped nodes, status updates, and binding a pod", async () => {
    const node = await client.create(NODE, undefined, { metadata: { name: "node-a" } });
    expect(node.metadata.namespace).toBeUndefined();
    const withStatus = await client.updateStatus(NODE, { ...node, status: { capacity: { pods: "110" } } });
    expect(withStatus.status).toMatchObject({ capacity: { pods: "110" } });

    const created = await client.create(POD, "default", pod("bind-me"));
    await client.bind("default", "bind-me", "node-a", { podUID: created.metadata.uid });
    const bound = await client.get<KubeObject & { spec: { nodeName?: string } }>(POD, "default", "bind-me");
    expect(bound.spec.nodeName).toBe("node-a");
    // A pod binds once.
    await expectStatus(client.bind("default", "bind-me", "node-b"), 409, "Conflict");
  });

  test("delete with preconditions", async () => {
    const cm = await client.create(CM, "default", { metadata: { name: "guarded" } });
    await expectStatus(client.delete(CM, "default", "guarded", { preconditions: { uid: "wrong" } }), 409, "Conflict");
    await client.delete(CM, "default", "guarded", { preconditions: { uid: cm.metadata.uid } });
    await expectStatus(client.get(CM, "default", "guarded"), 404, "NotFound");
  });

  test("records an Event about an object", async () => {
    const cm = await client.create(CM, "default", { metadata: { name: "eventful" } });
    const event = await client.createEvent({ ...cm, apiVersion: "v1", kind: "ConfigMap" }, "Normal", "Tested", "it works", "client-test");
    expect(event).toMatchObject({ reason: "Tested", involvedObject: { kind: "ConfigMap", name: "eventful", uid: cm.metadata.uid } });
  });

  test("a client from the server's kubeconfig", async () => {
    const fromFile = KubeClient.fromKubeconfig(s.kubeconfigPath);
    const ns = await fromFile.get(resourceFor("Namespace"), undefined, "default");
    expect(ns.metadata.name).toBe("default");
    await fromFile.close();
  });
});

describe.each([["TLS", () => client], ["a unix socket", () => unixClient]])("KubeClient.watch over %s", (via, clientFor) => {
  const w = via === "TLS" ? "w" : "u";
  test("streams every change after a resourceVersion, in order, until aborted", async () => {
    const client = clientFor();
    const first = await client.create(CM, "kube-system", { metadata: { name: `${w}1` } });
    await client.patch(CM, "kube-system", `${w}1`, { data: { a: "1" } }, "merge");
    await client.create(CM, "kube-system", { metadata: { name: `${w}2` } });
    await client.delete(CM, "kube-system", `${w}1`);
    const seen: string[] = [];
    const abort = new AbortController();
    const watching = client.watch(CM, { namespace: "kube-system", resourceVersion: first.metadata.resourceVersion }, (e: ObjectEvent) => {
      seen.push(`${e.type} ${e.object.metadata.name}`);
      if (seen.length === 3) abort.abort();
    }, abort.signal);
    await watching;
    expect(seen).toEqual([`MODIFIED ${w}1`, `ADDED ${w}2`, `DELETED ${w}1`]);
  });

  test("ends when the server's timeout passes", async () => {
    const seen: string[] = [];
    await clientFor().watch(CM, { namespace: "kube-system", fieldSelector: `metadata.name=${w}2`, timeoutSeconds: 1 }, (e) => seen.push(e.type));
    // Without a resourceVersion the current object comes first as ADDED.
    expect(seen).toEqual(["ADDED"]);
  });

  test("a compacted resourceVersion fails with 410 Expired", async () => {
    const client = clientFor();
    const old = await client.create(CM, "kube-system", { metadata: { name: `${w}-before-compaction` } });
    await client.create(CM, "kube-system", { metadata: { name: `${w}-after-compaction` } });
    await s.store.compact(s.store.revision);
    await expectStatus(client.watch(CM, { resourceVersion: old.metadata.resourceVersion }, () => {}), 410, "Expired");
  });

  test("a refused watch fails with the server's Status (401 for an unknown token)", async () => {
    const anonymous = via === "TLS"
      ? new KubeClient({ server: s.url, token: "no-such-token", ca: s.ca.cert })
      : new KubeClient({ server: "http://localhost", socketPath: join(s.tmp, "api.sock"), token: "no-such-token" });
    await expectStatus(anonymous.watch(CM, { namespace: "kube-system" }, () => {}), 401, "Unauthorized");
    await anonymous.close();
  });
});

describe("informers against the server", () => {
  test("sync, then adds, updates and deletes; lister and index follow", async () => {
    const factory = new SharedInformerFactory(client, { backoff: { initialMs: 10 } });
    const pods = factory.informerFor("Pod", { namespace: "kube-node-lease" });
    pods.addIndexer("nodeName", podsByNodeName);
    const log: string[] = [];
    await client.create(POD, "kube-node-lease", pod("pre", { app: "web" }));
    pods.addEventHandler({
      onAdd: (o) => log.push(`add ${o.metadata.name}`),
      onUpdate: (_, o) => log.push(`update ${o.metadata.name}`),
      onDelete: (o) => log.push(`delete ${o.metadata.name}`),
    });
    factory.start();
    expect(await factory.waitForSync()).toBe(true);
    expect(log).toEqual(["add pre"]);
    expect(pods.lister.get("kube-node-lease", "pre")).toMatchObject({ kind: "Pod", apiVersion: "v1" });

    await client.create(POD, "kube-node-lease", pod("post", { app: "db" }));
    await client.bind("kube-node-lease", "post", "node-x");
    await client.delete(POD, "kube-node-lease", "pre", { gracePeriodSeconds: 0 });
    await until(() => log.includes("delete pre"), "the delete event");
    expect(log).toEqual(["add pre", "add post", "update post", "delete pre"]);
    expect(pods.lister.list("kube-node-lease", { matchLabels: { app: "db" } }).map((p) => p.metadata.name)).toEqual(["post"]);
    expect(pods.lister.byIndex("nodeName", "node-x").map((p) => p.metadata.name)).toEqual(["post"]);
    expect(pods.lister.list("kube-node-lease", { matchLabels: { app: "web" } })).toEqual([]);
    await factory.stop();
  });

  test("recovers from a compacted revision by listing again and reporting the difference", async () => {
    const ns = "default";
    const sel = "suite=compaction";
    for (const name of ["keep", "change", "remove"]) await client.create(CM, ns, { metadata: { name, labels: { suite: "compaction" } } });

    // Holds the informer's next watch back so that it misses changes, then resumes it from a compacted revision.
    let held = false;
    let release!: () => void;
    let watches = 0;
    let lists = 0;
    const inner = client.listerWatcher(CM, { namespace: ns, labelSelector: sel });
    const gated: ListerWatcher = {
      list: (o) => {
        lists++;
        return inner.list(o);
      },
      async watch(o, onEvent, signal) {
        watches++;
        if (held) await new Promise<void>((r) => (release = r));
        return inner.watch(o, onEvent, signal);
      },
    };
    const informer = new Informer(gated, { watchTimeoutSeconds: 1, backoff: { initialMs: 10 } });
    const log: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => log.push(`add ${o.metadata.name}`),
      onUpdate: (_, o) => log.push(`update ${o.metadata.name}`),
      onDelete: (o) => log.push(`delete ${o.metadata.name}`),
    });
    informer.start();
    await informer.waitForSync();
    expect(log.sort()).toEqual(["add change", "add keep", "add remove"]);
    const missedFrom = informer.resourceVersion;

    held = true;
    const before = watches;
    await until(() => watches > before, "the informer's re-watch after its timeout");
    await client.patch(CM, ns, "change", { data: { v: "2" } }, "merge");
    await client.delete(CM, ns, "remove");
    await client.create(CM, ns, { metadata: { name: "new", labels: { suite: "compaction" } } });
    await s.store.compact(s.store.revision);
    log.length = 0;
    held = false;
    release();

    await until(() => log.length >= 3, "the relist's events");
    expect(log.sort()).toEqual(["add new", "delete remove", "update change"]);
    expect(lists).toBe(2);
    expect(informer.lister.list(ns).map((o) => o.metadata.name).sort()).toEqual(["change", "keep", "new"]);
    expect(Number(informer.resourceVersion)).toBeGreaterThan(Number(missedFrom));
    await informer.stop();
  });
});
