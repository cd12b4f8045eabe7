import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import { ObjectCache, podsByNodeName } from "./cache.ts";

const pod = (ns: string, name: string, labels: Record<string, string> = {}, nodeName?: string): KubeObject => ({
  metadata: { namespace: ns, name, labels },
  spec: nodeName ? { nodeName } : {},
});

const names = (objs: KubeObject[]) => objs.map((o) => o.metadata.name).sort();

describe("ObjectCache", () => {
  const seeded = () => {
    const c = new ObjectCache();
    c.addIndexer("nodeName", podsByNodeName);
    c.set(pod("a", "web-1", { app: "web" }, "n1"));
    c.set(pod("a", "web-2", { app: "web", tier: "front" }, "n2"));
    c.set(pod("b", "db-1", { app: "db" }, "n1"));
    c.set(pod("b", "pending", { app: "db" }));
    return c;
  };

  test("get by namespace and name, or by key", () => {
    const c = seeded();
    expect(c.get("a", "web-1")?.metadata.name).toBe("web-1");
    expect(c.getByKey("b/db-1")?.metadata.namespace).toBe("b");
    expect(c.get("b", "web-1")).toBeUndefined();
    expect(c.size).toBe(4);
  });

  test.each([
    ["every namespace", undefined, undefined, ["db-1", "pending", "web-1", "web-2"]],
    ["one namespace", "a", undefined, ["web-1", "web-2"]],
    ["a label selector", undefined, { matchLabels: { app: "db" } }, ["db-1", "pending"]],
    ["an expression in a namespace", "a", { matchExpressions: [{ key: "tier", operator: "Exists" as const }] }, ["web-2"]],
    ["an empty selector", "b", {}, ["db-1", "pending"]],
    ["a predicate", undefined, (o: KubeObject) => o.metadata.name!.endsWith("-1"), ["db-1", "web-1"]],
  ])("list with %s", (_name, ns, selector, want) => {
    expect(names(seeded().list(ns, selector))).toEqual(want);
  });

  test("indexes follow updates and deletes", () => {
    const c = seeded();
    expect(names(c.byIndex("nodeName", "n1"))).toEqual(["db-1", "web-1"]);
    c.set(pod("b", "pending", { app: "db" }, "n1"));
    c.set(pod("a", "web-1", { app: "web" }, "n2"));
    c.set(pod("a", "web-2", { app: "web", tier: "back" }, "n2")); // an update that keeps its node
    expect(names(c.byIndex("nodeName", "n1"))).toEqual(["db-1", "pending"]);
    expect(names(c.byIndex("nodeName", "n2"))).toEqual(["web-1", "web-2"]);
    c.delete("b/db-1");
    expect(names(c.byIndex("nodeName", "n1"))).toEqual(["pending"]);
    expect(names(c.list("b"))).toEqual(["pending"]);
    expect(c.byIndex("nodeName", "n9")).toEqual([]);
  });

  test("an index value goes from one object to several and back, and to none", () => {
    const c = new ObjectCache();
    c.addIndexer("nodeName", podsByNodeName);
    c.set(pod("a", "x", {}, "n1"));
    expect(names(c.byIndex("nodeName", "n1"))).toEqual(["x"]);
    c.set(pod("a", "x", { v: "2" }, "n1")); // the same key filed again: still once
    c.set(pod("a", "y", {}, "n1"));
    c.set(pod("a", "z", {}, "n1"));
    expect(names(c.byIndex("nodeName", "n1"))).toEqual(["x", "y", "z"]);
    c.delete("a/x");
    c.set(pod("a", "y", {}, "n2"));
    expect(names(c.byIndex("nodeName", "n1"))).toEqual(["z"]);
    c.set(pod("a", "w", {}, "n1"));
    expect(names(c.byIndex("nodeName", "n1"))).toEqual(["w", "z"]);
    c.delete("a/z");
    c.delete("a/w");
    expect(c.byIndex("nodeName", "n1")).toEqual([]);
    expect(names(c.byIndex("nodeName", "n2"))).toEqual(["y"]);
    c.delete("a/w"); // gone already: nothing changes
    expect(names(c.byIndex("nodeName", "n2"))).toEqual(["y"]);
  });

  test("an index added later files the objects already there", () => {
    const c = new ObjectCache();
    c.set(pod("a", "x", {}, "n1"));
    c.addIndexer("nodeName", podsByNodeName);
    expect(names(c.byIndex("nodeName", "n1"))).toEqual(["x"]);
    expect(() => c.addIndexer("nodeName", podsByNodeName)).toThrow();
    expect(() => c.byIndex("nope", "x")).toThrow();
  });

  test("set and delete return the previous object", () => {
    const c = new ObjectCache();
    const first = pod("a", "x");
    expect(c.set(first)).toBeUndefined();
    expect(c.set(pod("a", "x"))).toBe(first);
    expect(c.delete("a/x")?.metadata.name).toBe("x");
    expect(c.delete("a/x")).toBeUndefined();
  });

  test("cluster-scoped objects are keyed by name", () => {
    const c = new ObjectCache();
    c.set({ metadata: { name: "node-1" } });
    expect(c.keys()).toEqual(["node-1"]);
    expect(c.get(undefined, "node-1")).toBeDefined();
  });

  test('list("") answers the objects without a namespace, in the order they came (they are in no namespace index)', () => {
    const c = new ObjectCache();
    for (const name of ["b", "a", "c"]) c.set({ metadata: { name } });
    c.set({ metadata: { name: "x", namespace: "ns" } });
    c.set({ metadata: { name: "b", labels: { v: "2" } } }); // an update keeps its place
    c.delete("a");
    c.set({ metadata: { name: "a" } });
    expect(c.list("").map((o) => o.metadata.name)).toEqual(["b", "c", "a"]);
    expect(c.list("", { matchLabels: { v: "2" } }).map((o) => o.metadata.name)).toEqual(["b"]);
    expect(c.list("ns").map((o) => o.metadata.name)).toEqual(["x"]);
    expect(c.list().map((o) => o.metadata.name)).toEqual(["b", "c", "x", "a"]);
  });

  test("an index value of one, a few or many objects answers what was filed, in filing order, through moves and deletes", () => {
    // Index values hold one key, an array of a few or a Set of many (cache.ts): against a model
    // of insertion-ordered lists, random writes move 500 pods between 2 nodes (buckets of 0 to ~200: one key, arrays, Sets).
    const c = new ObjectCache();
    c.addIndexer("nodeName", podsByNodeName);
    const model = new Map<string, string[]>();
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const where = new Map<string, string | undefined>();
    const drop = (node: string | undefined, key: string) => node && model.set(node, model.get(node)!.filter((k) => k !== key));
    for (let step = 0; step < 6000; step++) {
      const name = `p${rand(500)}`;
      const key = `a/${name}`;
      const from = where.get(name);
      if (rand(5) === 0) {
        drop(from, key);
        c.delete(key);
        where.delete(name);
      } else {
        const node = rand(4) === 0 ? undefined : `n${rand(2)}`;
        // An update that keeps its node is not refiled: it keeps its place.
        if (!where.has(name) || from !== node) {
          drop(from, key);
          if (node) model.set(node, [...(model.get(node) ?? []), key]);
        }
        c.set(pod("a", name, {}, node));
        where.set(name, node);
      }
      for (const n of ["n0", "n1"]) expect(c.byIndex("nodeName", n).map((o) => `a/${o.metadata.name}`)).toEqual(model.get(n) ?? []);
    }
  });

  test("lookups, keys, the namespace index and other indexes answer as filed, in filing order, whatever namespaces the objects are in", () => {
    // The cache keys one namespace's objects by name and holds no namespace-index bucket while
    // every object is in it (cache.ts): against a model of insertion-ordered lists, random writes
    // and deletes of pods in up to three namespaces, on two nodes, and of cluster-scoped objects,
    // through one, several and no namespace at all, and through an empty cache.
    const c = new ObjectCache();
    c.addIndexer("nodeName", podsByNodeName);
    const order: string[] = []; // every cached key, in the order first cached
    const nodeOf = new Map<string, string | undefined>();
    const byNode = new Map<string, string[]>();
    let seed = 11;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const namespaces = ["a", "b", "c", ""];
    const keyOf = (ns: string, name: string) => (ns ? `${ns}/${name}` : name);
    const unfileNode = (key: string) => {
      const node = nodeOf.get(key);
      if (node) byNode.set(node, byNode.get(node)!.filter((k) => k !== key));
    };
    for (let step = 0; step < 12_000; step++) {
      // Long stretches in one namespace, then in two, then with cluster-scoped objects, then all deleted.
      const phase = Math.floor(step / 500) % 4;
      if (phase === 3) {
        if (order.length === 0) continue;
        const key = order[rand(order.length)]!;
        expect(c.delete(key)).toBeDefined();
        unfileNode(key);
        order.splice(order.indexOf(key), 1);
        nodeOf.delete(key);
      } else {
        const ns = phase === 0 ? "a" : namespaces[rand(phase === 1 ? 2 : 4)]!;
        const name = `p${rand(40)}`;
        const key = keyOf(ns, name);
        if (rand(3) === 0) {
          const had = order.includes(key);
          expect(c.delete(key) !== undefined).toBe(had);
          if (had) {
            unfileNode(key);
            order.splice(order.indexOf(key), 1);
            nodeOf.delete(key);
          }
        } else {
          const node = rand(3) === 0 ? undefined : `n${rand(2)}`;
          c.set({ metadata: ns ? { namespace: ns, name, labels: { step: String(step) } } : { name }, spec: node ? { nodeName: node } : {} });
          if (!order.includes(key)) order.push(key);
          else if (nodeOf.get(key) === node) continue;
          else unfileNode(key);
          nodeOf.set(key, node);
          if (node) byNode.set(node, [...(byNode.get(node) ?? []), key]);
        }
      }
      const keyOfObj = (o: KubeObject) => keyOf(o.metadata.namespace ?? "", o.metadata.name!);
      expect(c.keys()).toEqual(order);
      expect(c.list().map(keyOfObj)).toEqual(order);
      expect(c.size).toBe(order.length);
      for (const n of ["a", "b", "c"]) {
        const want = order.filter((k) => k.startsWith(`${n}/`));
        expect(c.list(n).map(keyOfObj)).toEqual(want);
        expect(c.byIndex("namespace", n).map(keyOfObj)).toEqual(want);
      }
      expect(c.list("").map(keyOfObj)).toEqual(order.filter((k) => !k.includes("/")));
      for (const n of ["n0", "n1"]) expect(c.byIndex("nodeName", n).map(keyOfObj)).toEqual(byNode.get(n) ?? []);
      // Lookups of cached keys, and of keys alike but not cached (another namespace, or none, with the same name).
      const name = `p${rand(40)}`;
      for (const ns of namespaces) {
        const key = keyOf(ns, name);
        const want = order.includes(key) ? key : undefined;
        expect(c.getByKey(key) && keyOfObj(c.getByKey(key)!)).toBe(want);
        expect(c.get(ns || undefined, name) && keyOfObj(c.get(ns || undefined, name)!)).toBe(want);
      }
    }
  });
});
