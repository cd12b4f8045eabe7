import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import { objectJson, parseStored, storedForm } from "./json.ts";
import { SubtreeTable } from "./subtrees.ts";
import type { StoreEvent } from "./types.ts";
import { WatchHub } from "./watch-hub.ts";

const cm = (name: string, rv: number, data = "x"): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, resourceVersion: String(rv) }, data: { v: data } });

/** Events 1..n, each a change of one of three keys; every MODIFIED names the key's previous state. */
function history(n: number, data = "x"): StoreEvent[] {
  const last = new Map<string, KubeObject>();
  return Array.from({ length: n }, (_, i) => {
    const name = `c${i % 3}`;
    const key = `/core/configmaps/ns/${name}`;
    const object = cm(name, i + 1, data);
    const prev = last.get(key);
    last.set(key, object);
    return { type: prev ? "MODIFIED" : "ADDED", key, revision: i + 1, object, prev };
  });
}

describe("WatchHub ring", () => {
  test("replays from its JSON the same events it published, prev included, scoped by prefix", () => {
    const hub = new WatchHub(100);
    const events = history(9);
    hub.publish(events.slice(0, 4));
    hub.publish(events.slice(4));
    const replayed = hub.replay("/core/configmaps/ns/c1", 2)!;
    expect(replayed).toEqual(events.filter((e) => e.revision > 2 && e.key.endsWith("c1")));
    expect(replayed.every((e) => e.type === "MODIFIED" && e.prev !== undefined)).toBe(true);
    // The replayed object's JSON is the ring's text, not a second stringify.
    expect(objectJson(replayed[0]!.object)).toBe(objectJson(events[4]!.object));
  });

  test.each([
    { name: "by count", limits: { events: 10, bytes: 1 << 30 }, data: "x", keptAtMost: 12 },
    { name: "by bytes", limits: { events: 1000, bytes: 4096 }, data: "y".repeat(1000), keptAtMost: 5 },
  ])("is bounded $name: old revisions fall out and are no longer replayable", ({ limits, data, keptAtMost }) => {
    const hub = new WatchHub(limits);
    for (const e of history(200, data)) hub.publish([e]);
    expect(hub.ringLength).toBeLessThanOrEqual(keptAtMost);
    expect(hub.ringLength).toBeGreaterThan(0);
    expect(hub.replay("/core/", 1)).toBeUndefined();
    const from = hub.ringStart;
    expect(hub.replay("/core/", from)!.map((e) => e.revision)).toEqual(Array.from({ length: 200 - from }, (_, i) => from + 1 + i));
  });
});

test("tells what leaves the ring, oldest first, each event once", () => {
  const dropped: number[] = [];
  const hub = new WatchHub({ events: 10, bytes: 1 << 30 }, (evs) => dropped.push(...evs.map((e) => e.revision)));
  for (const e of history(100)) hub.publish([e]);
  expect(dropped).toEqual(Array.from({ length: hub.ringStart }, (_, i) => i + 1));
});

describe("stored JSON", () => {
  test("storedForm equals the object as JSON sees it and shares its text", () => {
    const given = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: undefined }, spec: { nodeName: "n" } } as unknown as KubeObject;
    const stored = storedForm(given, new SubtreeTable());
    expect(stored).toEqual(JSON.parse(JSON.stringify(given)));
    expect("labels" in stored.metadata).toBe(false);
    expect(objectJson(stored)).toBe(JSON.stringify(given));
    const text = objectJson(stored);
    expect(objectJson(parseStored(text))).toBe(text);
  });
});

describe("WatchHub subscribers", () => {
  const event = (key: string, revision: number): StoreEvent => ({ type: "ADDED", key, revision, object: cm(key.split("/").pop()!, revision) });

  test("each watcher gets the events under its prefix, in revision order, once per batch, whatever resources the batch mixes", () => {
    const hub = new WatchHub(100);
    const prefixes = ["/core/configmaps/", "/core/configmaps/ns/", "/core/configmaps/ns2/", "/core/", "/", "/core/secrets/", "/core/configmapsx/", "/rbac.authorization.k8s.io/"];
    const got = new Map<string, number[][]>(prefixes.map((p) => [p, []]));
    for (const p of prefixes) hub.subscribe(p, (events) => got.get(p)!.push(events.map((e) => e.revision)));
    const batches = [
      [event("/core/configmaps/ns/a", 1), event("/core/configmaps/ns/b", 2)],
      [event("/core/secrets/ns/s", 3), event("/core/configmaps/ns2/c", 4), event("/core/configmapsx/ns/d", 5), event("/rbac.authorization.k8s.io/roles/ns/r", 6), event("/core/configmaps/ns/e", 7)],
    ];
    for (const b of batches) hub.publish(b);
    const all = batches.flat();
    for (const p of prefixes) {
      const want = batches.map((b) => b.filter((e) => e.key.startsWith(p)).map((e) => e.revision)).filter((r) => r.length);
      expect({ p, got: got.get(p) }).toEqual({ p, got: want });
    }
    expect(got.get("/")!.flat()).toEqual(all.map((e) => e.revision));
  });

  test("a watcher closed by another one's listener during a publish hears no more of it", () => {
    const hub = new WatchHub(100);
    const heard: string[] = [];
    let closeSecond = () => {};
    hub.subscribe("/core/configmaps/", () => {
      heard.push("first");
      closeSecond();
    });
    closeSecond = hub.subscribe("/core/configmaps/ns/", () => heard.push("second"));
    hub.publish([event("/core/configmaps/ns/a", 1)]);
    hub.publish([event("/core/configmaps/ns/b", 2)]);
    expect(heard).toEqual(["first", "first"]);
    expect(hub.watcherCount).toBe(1);
  });
});
