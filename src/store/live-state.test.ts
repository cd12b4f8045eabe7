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
