import { describe, expect, test } from "bun:test";
import { expired, internalError } from "../apis/errors.ts";
import type { KubeList, KubeObject } from "../apis/meta.ts";
import { podsByNodeName } from "./cache.ts";
import { Informer } from "./informer.ts";
import { SharedInformerFactory } from "./informer-factory.ts";
import { objectKey, resourceFor } from "./paths.ts";
import type { ListerWatcher, ObjectEvent } from "./types.ts";

/** A scripted API: objects with revisions, one open watch at a time, failures on demand. */
class FakeAPI implements ListerWatcher {
  objects = new Map<string, KubeObject>();
  revision = 0;
  lists = 0;
  watchFrom: string[] = [];
  watchFailures: unknown[] = [];
  listFailures: unknown[] = [];
  private open?: { onEvent: (e: ObjectEvent) => void; end: () => void };

  /** Changes an object; the open watch, if any, hears of it. */
  change(type: "ADDED" | "MODIFIED" | "DELETED", ns: string, name: string, extra: Partial<KubeObject> = {}): void {
    const obj: KubeObject = { apiVersion: "v1", kind: "Pod", ...extra, metadata: { namespace: ns, name, resourceVersion: String(++this.revision) } };
    if (type === "DELETED") this.objects.delete(objectKey(obj.metadata));
    else this.objects.set(objectKey(obj.metadata), obj);
    this.open?.onEvent({ type, object: obj });
  }

  bookmark(): void {
    this.open?.onEvent({ type: "BOOKMARK", object: { kind: "Pod", metadata: { resourceVersion: String(++this.revision) } } });
  }

  /** The server ends the open watch. */
  endWatch(): void {
    const open = this.open;
    this.open = undefined;
    open?.end();
  }

  get watching(): boolean {
    return this.open !== undefined;
  }

  async list(): Promise<KubeList> {
    this.lists++;
    if (this.listFailures.length) throw this.listFailures.shift();
    // List items carry no apiVersion/kind, as on a real server.
    const items = [...this.objects.values()].map(({ apiVersion: _a, kind: _k, ...rest }) => rest as KubeObject);
    return { apiVersion: "v1", kind: "PodList", metadata: { resourceVersion: String(this.revision) }, items };
  }

