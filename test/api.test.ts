// The REST surface with fetch: status codes, Status errors, selectors, paging, watch resume.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createKubeClient } from "../src/client/generated/index.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

const body = async (res: Response | Promise<Response>): Promise<any> => (await res).json();
const json = (body: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const post = (path: string, body: unknown) => s.api(path, { method: "POST", ...json(body) });
const cmPath = "/api/v1/namespaces/default/configmaps";

async function storeDump(): Promise<string> {
  const res = await s.api("/api/v1/configmaps");
  const list: any = await res.json();
  return JSON.stringify(list.items);
}

describe("Status errors", () => {
  test.each([
    ["malformed JSON", () => s.api(cmPath, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" }), 400, "BadRequest"],
    ["wrong kind for the URL", () => post(cmPath, { apiVersion: "v1", kind: "Secret", metadata: { name: "x" } }), 400, "BadRequest"],
    ["namespace disagreeing with the URL", () => post(cmPath, { metadata: { name: "x", namespace: "other" } }), 400, "BadRequest"],
    ["unsupported media type", () => s.api(cmPath, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }), 415, "UnsupportedMediaType"],
    ["missing namespace", () => post("/api/v1/namespaces/nowhere/configmaps", { metadata: { name: "x" } }), 404, "NotFound"],
    ["unknown object", () => s.api(`${cmPath}/missing`), 404, "NotFound"],
    ["unknown resource", () => s.api("/api/v1/namespaces/default/widgets"), 404, "NotFound"],
    ["body over 3 MiB", () => post(cmPath, { metadata: { name: "big" }, data: { k: "x".repeat(3 * 1024 * 1024 + 10) } }), 413, "RequestEntityTooLarge"],
    // Far over the limit still gets a Status body, not the transport's empty 413.
    ["body of 9 MiB", () => post(cmPath, { metadata: { name: "big" }, data: { k: "x".repeat(9 * 1024 * 1024) } }), 413, "RequestEntityTooLarge"],
    ["invalid label selector", () => s.api(`${cmPath}?labelSelector=${encodeURIComponent("a in (")}`), 400, "BadRequest"],
    ["unsupported field selector", () => s.api(`${cmPath}?fieldSelector=spec.nope=1`), 400, "BadRequest"],
  ])("%s", async (_name, send, code, reason) => {
    const before = await storeDump();
    const res = await send();
    expect(res.status).toBe(code);
    const status: any = await res.json();
    expect(status).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason });
    expect(await storeDump()).toBe(before);
  });

  test("invalid names are 422 Invalid naming the field", async () => {
    const res = await post(cmPath, { metadata: { name: "Not_A_Name" } });
    expect(res.status).toBe(422);
    const status: any = await res.json();
    expect(status.reason).toBe("Invalid");
    expect(status.details.causes.map((c: { field: string }) => c.field)).toContain("metadata.name");
  });

  test("unknown fields under fieldValidation=Strict are refused, under Warn reported", async () => {
    const strict = await s.api(`${cmPath}?fieldValidation=Strict`, { method: "POST", ...json({ metadata: { name: "strict" }, bogus: 1 }) });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as any).message).toContain('unknown field "bogus"');
    const warn = await s.api(`${cmPath}?fieldValidation=Warn`, { method: "POST", ...json({ metadata: { name: "warned" }, bogus: 1 }) });
    expect(warn.status).toBe(201);
    expect(warn.headers.get("warning")).toContain("bogus");
  });

  test("create twice is AlreadyExists; a stale update is Conflict", async () => {
    const created = await body(post(cmPath, { metadata: { name: "cas" }, data: { a: "1" } }));
    expect((await post(cmPath, { metadata: { name: "cas" } })).status).toBe(409);
    const put = (rv: string, v: string) =>
      s.api(`${cmPath}/cas`, { method: "PUT", ...json({ metadata: { name: "cas", resourceVersion: rv }, data: { a: v } }) });
    const first = await put(created.metadata.resourceVersion, "2");
    expect(first.status).toBe(200);
    const stale = await put(created.metadata.resourceVersion, "3");
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as any).reason).toBe("Conflict");
  });

  test("dryRun=All persists nothing", async () => {
    const res = await s.api(`${cmPath}?dryRun=All`, { method: "POST", ...json({ metadata: { name: "dry" } }) });
    expect(res.status).toBe(201);
    expect((await s.api(`${cmPath}/dry`)).status).toBe(404);
  });
});

