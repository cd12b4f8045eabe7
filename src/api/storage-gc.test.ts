// delete() and the garbage collector's finalizers: what each propagationPolicy leaves behind.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import { SqliteStore } from "../store/index.ts";
import { gcFinalizers, Storage } from "./storage.ts";

const CONFIGMAPS = findResource("", "v1", "configmaps")!;
const NAMESPACES = findResource("", "v1", "namespaces")!;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function storage(): Promise<Storage> {
  const dir = mkdtempSync(join(tmpdir(), "kubun-storage-gc-"));
  const store = new SqliteStore(join(dir, "state.db"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  const s = new Storage(store);
  await s.create(NAMESPACES, undefined, { metadata: { name: "ns" } });
  return s;
}

const cm = (name: string, finalizers?: string[]): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, finalizers } });

describe("gcFinalizers", () => {
  test.each([
    { name: "background keeps other finalizers", have: ["x"], policy: "Background", want: ["x"] },
    { name: "background drops GC finalizers", have: ["x", "foregroundDeletion"], policy: "Background", want: ["x"] },
    { name: "foreground adds its finalizer", have: [], policy: "Foreground", want: ["foregroundDeletion"] },
    { name: "orphan replaces foreground", have: ["foregroundDeletion"], policy: "Orphan", want: ["orphan"] },
    { name: "no policy keeps orphan", have: ["orphan"], policy: undefined, want: ["orphan"] },
    { name: "no policy keeps foreground", have: ["foregroundDeletion"], policy: undefined, want: ["foregroundDeletion"] },
    { name: "no policy, no finalizers: background", have: [], policy: undefined, want: [] },
  ] as { name: string; have: string[]; policy?: string; want: string[] }[])("$name", ({ have, policy, want }) => {
    expect(gcFinalizers(have, policy)).toEqual(want);
  });
});

describe("Storage.delete with a propagationPolicy", () => {
  test("Background (and no policy) removes the object at once", async () => {
    const s = await storage();
    await s.create(CONFIGMAPS, "ns", cm("a"));
    await s.create(CONFIGMAPS, "ns", cm("b"));
    await s.delete(CONFIGMAPS, "ns", "a", { propagationPolicy: "Background" });
    await s.delete(CONFIGMAPS, "ns", "b");
    expect(() => s.get(CONFIGMAPS, "ns", "a")).toThrow();
    expect(() => s.get(CONFIGMAPS, "ns", "b")).toThrow();
  });

  test.each([
    ["Foreground", "foregroundDeletion"],
    ["Orphan", "orphan"],
  ])("%s marks the object and adds the %s finalizer", async (policy, finalizer) => {
    const s = await storage();
    await s.create(CONFIGMAPS, "ns", cm("a"));
    const marked = await s.delete(CONFIGMAPS, "ns", "a", { propagationPolicy: policy });
    expect(marked.metadata.deletionTimestamp).toBeString();
    expect(marked.metadata.finalizers).toEqual([finalizer]);
    expect(s.get(CONFIGMAPS, "ns", "a").metadata.finalizers).toEqual([finalizer]);
  });

  test("removing the GC finalizer removes the marked object", async () => {
    const s = await storage();
    await s.create(CONFIGMAPS, "ns", cm("a", ["example.com/keep"]));
    await s.delete(CONFIGMAPS, "ns", "a", { propagationPolicy: "Foreground" });
    expect(s.get(CONFIGMAPS, "ns", "a").metadata.finalizers).toEqual(["example.com/keep", "foregroundDeletion"]);
    const strip = (f: string) => (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, finalizers: o.metadata.finalizers!.filter((x) => x !== f) } });
    await s.update(CONFIGMAPS, "ns", "a", strip("foregroundDeletion"));
    expect(s.get(CONFIGMAPS, "ns", "a").metadata.finalizers).toEqual(["example.com/keep"]);
    await s.update(CONFIGMAPS, "ns", "a", strip("example.com/keep"));
    expect(() => s.get(CONFIGMAPS, "ns", "a")).toThrow();
  });

  test("a later Background delete drops the foreground finalizer, as in Kubernetes", async () => {
    const s = await storage();
    await s.create(CONFIGMAPS, "ns", cm("a"));
    await s.delete(CONFIGMAPS, "ns", "a", { propagationPolicy: "Foreground" });
    await s.delete(CONFIGMAPS, "ns", "a", { propagationPolicy: "Background" });
    expect(() => s.get(CONFIGMAPS, "ns", "a")).toThrow();
  });

  test("dry run leaves the object untouched", async () => {
    const s = await storage();
    await s.create(CONFIGMAPS, "ns", cm("a"));
    const out = await s.delete(CONFIGMAPS, "ns", "a", { propagationPolicy: "Orphan", dryRun: true });
    expect(out.metadata.finalizers).toEqual(["orphan"]);
    expect(s.get(CONFIGMAPS, "ns", "a").metadata.finalizers).toBeUndefined();
  });
});

describe("Storage.delete of a namespace", () => {
  test("a namespace with spec.finalizers turns Terminating and refuses new content", async () => {
    const s = await storage();
    const ns = await s.delete(NAMESPACES, undefined, "ns");
    expect(ns.metadata.deletionTimestamp).toBeString();
    expect((ns as { status?: { phase?: string } }).status?.phase).toBe("Terminating");
    expect(s.get(NAMESPACES, undefined, "ns")).toBeDefined();
    await expect(s.create(CONFIGMAPS, "ns", cm("late"))).rejects.toMatchObject({ code: 403 });
    await expect(s.delete(NAMESPACES, undefined, "ns")).rejects.toMatchObject({ code: 409 });
  });

  test("a namespace without spec.finalizers goes at once", async () => {
    const s = await storage();
    await s.create(NAMESPACES, undefined, { metadata: { name: "bare" }, spec: { finalizers: [] } } as KubeObject);
    await s.delete(NAMESPACES, undefined, "bare");
    expect(() => s.get(NAMESPACES, undefined, "bare")).toThrow();
  });
});
