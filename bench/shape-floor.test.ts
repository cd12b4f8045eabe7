// The shape floor (bench/shape-floor.ts) answers what the benches ask of it correctly and
// durably: a floor that dropped or garbled writes would make every figure beside it a lie. The
// real process over TLS on a real SQLite file, killed with SIGKILL and restarted on the same
// file to read its writes back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCA, issueCertificate } from "../src/pki/index.ts";
import { ndjson } from "../src/client/ndjson.ts";
import { mergePatch } from "./shape-floor.ts";

const tmp = mkdtempSync(join(tmpdir(), "kubun-shape-floor-test-"));
let ca = "";
let proc: Bun.Subprocess<"ignore", "pipe", "inherit"> | undefined;
let url = "";

async function start(db: string, flags: string[]): Promise<void> {
  proc = Bun.spawn([process.execPath, join(import.meta.dir, "shape-floor.ts"), join(tmp, "tls.crt"), join(tmp, "tls.key"), db, ...flags], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  let out = "";
  for await (const chunk of proc.stdout) {
    out += new TextDecoder().decode(chunk);
    const m = /listening on (https:\/\/\S+)/.exec(out);
    if (m) return void (url = m[1]!);
  }
  throw new Error("the floor server did not start");
}

async function call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": contentType }, tls: { ca } } as RequestInit);
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  const authority = await createCA("floor-test-ca");
  const serving = await issueCertificate(authority, { commonName: "floor", hosts: ["127.0.0.1"], usage: "server" });
  writeFileSync(join(tmp, "tls.crt"), serving.cert);
  writeFileSync(join(tmp, "tls.key"), serving.key);
  ca = authority.cert;
});

afterAll(async () => {
  proc?.kill("SIGKILL");
  await proc?.exited;
  rmSync(tmp, { recursive: true, force: true });
});

test.each([
  ["a member replaced", { a: 1, b: 2 }, { a: 3 }, { a: 3, b: 2 }],
  ["null removes", { a: 1, b: 2 }, { b: null }, { a: 1 }],
  ["objects merge deeply", { s: { x: 1, y: { z: 1 } } }, { s: { y: { w: 2 } } }, { s: { x: 1, y: { z: 1, w: 2 } } }],
  ["arrays replace", { l: [1, 2] }, { l: [3] }, { l: [3] }],
  ["a non-object patch replaces", { a: 1 }, [1], [1]],
])("merge patch (RFC 7386): %s", (_, target, patch, want) => {
  const before = JSON.stringify(target);
  expect(mergePatch(target, patch)).toEqual(want);
  expect(JSON.stringify(target)).toBe(before); // the current object is never changed
});

