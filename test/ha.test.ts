// Several `kubun server` processes on one PostgreSQL datastore (high availability, as k3s with
// --datastore-endpoint): real server processes, a real private PostgreSQL
// (test/helpers/postgres.ts), real kubectl. No containerd: these servers run no agents.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { havePostgres, startPostgres, type TestPostgres } from "./helpers/postgres.ts";
import { KUBECTL } from "./helpers/server.ts";
import { spawnServer, type ServerProcess } from "./helpers/server-process.ts";
import { ndjson } from "../src/client/ndjson.ts";

let pg: TestPostgres;
let tmp: string;
const procs: ServerProcess[] = [];

beforeAll(async () => {
  if (!havePostgres) return;
  pg = await startPostgres();
  tmp = mkdtempSync(join(tmpdir(), "kubun-ha-"));
}, 60_000);

afterAll(async () => {
  for (const p of procs) {
    p.proc.kill("SIGKILL");
    await p.proc.exited;
  }
  await pg?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Server {
  url: string;
  dir: string;
  proc: ServerProcess["proc"];
  api(path: string, init?: RequestInit): Promise<Response>;
}

async function server(name: string, url: string, extra: string[] = []): Promise<Server> {
  const dir = join(tmp, name);
  const p = await spawnServer(dir, { args: ["--datastore-endpoint", url, ...extra], tmpDir: join(tmp, `${name}-tmp`) });
  procs.push(p);
  const ca = readFileSync(join(dir, "tls", "ca.crt"), "utf8");
  const token = readFileSync(join(dir, "admin.token"), "utf8").trim();
  return {
    url: p.url,
    dir,
    proc: p.proc,
    api: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${token}`);
      if (init.body && !headers.has("content-type")) headers.set("content-type", "application/json");
      return fetch(`${p.url}${path}`, { ...init, headers, tls: { ca } } as RequestInit);
    },
  };
}

/** The events of a watch, as they come; `until` resolves once `done` holds of them. */
function watch(s: Server, path: string) {
  const events: { type: string; object: { metadata: { name: string; resourceVersion: string } } }[] = [];
  const abort = new AbortController();
  const done = (async () => {
    const res = await s.api(path, { signal: abort.signal });
    expect(res.status).toBe(200);
    try {
      for await (const event of ndjson(res.body as ReadableStream<Uint8Array>)) events.push(event as (typeof events)[number]);
    } catch {
      // aborted
    }
  })();
  return {
    events,
    async until(cond: () => boolean, what: string) {
      for (let i = 0; i < 1000 && !cond(); i++) await Bun.sleep(10);
      if (!cond()) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(events.map((e) => [e.type, e.object.metadata.name]))}`);
    },
    async close() {
      abort.abort();
      await done;
    },
  };
}

const cm = (name: string, data: Record<string, string>, resourceVersion?: string) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, resourceVersion }, data });
const CMS = "/api/v1/namespaces/default/configmaps";

