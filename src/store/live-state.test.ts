import { expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import { LiveState } from "./live-state.ts";

const entry = (key: string) => ({ key, revision: 1, createRevision: 1, object: { metadata: { name: key } } as KubeObject });

test("get finds each key in its own resource, however the resources looked up before began", () => {
  const live = new LiveState();
  const keys = ["/core/pods/a/x", "/core/podsx/a/x", "/core/pod/a/x", "/apps/pods/a/x", "/a/", "/a/b/c", "/core/nodes", "/core/nodes/n1"];
  for (const k of keys) live.add(entry(k));
  // Every order of lookups: the remembered resources must never answer for another resource's key.
  for (let round = 0; round < 3; round++) {
    for (const k of round % 2 ? [...keys].reverse() : keys) expect(live.get(k)?.key).toBe(k);
    expect(live.get("/core/pods/a/y")).toBeUndefined();
    expect(live.get("/core/podsx/a/y")).toBeUndefined();
    expect(live.get("/a/b/d")).toBeUndefined();
    expect(live.get("/core/nodesx")).toBeUndefined();
  }
  live.remove("/core/pods/a/x");
  expect(live.get("/core/pods/a/x")).toBeUndefined();
  expect(live.get("/core/podsx/a/x")?.key).toBe("/core/podsx/a/x");
});

test("list keeps key order through adds, removes and re-adds between lists, as a fresh sort of the live keys gives", () => {
  const live = new LiveState();
  const keyOf = (i: number) => `/core/pods/ns-${i % 7}/pod-${(i * 7919) % 1000}`;
  const present = new Set<string>();
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (let i = 0; i < 400; i++) {
    live.add(entry(keyOf(i)));
    present.add(keyOf(i));
  }
  const expected = (prefix: string) => [...present].filter((k) => k.startsWith(prefix)).sort();
  expect(live.list("/core/pods/").map((e) => e.key)).toEqual(expected("/core/pods/"));
  for (let round = 0; round < 60; round++) {
    // A few writes between lists (fewer than an eighth of the keys: merged in, not sorted anew),
    // some rounds many (the order dropped and sorted anew): new keys, removed ones, and keys
    // removed and added again, or added and removed again, before the next list.
    const writes = round % 10 === 9 ? 200 : rand(12);
    for (let w = 0; w < writes; w++) {
      const key = keyOf(rand(1000));
      if (present.has(key) && rand(2) === 0) {
        live.remove(key);
        present.delete(key);
      } else if (!present.has(key)) {
        live.add(entry(key));
        present.add(key);
      } else live.put(entry(key));
    }
    const prefix = round % 3 === 0 ? "/core/pods/" : `/core/pods/ns-${rand(7)}/`;
    expect(live.list(prefix).map((e) => e.key)).toEqual(expected(prefix));
    const all = expected("/core/pods/");
    const after = all[rand(all.length)]!;
    expect(live.list("/core/pods/", after).map((e) => e.key)).toEqual(all.filter((k) => k > after));
  }
});

test("a key compacted to its revision is made anew on each read, only when its entry is of that revision and was created by it", () => {
  const made: [string, number][] = [];
  const live = new LiveState((key, revision) => {
    made.push([key, revision]);
    return { key, revision, createRevision: revision, object: { metadata: { name: key } } as KubeObject };
  });
  live.add(entry("/core/events/ns/a"));
  live.add({ ...entry("/core/events/ns/b"), revision: 2 }); // created at 1, now at 2: stays an entry
  live.compact("/core/events/ns/a", 1);
  live.compact("/core/events/ns/b", 2);
  live.compact("/core/events/ns/c", 1); // not there: nothing
  const first = live.get("/core/events/ns/a");
  expect(first).toMatchObject({ key: "/core/events/ns/a", revision: 1, createRevision: 1 });
  expect(live.get("/core/events/ns/a")).not.toBe(first);
  expect(live.get("/core/events/ns/b")).toBe(live.get("/core/events/ns/b"));
  expect(live.list("/core/events/").map((e) => [e.key, e.revision])).toEqual([["/core/events/ns/a", 1], ["/core/events/ns/b", 2]]);
  expect(made.map(([k]) => k)).toEqual(["/core/events/ns/a", "/core/events/ns/a", "/core/events/ns/a"]);
  live.put({ ...entry("/core/events/ns/a"), revision: 3 }); // a write replaces it with an entry
  expect(live.get("/core/events/ns/a")).toMatchObject({ key: "/core/events/ns/a", revision: 3 });
  expect(live.get("/core/events/ns/c")).toBeUndefined();
  expect(live.counts()).toEqual({ "/core/events/": 2 });
});