describe.each([
  ["commit on the event loop", []],
  ["commit on a worker thread (--commit-worker)", ["--commit-worker"]],
  ["objects held as texts, Events on disk (--lean)", ["--lean"]],
])("%s", (_, flags: string[]) => {
  test("create, watch, binding, status patch, Lease renew: answered, watched, and durable across a SIGKILL", async () => {
    const db = join(tmp, `floor${flags.join("")}.db`);
    await start(db, flags);
    // A watch of the namespace's pods from the LIST's revision sees every later write, in order.
    const list = await call("GET", "/api/v1/namespaces/bench/pods");
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([]);
    const ac = new AbortController();
    const watching = fetch(`${url}/api/v1/namespaces/bench/pods?watch=1&resourceVersion=${list.json.metadata.resourceVersion}`, { signal: ac.signal, tls: { ca } } as RequestInit);
    const events: any[] = [];
    const seen = (async () => {
      try {
        for await (const e of ndjson((await watching).body!)) if (events.push(e) === 4) return;
      } catch {}
    })();

    const created = await call("POST", "/api/v1/namespaces/bench/pods", { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "bench" } });
    expect(created.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const rv1 = Number(created.json.metadata.resourceVersion);
    expect((await call("POST", "/api/v1/namespaces/bench/pods", { metadata: { name: "p" } })).status).toBe(409);
    expect((await call("POST", "/api/v1/namespaces/bench/pods", { metadata: {} })).status).toBe(422);

    const bound = await call("POST", "/api/v1/namespaces/bench/pods/p/binding", { apiVersion: "v1", kind: "Binding", metadata: { name: "p" }, target: { kind: "Node", name: "node-1" } });
    expect(bound.status).toBe(201);
    expect(bound.json.status).toBe("Success");
    expect((await call("POST", "/api/v1/namespaces/bench/pods/nope/binding", { target: { name: "node-1" } })).status).toBe(404);

    const running = await call("PATCH", "/api/v1/namespaces/bench/pods/p/status", { status: { phase: "Running", podIP: "10.0.0.1" } }, "application/merge-patch+json");
    expect(running.status).toBe(200);
    expect(running.json.spec.nodeName).toBe("node-1");
    expect(running.json.status).toEqual({ phase: "Running", podIP: "10.0.0.1" });
    expect(running.json.metadata.uid).toBe(created.json.metadata.uid);
    const labelled = await call("PATCH", "/api/v1/namespaces/bench/pods/p", { metadata: { labels: { a: "b" } }, status: { podIP: null } }, "application/merge-patch+json");
    expect(labelled.json.metadata.labels).toEqual({ a: "b" });
    expect(labelled.json.status).toEqual({ phase: "Running" });

    await seen;
    ac.abort();
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "MODIFIED", "MODIFIED"]);
    expect(events.map((e) => Number(e.object.metadata.resourceVersion))).toEqual([...events.map((e) => Number(e.object.metadata.resourceVersion))].sort((a, b) => a - b));
    expect(events[0].object.metadata.resourceVersion).toBe(String(rv1));
    expect(events[1].object.spec.nodeName).toBe("node-1");
    expect(events[3].object).toEqual(labelled.json);

    // A Lease: created, renewed by a merge patch, replaced by a PUT.
    const leases = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
    expect((await call("POST", leases, { metadata: { name: "node-1" }, spec: { holderIdentity: "node-1", renewTime: "t0" } })).status).toBe(201);
    expect((await call("PATCH", `${leases}/node-1`, { spec: { renewTime: "t1" } }, "application/merge-patch+json")).json.spec).toEqual({ holderIdentity: "node-1", renewTime: "t1" });
    const replaced = await call("PUT", `${leases}/node-1`, { metadata: { name: "node-1" }, spec: { holderIdentity: "other" } });
    expect(replaced.json).toMatchObject({ kind: "Lease", apiVersion: "coordination.k8s.io/v1", spec: { holderIdentity: "other" } });

    // A node and its status; a namespace; a ConfigMap.
    expect((await call("POST", "/api/v1/nodes", { metadata: { name: "node-1" }, status: { capacity: { cpu: "4" } } })).status).toBe(201);
    expect((await call("PATCH", "/api/v1/nodes/node-1/status", { status: { conditions: [{ type: "Ready", status: "True" }] } }, "application/merge-patch+json")).json.status).toEqual({ capacity: { cpu: "4" }, conditions: [{ type: "Ready", status: "True" }] });
    expect((await call("POST", "/api/v1/namespaces", { metadata: { name: "bench" } })).json.kind).toBe("Namespace");
    const cm = await call("POST", "/api/v1/namespaces/bench/configmaps", { metadata: { name: "cm-0" }, data: { i: "0" } });
    expect(cm.json).toMatchObject({ kind: "ConfigMap", metadata: { name: "cm-0", namespace: "bench" }, data: { i: "0" } });
    // An Event (on disk in a lean store): read back one by one and in a LIST, updated from its stored form.
    const ev = await call("POST", "/api/v1/namespaces/bench/events", { metadata: { name: "p.1" }, reason: "Scheduled", count: 1 });
    expect(ev.status).toBe(201);
    expect((await call("GET", "/api/v1/namespaces/bench/events/p.1")).json).toEqual(ev.json);
    expect((await call("GET", "/api/v1/namespaces/bench/events")).json.items).toEqual([ev.json]);
    const counted = await call("PATCH", "/api/v1/namespaces/bench/events/p.1", { count: 2 }, "application/merge-patch+json");
    expect(counted.json).toMatchObject({ reason: "Scheduled", count: 2, metadata: { uid: ev.json.metadata.uid } });

    // Killed without a chance to flush anything, then started on the same file: every answered write is there.
    proc!.kill("SIGKILL");
    await proc!.exited;
    await start(db, flags);
    expect((await call("GET", "/api/v1/namespaces/bench/pods/p")).json).toEqual(labelled.json);
    expect((await call("GET", `${leases}/node-1`)).json).toEqual(replaced.json);
    expect((await call("GET", "/api/v1/namespaces/bench/configmaps/cm-0")).json).toEqual(cm.json);
    expect((await call("GET", "/api/v1/namespaces/bench/events/p.1")).json).toEqual(counted.json);
    expect((await call("GET", "/api/v1/nodes")).json.items.map((n: any) => n.metadata.name)).toEqual(["node-1"]);
    // Revisions go on from the log's newest.
    const after = await call("POST", "/api/v1/namespaces/bench/configmaps", { metadata: { name: "cm-1" } });
    expect(Number(after.json.metadata.resourceVersion)).toBeGreaterThan(Number(cm.json.metadata.resourceVersion));
    proc!.kill("SIGKILL");
    await proc!.exited;
  });
});

test("--lean: the ring holds kubun's watch ring's bytes; a watch from before them is told 410, one from within them is replayed", async () => {
  const db = join(tmp, "floor-lean-ring.db");
  await start(db, ["--lean"]);
  const data = { blob: "x".repeat(4096) };
  const first = await call("POST", "/api/v1/namespaces/bench/configmaps", { metadata: { name: "cm-first" }, data });
  // ~5 MB of events, more than the ring's 4 MiB.
  for (let i = 0; i < 1200; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, k) => call("POST", "/api/v1/namespaces/bench/configmaps", { metadata: { name: `cm-${i + k}` }, data })));
  }
  const last = await call("POST", "/api/v1/namespaces/bench/configmaps", { metadata: { name: "cm-last" }, data });
  const lines = async (from: string) => {
    const ac = new AbortController();
    const res = await fetch(`${url}/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=${from}`, { signal: ac.signal, tls: { ca } } as RequestInit);
    const first = await ndjson(res.body!)[Symbol.asyncIterator]().next();
    ac.abort();
    return first.value as any;
  };
  const expired = await lines(first.json.metadata.resourceVersion);
  expect(expired).toMatchObject({ type: "ERROR", object: { code: 410, reason: "Expired" } });
  const replayed = await lines(String(Number(last.json.metadata.resourceVersion) - 1));
  expect(replayed).toMatchObject({ type: "ADDED", object: { metadata: { name: "cm-last" } } });
  proc!.kill("SIGKILL");
  await proc!.exited;
});