describe.skipIf(!havePostgres)("two servers, one datastore", () => {
  test("one cluster: the same CA and tokens, writes on either seen by watches on both, conflicts across servers, replays in order", async () => {
    const url = await pg.createDatabase("two_servers");
    const a = await server("a", url, ["--disable-scheduler", "--disable-controller-manager"]);
    const token = readFileSync(join(a.dir, "server.token"), "utf8").trim();
    const b = await server("b", url, ["--disable-scheduler", "--disable-controller-manager", "--token", token]);
    // The second server joined the first one's cluster: its CA and tokens.
    for (const f of ["tls/ca.crt", "admin.token", "join.token", "encryption.key", "tls/service-account.jwk"]) {
      expect(readFileSync(join(b.dir, f), "utf8")).toBe(readFileSync(join(a.dir, f), "utf8"));
    }

    const listed = (await (await b.api(CMS)).json()) as { metadata: { resourceVersion: string } };
    const start = listed.metadata.resourceVersion;
    const onB = watch(b, `${CMS}?watch=1&resourceVersion=${start}`);

    // Create on A, the watch on B sees it.
    const created = await a.api(CMS, { method: "POST", body: cm("x", { v: "1" }) });
    expect(created.status).toBe(201);
    const x1 = (await created.json()) as { metadata: { resourceVersion: string } };
    await onB.until(() => onB.events.some((e) => e.object.metadata.name === "x"), "B's watch to see A's create");

    // A updates it; B, given the resourceVersion A's update replaced, answers 409 Conflict.
    const updated = await a.api(`${CMS}/x`, { method: "PUT", body: cm("x", { v: "2" }, x1.metadata.resourceVersion) });
    expect(updated.status).toBe(200);
    const stale = await b.api(`${CMS}/x`, { method: "PUT", body: cm("x", { v: "stale" }, x1.metadata.resourceVersion) });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { reason: string }).reason).toBe("Conflict");

    // B writes too; a watch on B from the old revision replays A's and B's writes in revision order.
    expect((await b.api(CMS, { method: "POST", body: cm("y", { v: "1" }) })).status).toBe(201);
    const replay = watch(b, `${CMS}?watch=1&resourceVersion=${start}`);
    await replay.until(() => replay.events.length >= 3, "the replay");
    expect(replay.events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "x"],
      ["MODIFIED", "x"],
      ["ADDED", "y"],
    ]);
    const revisions = replay.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(revisions).toEqual([...revisions].sort((p, q) => p - q));
    await onB.until(() => onB.events.length >= 3, "B's live watch");
    expect(onB.events.map((e) => e.object.metadata.resourceVersion)).toEqual(replay.events.map((e) => e.object.metadata.resourceVersion));
    await Promise.all([onB.close(), replay.close()]);

    // Reads without resourceVersion are consistent across servers (a quorum read's guarantee):
    // what one server acknowledged, the other's get and list return at once, every time.
    for (let i = 0; i < 20; i++) {
      const made = await a.api(CMS, { method: "POST", body: cm(`read-${i}`, { v: "1" }) });
      expect(made.status).toBe(201);
      expect((await b.api(`${CMS}/read-${i}`)).status).toBe(200);
      const onList = (await (await b.api(`${CMS}?labelSelector=`)).json()) as { items: { metadata: { name: string } }[] };
      expect(onList.items.map((o) => o.metadata.name)).toContain(`read-${i}`);
    }

    // One kubeconfig works against either server: A's, pointed at B.
    const kubeconfig = join(tmp, "b.kubeconfig");
    writeFileSync(kubeconfig, readFileSync(join(a.dir, "admin.kubeconfig"), "utf8").replace(a.url, b.url));
    const proc = Bun.spawn([KUBECTL, "get", "configmap", "x", "-o", "jsonpath={.data.v}"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(tmp, "home"), KUBECONFIG: kubeconfig },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toBe("2");
  }, 120_000);

  test("services created at once through both servers get distinct cluster IPs and node ports", async () => {
    const url = await pg.createDatabase("services");
    // A /27 leaves 28 addresses for services (the kubernetes and DNS ones kept): 24 services
    // picked at random by two servers that learn of each other's picks only by watch would collide.
    const flags = ["--disable-scheduler", "--disable-controller-manager", "--service-cidr", "10.96.0.0/27"];
    const a = await server("sa", url, flags);
    const token = readFileSync(join(a.dir, "server.token"), "utf8").trim();
    const b = await server("sb", url, [...flags, "--token", token]);
    const service = (name: string) => JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { type: "NodePort", ports: [{ port: 80 }] } });
    const SVCS = "/api/v1/namespaces/default/services";
    const created = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const res = await (i % 2 ? b : a).api(SVCS, { method: "POST", body: service(`s${i}`) });
        expect(res.status).toBe(201);
        return (await res.json()) as { spec: { clusterIP: string; ports: { nodePort: number }[] } };
      }),
    );
    const ips = created.map((s) => s.spec.clusterIP);
    expect(new Set(ips).size).toBe(24);
    expect(new Set(created.map((s) => s.spec.ports[0]!.nodePort)).size).toBe(24);
    // An address one server handed out is taken on the other too, even asked for by value at once.
    const taken = await b.api(SVCS, { method: "POST", body: JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "copy" }, spec: { clusterIP: ips[0], ports: [{ port: 80 }] } }) });
    expect(taken.status).toBe(422);
    expect(((await taken.json()) as { message: string }).message).toContain("provided IP is already allocated");
    // Deleted through one server, its address is free through the other, once that server has
    // seen the delete (its bitmap follows a watch; until then it refuses: the safe side).
    expect((await a.api(`${SVCS}/s0`, { method: "DELETE" })).status).toBe(200);
    let reuse = 0;
    for (let i = 0; i < 200 && reuse !== 201; i++) {
      const res = await b.api(SVCS, { method: "POST", body: JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "reuse" }, spec: { clusterIP: ips[0], ports: [{ port: 80 }] } }) });
      reuse = res.status;
      if (reuse !== 201) {
        expect({ status: reuse, message: ((await res.json()) as { message: string }).message }).toMatchObject({ status: 422, message: expect.stringContaining("provided IP is already allocated") });
        await Bun.sleep(20);
      }
    }
    expect(reuse).toBe(201);
  }, 120_000);

  test("nodes given pod CIDRs at once through both servers never share one: the datastore's reservation decides", async () => {
    const url = await pg.createDatabase("podcidrs");
    const flags = ["--disable-scheduler", "--disable-controller-manager"];
    const a = await server("na", url, flags);
    const token = readFileSync(join(a.dir, "server.token"), "utf8").trim();
    const b = await server("nb", url, [...flags, "--token", token]);
    const NODES = "/api/v1/nodes";
    for (const n of ["n0", "n1", "n2", "n3"]) expect((await a.api(NODES, { method: "POST", body: JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: n } }) })).status).toBe(201);
    // Both servers hold the nodes before either is written to.
    for (let i = 0; i < 200 && ((await (await b.api(NODES)).json()) as { items: unknown[] }).items.length < 4; i++) await Bun.sleep(20);
    // Two pairs of nodes, each pair given one /24 at the same moment through the two servers:
    // neither server can have seen the other's write in time, yet exactly one of each pair lands.
    const give = (s: Server, node: string, cidr: string) =>
      s.api(`${NODES}/${node}`, { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ spec: { podCIDR: cidr, podCIDRs: [cidr] } }) });
    for (const [x, y, cidr] of [["n0", "n1", "10.95.1.0/24"], ["n2", "n3", "10.95.2.0/24"]] as const) {
      const answers = await Promise.all([give(a, x, cidr), give(b, y, cidr)]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 422]);
      const refused = answers.find((r) => r.status === 422)!;
      expect(((await refused.json()) as { details: { causes: { field: string }[] } }).details.causes[0]!.field).toBe("spec.podCIDR");
    }
    const held = ((await (await b.api(NODES)).json()) as { items: { spec?: { podCIDR?: string } }[] }).items.map((n) => n.spec?.podCIDR).filter(Boolean);
    expect(held.sort()).toEqual(["10.95.1.0/24", "10.95.2.0/24"]);
    // A node deleted through one server frees its CIDR for a node written through the other, once
    // that server has seen the delete (until then it refuses: the safe side).
    const holder = ((await (await a.api(NODES)).json()) as { items: { metadata: { name: string }; spec?: { podCIDR?: string } }[] }).items.find((n) => n.spec?.podCIDR === "10.95.1.0/24")!;
    expect((await a.api(`${NODES}/${holder.metadata.name}`, { method: "DELETE" })).status).toBe(200);
    const other = holder.metadata.name === "n0" ? "n1" : "n0";
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      status = (await give(b, other, "10.95.1.0/24")).status;
      if (status !== 200) await Bun.sleep(20);
    }
    expect(status).toBe(200);
  }, 120_000);

  test("a server with the wrong token refuses to join, saying so", async () => {
    const url = await pg.createDatabase("wrong_token");
    await server("c", url, ["--disable-scheduler", "--disable-controller-manager"]);
    const dir = join(tmp, "d");
    const proc = Bun.spawn(
      [process.execPath, "src/cli/main.ts", "server", "--data-dir", dir, "--port", "0", "--bind", "127.0.0.1", "--datastore-endpoint", url, "--token", "K10wrong"],
      { stdout: "pipe", stderr: "pipe", env: { ...process.env, TMPDIR: tmp } },
    );
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).not.toBe(0);
    expect(err).toContain("cannot be decrypted with this token");
  }, 60_000);
});

