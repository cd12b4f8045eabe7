// The fixed shape's floor: a server in kubun's fixed shape — TypeScript on Bun, Bun.serve over
// TLS, a Hono app, state in SQLite through bun:sqlite and Drizzle, durable (fsync before an
// answer) — that does only what every durable, watchable API server's write must do. It is the
// same-run baseline bench:api and the end-to-end bench print beside kubun's figures: an upper
// bound no server of this shape can beat on this machine (under the same disk: a group's fsync
// latency moves between runs), so it is written for speed.
//
// What it does, per request:
//   - Bun.serve with the certificate it is given; a Hono app (its default SmartRouter, which
//     settles on the RegExpRouter) with the paths kubun's benches' clients use: namespaced
//     configmaps, pods, events and leases, cluster-scoped namespaces and nodes; POST (create),
//     GET (one, a LIST, or a watch), PATCH (JSON merge patch, RFC 7386, on the current object),
//     PUT (replace), pods' and nodes' `status` (a merge patch) and pods' `binding` (sets
//     spec.nodeName); a pod LIST and watch across namespaces (`/api/v1/pods`); and, not an API
//     path, `/shape-floor/stats` (its group commits' counters, for the benches);
//   - reads and JSON.parses the body; sets apiVersion/kind when absent, metadata.namespace from
//     the path, metadata.uid, resourceVersion and creationTimestamp (kept from the current object
//     on an update); the stored form is JSON.stringify of that object, which is also the answer;
//   - a create of a name that exists is 409, an update of one that does not is 404 (a Status);
//   - the write is queued; one group per event-loop turn is appended to the SQLite log by
//     src/store/sqlite-log.ts itself (same schema, Drizzle-generated insert, one transaction,
//     WAL, synchronous=FULL), and only after that commit is the write answered, visible to reads
//     and sent to watches (bench/shape-floor-store.ts);
//   - each event is encoded once (`{"type":…,"object":<stored JSON>}\n`) and written to every open
//     watch of its collection as chunked JSON lines, what piled up for a watch since it last read
//     in one chunk, as kubun's watch-stream.ts does; a watch from a resourceVersion replays the
//     events after it from a ring of the last 50,000–100,000 (older: a 410 Expired ERROR event).
// What it does NOT do: authentication, authorization, admission, validation, defaults,
// managedFields, field or label selectors, LIST paging, DELETE, generateName, a status
// subresource that keeps the spec (a status PATCH is a merge patch of the whole object), watch
// budgets, bookmarks, compaction, Protobuf, controllers. On restart it reads the log's latest
// rows back. Started with the same JSC settings as kubun's server by the benches.
// --commit-worker: the groups are appended on a Worker thread (bench/shape-floor-commit.ts) while
// the event loop goes on serving; still answered only after their commit. A variant kubun's store
// does not have (it commits on the event loop, as the floor does without the flag).
// --lean: the least memory this shape holds its objects in (texts; Events on disk; a ring of
// kubun's bytes; kubun's idle collector), for the memory floor (bench/e2e-floor.ts --lean).
//   bun bench/shape-floor.ts <cert.pem> <key.pem> <db file> [--commit-worker] [--lean]   → prints "listening on https://127.0.0.1:PORT"
import { readFileSync } from "node:fs";
import { Hono, type Context } from "hono";
import { IdleCollector } from "../src/cli/idle-collector.ts";
import { FloorStore, type Stored } from "./shape-floor-store.ts";

interface Kind {
  apiVersion: string;
  kind: string;
  /** The key's first segment: the group's and resource's. */
  collection: string;
}

const CORE: Record<string, Kind> = {
  configmaps: { apiVersion: "v1", kind: "ConfigMap", collection: "/core/configmaps" },
  pods: { apiVersion: "v1", kind: "Pod", collection: "/core/pods" },
  events: { apiVersion: "v1", kind: "Event", collection: "/core/events" },
};
const CLUSTER: Record<string, Kind> = {
  namespaces: { apiVersion: "v1", kind: "Namespace", collection: "/core/namespaces" },
  nodes: { apiVersion: "v1", kind: "Node", collection: "/core/nodes" },
};
const LEASES: Kind = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", collection: "/coordination.k8s.io/leases" };

const JSON_HEADERS = { "content-type": "application/json" };
const answer = (json: string, status: number) => new Response(json, { status, headers: JSON_HEADERS });
const status = (code: number, reason: string, message: string) =>
  answer(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }), code);