  watch(opts: { resourceVersion: string }, onEvent: (e: ObjectEvent) => void, signal: AbortSignal): Promise<void> {
    this.watchFrom.push(opts.resourceVersion);
    if (this.watchFailures.length) return Promise.reject(this.watchFailures.shift());
    return new Promise((resolve) => {
      this.open = { onEvent, end: resolve };
      signal.addEventListener("abort", () => {
        this.open = undefined;
        resolve();
      });
    });
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await Bun.sleep(1);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

function recorder(informer: Informer) {
  const log: string[] = [];
  informer.addEventHandler({
    onAdd: (o) => log.push(`add ${objectKey(o.metadata)}`),
    onUpdate: (a, b) => log.push(`update ${objectKey(b.metadata)} ${a.metadata.resourceVersion}→${b.metadata.resourceVersion}`),
    onDelete: (o) => log.push(`delete ${objectKey(o.metadata)}`),
  });
  return log;
}

const errors: unknown[] = [];
const newInformer = (api: FakeAPI) =>
  new Informer(api, { backoff: { initialMs: 1, maxMs: 4 }, indexers: { nodeName: podsByNodeName }, onError: (e) => errors.push(e) });

describe("Informer", () => {
  test("lists into the cache, syncs, then follows watch events from the list's revision", async () => {
    const api = new FakeAPI();
    api.change("ADDED", "a", "x", { spec: { nodeName: "n1" } });
    api.change("ADDED", "a", "y");
    const informer = newInformer(api);
    const log = recorder(informer);
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    expect(log).toEqual(["add a/x", "add a/y"]);
    // Listed items get the kind the list names.
    expect(informer.lister.get("a", "x")).toMatchObject({ apiVersion: "v1", kind: "Pod" });
    expect(informer.lister.byIndex("nodeName", "n1").map((o) => o.metadata.name)).toEqual(["x"]);

    await until(() => api.watching, "the watch");
    expect(api.watchFrom).toEqual(["2"]);
    api.change("MODIFIED", "a", "x", { spec: { nodeName: "n2" } });
    api.change("ADDED", "b", "z");
    api.change("DELETED", "a", "y");
    expect(log.slice(2)).toEqual(["update a/x 1→3", "add b/z", "delete a/y"]);
    expect(informer.lister.list().map((o) => objectKey(o.metadata)).sort()).toEqual(["a/x", "b/z"]);
    expect(informer.lister.byIndex("nodeName", "n2").map((o) => o.metadata.name)).toEqual(["x"]);
    expect(informer.resourceVersion).toBe("5");
    await informer.stop();
  });

  test("re-watches from the last revision seen, bookmarks included, without listing again", async () => {
    const api = new FakeAPI();
    const informer = newInformer(api);
    informer.start();
    await until(() => api.watching, "the first watch");
    api.change("ADDED", "a", "x");
    api.bookmark();
    api.endWatch();
    await until(() => api.watching, "the second watch");
    api.change("ADDED", "a", "y");
    api.endWatch();
    await until(() => api.watching, "the third watch");
    expect(api.watchFrom).toEqual(["0", "2", "3"]);
    expect(api.lists).toBe(1);
    await informer.stop();
  });

  test("on 410 Expired lists again and reports only the difference", async () => {
    const api = new FakeAPI();
    for (const name of ["keep", "change", "remove"]) api.change("ADDED", "a", name);
    const informer = newInformer(api);
    const log = recorder(informer);
    informer.start();
    await until(() => api.watching, "the watch");
    // Changes the informer misses, then a watch that finds its revision compacted.
    api.endWatch();
    api.objects.delete("a/remove");
    api.change("MODIFIED", "a", "change");
    api.change("ADDED", "a", "new");
    api.watchFailures.push(expired("too old resource version: 3 (5)"));
    await until(() => api.lists === 2 && api.watching, "the relist and new watch");
    expect(log.slice(3).sort()).toEqual(["add a/new", "delete a/remove", "update a/change 2→4"]);
    expect(informer.lister.list().map((o) => o.metadata.name).sort()).toEqual(["change", "keep", "new"]);
    expect(api.watchFrom.at(-1)).toBe("5");
    await informer.stop();
  });

  test("retries failed lists and watches with back-off, reporting the errors", async () => {
    const api = new FakeAPI();
    api.listFailures.push(new Error("connection refused"));
    api.watchFailures.push(internalError("boom"), new Error("socket hang up"));
    errors.length = 0;
    const informer = newInformer(api);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    await until(() => api.watching, "the watch after failures");
    expect(api.lists).toBe(2);
    expect(api.watchFrom).toEqual(["0", "0", "0"]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["connection refused", "Internal error occurred: boom", "socket hang up"]);
    await informer.stop();
  });

  test("handlers added after sync hear every cached object; a throwing handler stops nothing", async () => {
    const api = new FakeAPI();
    api.change("ADDED", "a", "x");
    const informer = newInformer(api);
    informer.addEventHandler({
      onAdd: () => {
        throw new Error("handler bug");
      },
    });
    informer.start();
    await informer.waitForSync();
    const log = recorder(informer);
    expect(log).toEqual(["add a/x"]);
    await until(() => api.watching, "the watch");
    api.change("ADDED", "a", "y");
    expect(log).toEqual(["add a/x", "add a/y"]);
    await informer.stop();
  });

  test("stop ends the watch; waiting for sync then answers false", async () => {
    const api = new FakeAPI();
    api.listFailures.push(new Error("down"));
    const informer = new Informer(api, { backoff: { initialMs: 60_000 }, onError: () => {} });
    informer.start();
    const waiting = informer.waitForSync();
    await informer.stop();
    expect(await waiting).toBe(false);
    expect(() => informer.start()).toThrow();
  });
});

describe("Informer intern", () => {
  test("keeps the process's own copy of a listed or watched object when it is the same revision", async () => {
    const api = new FakeAPI();
    // What the process already holds, by key and revision.
    const held = new Map<string, KubeObject>();
    const hold = (name: string, rv: number) => {
      const obj: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { namespace: "a", name, resourceVersion: String(rv) } };
      held.set(`a/${name}@${rv}`, obj);
      return obj;
    };
    const x = hold("x", api.revision + 1);
    api.change("ADDED", "a", "x");
    api.change("ADDED", "a", "y");
    const informer = new Informer(api, { backoff: { initialMs: 1 }, intern: (o) => held.get(`${objectKey(o.metadata)}@${o.metadata.resourceVersion}`) });
    informer.start();
    await informer.waitForSync();
    expect(informer.lister.get("a", "x")).toBe(x);
    expect(informer.lister.get("a", "y")).toMatchObject({ metadata: { name: "y", resourceVersion: "2" } });

    await until(() => api.watching, "the watch");
    const z = hold("z", api.revision + 1);
    api.change("ADDED", "a", "z");
    expect(informer.lister.get("a", "z")).toBe(z);
    // A revision the process does not hold: the decoded object is kept.
    api.change("MODIFIED", "a", "z");
    expect(informer.lister.get("a", "z")).not.toBe(z);
    expect(informer.lister.get("a", "z")!.metadata.resourceVersion).toBe("4");
    await informer.stop();
  });
});

describe("SharedInformerFactory", () => {
  test("one informer per resource and scope, started and synced together", async () => {
    const apis: FakeAPI[] = [];
    const factory = new SharedInformerFactory(
      {
        listerWatcher: <T extends KubeObject>() => {
          const api = new FakeAPI();
          api.change("ADDED", "a", `obj-${apis.length}`);
          apis.push(api);
          return api as unknown as ListerWatcher<T>;
        },
      },
      { backoff: { initialMs: 1 } },
    );
    const pods = factory.informerFor("Pod");
    expect(factory.informerFor(resourceFor("Pod"))).toBe(pods);
    const podsOnNode = factory.informerFor("Pod", { fieldSelector: "spec.nodeName=n1" });
    expect(podsOnNode).not.toBe(pods);
    factory.informerFor("Node");
    expect(apis).toHaveLength(3);
    factory.start();
    expect(await factory.waitForSync()).toBe(true);
    // Asked for after start: started at once.
    const late = factory.informerFor("Service");
    expect(await late.waitForSync()).toBe(true);
    expect(late.lister.list()).toHaveLength(1);
    await factory.stop();
  });
});