describe.skipIf(!havePostgres)("a server dies", () => {
  test("kill -9 of one server under writes: every acknowledged write survives, watches on the other show no gap, leases and endpoints move to the survivor", async () => {
    const url = await pg.createDatabase("kill_one");
    const a = await server("ka", url);
    const token = readFileSync(join(a.dir, "server.token"), "utf8").trim();
    const b = await server("kb", url, ["--token", token]);
    const port = (s: Server) => new URL(s.url).port;
    const lease = async (name: string) => ((await (await b.api(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`)).json()) as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? "";
    const until = async (cond: () => Promise<boolean>, what: string, ms: number) => {
      const deadline = Date.now() + ms;
      while (!(await cond())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await Bun.sleep(200);
      }
    };
    await until(async () => (await lease("kube-controller-manager")) !== "" && (await lease("kube-scheduler")) !== "", "both leases to be held", 30_000);
    const endpoints = async () =>
      (((await (await b.api("/api/v1/namespaces/default/endpoints/kubernetes")).json()) as { subsets?: { ports: { port: number }[] }[] }).subsets ?? []).map((s) => String(s.ports[0]!.port)).sort();
    await until(async () => (await endpoints()).length === 2, "the endpoints to list both servers", 30_000);

    // The victim: the server leading the controller manager, so leadership must move.
    const victim = (await lease("kube-controller-manager")).includes(`:${port(a)}_`) ? a : b;
    const survivor = victim === a ? b : a;

    const start = ((await (await survivor.api(CMS)).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const onSurvivor = watch(survivor, `${CMS}?watch=1&resourceVersion=${start}`);
    const acked: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const target = i % 2 ? a : b;
        const name = `w${i}`;
        const res = await target.api(CMS, { method: "POST", body: cm(name, { i: String(i) }) }).catch(() => undefined);
        if (res?.status === 201) acked.push(name);
      }
    })();
    await Bun.sleep(1500);
    victim.proc.kill("SIGKILL");
    await victim.proc.exited;
    const killedAt = Date.now();
    await Bun.sleep(1500);
    writing = false;
    await writer;
    expect(acked.length).toBeGreaterThan(10);

    // Every acknowledged write is there, and the survivor's watch saw each of them once, in order.
    const listed = (await (await survivor.api(CMS)).json()) as { items: { metadata: { name: string } }[] };
    const names = new Set(listed.items.map((i) => i.metadata.name));
    expect(acked.filter((n) => !names.has(n))).toEqual([]);
    await onSurvivor.until(() => acked.every((n) => onSurvivor.events.some((e) => e.object.metadata.name === n)), "the survivor's watch to see every acknowledged write");
    const revisions = onSurvivor.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(revisions).toEqual([...new Set(revisions)].sort((p, q) => p - q));
    await onSurvivor.close();

    // The leases move to the survivor within the lease duration (15 s) and a retry period.
    await until(async () => (await lease("kube-controller-manager")).includes(`:${port(survivor)}_`) && (await lease("kube-scheduler")).includes(`:${port(survivor)}_`), "the leases to move", 20_000);
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    // The survivor's controllers act: a Deployment created now gets its ReplicaSet and pods.
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "after-kill" },
      spec: { replicas: 2, selector: { matchLabels: { app: "after-kill" } }, template: { metadata: { labels: { app: "after-kill" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
    };
    expect((await survivor.api("/apis/apps/v1/namespaces/default/deployments", { method: "POST", body: JSON.stringify(deployment) })).status).toBe(201);
    await until(
      async () => ((await (await survivor.api("/api/v1/namespaces/default/pods?labelSelector=app%3Dafter-kill")).json()) as { items: unknown[] }).items.length === 2,
      "the deployment's pods",
      30_000,
    );
    // The dead server leaves the kubernetes endpoints once its Lease runs out.
    await until(async () => Bun.deepEquals(await endpoints(), [port(survivor)]), "the endpoints to drop the dead server", 30_000);
  }, 120_000);
});

describe.skipIf(!havePostgres)("the datastore restarts", () => {
  test("PostgreSQL restarted under load: no server crashes, writes meanwhile get a retryable 503, everything acknowledged survives, watches resume", async () => {
    const url = await pg.createDatabase("pg_restart");
    const a = await server("ra", url, ["--disable-scheduler", "--disable-controller-manager"]);
    const token = readFileSync(join(a.dir, "server.token"), "utf8").trim();
    const b = await server("rb", url, ["--disable-scheduler", "--disable-controller-manager", "--token", token]);
    const start = ((await (await b.api(CMS)).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const onB = watch(b, `${CMS}?watch=1&resourceVersion=${start}`);
    const acked: string[] = [];
    const refused: { status: number; retryAfter: string | null; reason?: string }[] = [];
    let writing = true;
    // Four writers, two per server: a write the database committed just before it stopped is
    // acknowledged only once its server has read it back, so it waits out the outage; a writer's
    // write that meets the outage is refused.
    let next = 0;
    const writer = Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        while (writing) {
          const name = `r${next++}`;
          const res = await (w % 2 ? a : b).api(CMS, { method: "POST", body: cm(name, {}) });
          if (res.status === 201) acked.push(name);
          else refused.push({ status: res.status, retryAfter: res.headers.get("retry-after"), reason: ((await res.json()) as { reason?: string }).reason });
          if (res.status !== 201) await Bun.sleep(50);
        }
      }),
    );
    await Bun.sleep(500);
    await pg.stop();
    // A fresh write on each server while the database is down is refused. (The writers alone may
    // not show it: each may hold a write committed just before the stop, waiting out the outage.)
    for (const [i, s] of [a, b].entries()) {
      const res = await s.api(CMS, { method: "POST", body: cm(`probe${i}`, {}), signal: AbortSignal.timeout(20_000) });
      refused.push({ status: res.status, retryAfter: res.headers.get("retry-after"), reason: ((await res.json()) as { reason?: string }).reason });
    }
    await Bun.sleep(500);
    await pg.start();
    // Writes succeed again once the servers have reconnected by themselves.
    const before = acked.length;
    for (let i = 0; i < 300 && acked.length < before + 10; i++) await Bun.sleep(100);
    writing = false;
    await writer;
    expect(acked.length).toBeGreaterThanOrEqual(before + 10);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r).toEqual({ status: 503, retryAfter: "1", reason: "ServiceUnavailable" });
    expect([a.proc.exitCode, b.proc.exitCode]).toEqual([null, null]);

    // A list without resourceVersion is a consistent read: A first applies what B committed.
    const listing = await a.api(CMS);
    const listed = (await listing.json()) as { items: { metadata: { name: string } }[] };
    expect({ status: listing.status, body: listing.status === 200 ? "" : JSON.stringify(listed) }).toEqual({ status: 200, body: "" });
    const names = new Set(listed.items.map((i) => i.metadata.name));
    expect(acked.filter((n) => !names.has(n))).toEqual([]);
    await onB.until(() => acked.every((n) => onB.events.some((e) => e.object.metadata.name === n)), "B's watch to see every acknowledged write");
    const revisions = onB.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(revisions).toEqual([...new Set(revisions)].sort((p, q) => p - q));
    await onB.close();
  }, 120_000);
});