const BOUND = JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });

/** RFC 7386: null removes a member, an object merges into the target's, anything else replaces. Copies only what it changes. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const k in patch) {
    const v = patch[k];
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

export function floorApp(store: FloorStore): Hono {
  const app = new Hono();
  const keyOf = (kind: Kind, ns: string | undefined, name: string) => (ns === undefined ? `${kind.collection}/${name}` : `${kind.collection}/${ns}/${name}`);

  async function create(c: Context, kind: Kind, ns: string | undefined): Promise<Response> {
    let obj: any;
    try {
      obj = await c.req.raw.json();
    } catch {
      return status(400, "BadRequest", "the body is not JSON");
    }
    const meta = obj?.metadata;
    if (typeof meta?.name !== "string" || meta.name === "") return status(422, "Invalid", "metadata.name: Required value");
    const key = keyOf(kind, ns, meta.name);
    if (store.latest(key) !== undefined) return status(409, "AlreadyExists", `${kind.kind} "${meta.name}" already exists`);
    const revision = store.nextRevision();
    obj.apiVersion ??= kind.apiVersion;
    obj.kind ??= kind.kind;
    if (ns !== undefined) meta.namespace = ns;
    meta.uid = crypto.randomUUID();
    meta.resourceVersion = String(revision);
    meta.creationTimestamp = now();
    const stored: Stored = { json: JSON.stringify(obj), object: obj, revision, createRevision: revision };
    try {
      await store.write(key, kind.collection, ns, stored, undefined);
    } catch (err) {
      return status(500, "InternalError", String(err));
    }
    return answer(stored.json, 201);
  }

  /** A new version of an existing object made by `change` from the current one (never mutated). */
  async function update(kind: Kind, ns: string | undefined, name: string, change: (current: any) => any, ok = 200, body?: string): Promise<Response> {
    const key = keyOf(kind, ns, name);
    const prev = store.latest(key);
    if (prev === undefined) return status(404, "NotFound", `${kind.kind} "${name}" not found`);
    const current = prev.object ?? JSON.parse(prev.json);
    const next = change(current);
    if (next === null || typeof next !== "object") return status(422, "Invalid", "the result is not an object");
    const revision = store.nextRevision();
    const pm = current.metadata;
    next.metadata = { ...next.metadata, name: pm.name, namespace: pm.namespace, uid: pm.uid, creationTimestamp: pm.creationTimestamp, resourceVersion: String(revision) };
    const stored: Stored = { json: JSON.stringify(next), object: next, revision, createRevision: prev.createRevision };
    try {
      await store.write(key, kind.collection, ns, stored, prev);
    } catch (err) {
      return status(500, "InternalError", String(err));
    }
    return answer(body ?? stored.json, ok);
  }

  async function bodyOf(c: Context): Promise<any> {
    try {
      return await c.req.raw.json();
    } catch {
      return undefined;
    }
  }

  const patch = async (c: Context, kind: Kind, ns: string | undefined, name: string) => {
    const p = await bodyOf(c);
    if (p === undefined) return status(400, "BadRequest", "the body is not JSON");
    return update(kind, ns, name, (current) => mergePatch(current, p));
  };
  const replace = async (c: Context, kind: Kind, ns: string | undefined, name: string) => {
    const obj = await bodyOf(c);
    if (obj === null || typeof obj !== "object") return status(400, "BadRequest", "the body is not a JSON object");
    return update(kind, ns, name, () => ({ apiVersion: kind.apiVersion, kind: kind.kind, ...obj }));
  };

  function read(c: Context, kind: Kind, ns: string | undefined): Response {
    const q = c.req.query();
    if (q.watch === "1" || q.watch === "true") {
      const rv = q.resourceVersion ? Number(q.resourceVersion) : undefined;
      const watch = store.watch(kind.collection, ns, rv === 0 ? undefined : rv);
      if (watch === undefined) {
        const expired = { type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `too old resource version: ${rv}`, reason: "Expired", code: 410 } };
        return answer(`${JSON.stringify(expired)}\n`, 200);
      }
      return new Response(watch.body, { status: 200, headers: JSON_HEADERS });
    }
    const items = store.list(ns === undefined ? `${kind.collection}/` : `${kind.collection}/${ns}/`);
    return answer(`{"apiVersion":"${kind.apiVersion}","kind":"${kind.kind}List","metadata":{"resourceVersion":"${store.committed}"},"items":[${items.join(",")}]}`, 200);
  }

  function getOne(kind: Kind, ns: string | undefined, name: string): Response {
    const s = store.get(keyOf(kind, ns, name));
    return s ? answer(s.json, 200) : status(404, "NotFound", `${kind.kind} "${name}" not found`);
  }

  // Pods' subresources: the binding (spec.nodeName), the status (a merge patch).
  app.post("/api/v1/namespaces/:ns/pods/:name/binding", async (c) => {
    const b = await bodyOf(c);
    const node = b?.target?.name;
    if (typeof node !== "string" || node === "") return status(422, "Invalid", "target.name: Required value");
    return update(CORE.pods!, c.req.param("ns"), c.req.param("name"), (pod) => ({ ...pod, spec: { ...pod.spec, nodeName: node } }), 201, BOUND);
  });
  app.patch("/api/v1/namespaces/:ns/pods/:name/status", (c) => patch(c, CORE.pods!, c.req.param("ns"), c.req.param("name")));
  app.patch("/api/v1/nodes/:name/status", (c) => patch(c, CLUSTER.nodes!, undefined, c.req.param("name")));
  // Each collection's paths spelled out (no `:resource` parameter), so that Hono's SmartRouter
  // settles on its RegExpRouter, its fastest; a parameter beside the literal `pods` above makes
  // it fall back to the TrieRouter.
  const namespaced = (base: string, kind: Kind) => {
    app.post(base, (c) => create(c, kind, c.req.param("ns")));
    app.get(base, (c) => read(c, kind, c.req.param("ns")));
    app.get(`${base}/:name`, (c) => getOne(kind, c.req.param("ns"), c.req.param("name")));
    app.patch(`${base}/:name`, (c) => patch(c, kind, c.req.param("ns"), c.req.param("name")));
    app.put(`${base}/:name`, (c) => replace(c, kind, c.req.param("ns"), c.req.param("name")));
  };
  for (const [resource, kind] of Object.entries(CORE)) namespaced(`/api/v1/namespaces/:ns/${resource}`, kind);
  namespaced("/apis/coordination.k8s.io/v1/namespaces/:ns/leases", LEASES);
  // A pod list and watch across namespaces (as a scheduler's informer asks).
  app.get("/api/v1/pods", (c) => read(c, CORE.pods!, undefined));
  for (const [resource, kind] of Object.entries(CLUSTER)) {
    const base = `/api/v1/${resource}`;
    app.post(base, (c) => create(c, kind, undefined));
    app.get(base, (c) => read(c, kind, undefined));
    app.get(`${base}/:name`, (c) => getOne(kind, undefined, c.req.param("name")));
    app.patch(`${base}/:name`, (c) => patch(c, kind, undefined, c.req.param("name")));
    app.put(`${base}/:name`, (c) => replace(c, kind, undefined, c.req.param("name")));
  }
  // Not an API path: the benches read the group commits' counters.
  app.get("/shape-floor/stats", (c) => answer(JSON.stringify(c.req.query("live") ? { ...store.commits, liveTextLength: store.liveTextLength() } : store.commits), 200));
  app.notFound(() => status(404, "NotFound", "the server could not find the requested resource"));
  return app;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const commitWorker = args.includes("--commit-worker");
  const lean = args.includes("--lean");
  const [certPath, keyPath, dbPath] = args.filter((a) => a !== "--commit-worker" && a !== "--lean");
  if (!certPath || !keyPath || !dbPath) throw new Error("usage: bun bench/shape-floor.ts <cert.pem> <key.pem> <db file> [--commit-worker] [--lean]");
  const store = new FloorStore(dbPath, { commitWorker, lean });
  // Lean, as kubun's server runs: a full collection once the process is idle after a burst.
  if (lean) new IdleCollector().start();
  const app = floorApp(store);
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") },
    fetch: app.fetch,
    idleTimeout: 0, // watches stay open however quiet
    maxRequestBodySize: 3 * 1024 * 1024,
  });
  console.log(`listening on https://127.0.0.1:${server.port}`);
  process.on("SIGTERM", () => {
    server.stop(true);
    store.close();
    process.exit(0);
  });
}