describe("lists and watches", () => {
  test("label selectors, limit and continue", async () => {
    for (let i = 0; i < 5; i++) await post(cmPath, { metadata: { name: `page-${i}`, labels: { set: "paged", n: String(i) } } });
    const sel = encodeURIComponent("set=paged,n in (1,3)");
    const picked = await body(s.api(`${cmPath}?labelSelector=${sel}`));
    expect(picked.items.map((i: any) => i.metadata.name)).toEqual(["page-1", "page-3"]);
    const names: string[] = [];
    let cont = "";
    for (let pages = 0; pages < 10; pages++) {
      const page = await body(s.api(`${cmPath}?labelSelector=set%3Dpaged&limit=2${cont ? `&continue=${cont}` : ""}`));
      names.push(...page.items.map((i: any) => i.metadata.name));
      if (!page.metadata.continue) break;
      cont = page.metadata.continue;
    }
    expect(names).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4"]);
  });

  test("watch resumes exactly after a resourceVersion, and a selector turns moves into ADDED/DELETED", async () => {
    const list = await body(s.api(`${cmPath}?labelSelector=w%3D1`));
    const ac = new AbortController();
    // Bun's fetch resolves only once the first event arrives: start the watch, then write.
    const watching = s.api(`${cmPath}?watch=1&labelSelector=w%3D1&resourceVersion=${list.metadata.resourceVersion}`, { signal: ac.signal });
    const created = await body(post(cmPath, { metadata: { name: "mover", labels: { w: "1" } } }));
    await s.api(`${cmPath}/mover`, { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: '{"metadata":{"labels":{"w":"2"}}}' });
    await s.api(`${cmPath}/mover`, { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: '{"metadata":{"labels":{"w":"1"}}}' });
    await s.api(`${cmPath}/mover`, { method: "DELETE" });
    const res = await watching;
    expect(res.status).toBe(200);
    const events: any[] = [];
    const reader = res.body!.getReader();
    let buf = "";
    while (events.length < 4) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      const lines = buf.split("\n");
      buf = lines.pop()!;
      events.push(...lines.filter(Boolean).map((l) => JSON.parse(l)));
    }
    ac.abort();
    expect(events.map((e) => e.type)).toEqual(["ADDED", "DELETED", "ADDED", "DELETED"]);
    expect(events[0].object.metadata.uid).toBe(created.metadata.uid);
  });

  test("a watch from a compacted revision gets a 410 Expired ERROR event", async () => {
    await post(cmPath, { metadata: { name: "old" } });
    await s.store.compact(s.store.revision);
    const res = await s.api(`${cmPath}?watch=1&resourceVersion=1`);
    const text = await res.text();
    const event = JSON.parse(text.trim().split("\n")[0]!);
    expect(event.type).toBe("ERROR");
    expect(event.object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
  });
});

describe("Event TTL", () => {
  test("an Event expires an hour after its last write (kube-apiserver's --event-ttl default); other kinds never", async () => {
    const evPath = "/api/v1/namespaces/default/events";
    const event = { metadata: { name: "ttl-test.1" }, involvedObject: { kind: "Pod", namespace: "default", name: "x" }, reason: "Test", message: "m", type: "Normal" };
    expect((await post(evPath, event)).status).toBe(201);
    expect((await post(cmPath, { metadata: { name: "ttl-neighbour" } })).status).toBe(201);
    const written = Date.now();
    await s.store.expire(written + 3_590_000);
    expect((await s.api(`${evPath}/ttl-test.1`)).status).toBe(200);
    await s.store.expire(Date.now() + 3_600_000);
    expect((await s.api(`${evPath}/ttl-test.1`)).status).toBe(404);
    expect((await s.api(`${cmPath}/ttl-neighbour`)).status).toBe(200);
  });
});

describe("discovery", () => {
  test("groups, resources, short names and categories", async () => {
    const core = await body(s.api("/api/v1"));
    const pods = core.resources.find((r: any) => r.name === "pods");
    expect(pods).toMatchObject({ kind: "Pod", namespaced: true, shortNames: ["po"], categories: ["all"] });
    expect(core.resources.map((r: any) => r.name)).toContain("pods/binding");
    const groups = await body(s.api("/apis"));
    expect(groups.groups.map((g: any) => g.name)).toEqual(expect.arrayContaining(["apps", "coordination.k8s.io", "discovery.k8s.io"]));
    const apps = await body(s.api("/apis/apps/v1"));
    expect(apps.resources.find((r: any) => r.name === "deployments/scale")).toMatchObject({ group: "autoscaling", version: "v1", kind: "Scale" });
    const version = await body(s.api("/version", { token: null }));
    expect(version.major).toBe("1");
  });
});

describe("the client generated from kubun's OpenAPI document", () => {
  test("creates, reads, patches and lists with typed requests, and gets Status errors", async () => {
    const kube = createKubeClient(s.url, { token: s.adminToken, ca: s.ca.cert });
    const created = await kube.POST("/apis/apps/v1/namespaces/{namespace}/deployments", {
      params: { path: { namespace: "default" } },
      body: {
        metadata: { name: "typed" },
        spec: { selector: { matchLabels: { app: "typed" } }, template: { metadata: { labels: { app: "typed" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
      },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.spec?.replicas).toBe(1);
    const patched = await kube.PATCH("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", {
      params: { path: { namespace: "default", name: "typed" } },
      body: { spec: { replicas: 3 } },
      headers: { "content-type": "application/merge-patch+json" },
    });
    expect(patched.data?.spec?.replicas).toBe(3);
    const got = await kube.GET("/apis/apps/v1/namespaces/{namespace}/deployments/{name}", { params: { path: { namespace: "default", name: "typed" } } });
    expect(got.data?.spec?.replicas).toBe(3);
    const missing = await kube.GET("/api/v1/namespaces/{namespace}/pods/{name}", { params: { path: { namespace: "default", name: "nope" } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.reason).toBe("NotFound");
  });
});
