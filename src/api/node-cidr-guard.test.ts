// NodeCIDRGuard alone: which Node writes it refuses, what a failed or deleted write gives back,
// and, for several servers on one datastore, the reservations that keep two servers' tables
// (each fed late by a watch) from passing one CIDR twice. A real SQLite store stands in for
// PostgreSQL as the shared datastore: both decide "create if absent" for every writer.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import { SqliteStore } from "../store/index.ts";
import { NodeCIDRGuard, POD_CIDR_RESERVATIONS } from "./node-cidr-guard.ts";
import { allocators } from "./allocation.ts";

const NODES = findResource("", "v1", "nodes")!;
const PODS = findResource("", "v1", "pods")!;
const node = (name: string, ...cidrs: string[]): KubeObject => ({ metadata: { name }, spec: cidrs.length ? { podCIDR: cidrs[0], podCIDRs: cidrs } : {} }) as KubeObject;
const causesOf = (err: unknown) => (err as { status: { code: number; details: { causes: { field: string; message: string }[] } } }).status;

/** Claims (and reserves) then commits, as a successful write does; a refusal reverts. */
async function write(g: NodeCIDRGuard, next: KubeObject | undefined, current?: KubeObject) {
  const a = g.begin(NODES, next, current);
  if (!a) return;
  try {
    await a.reserve?.();
  } catch (err) {
    await a.revert();
    throw err;
  }
  await a.commit();
}

describe("NodeCIDRGuard", () => {
  test.each([
    ["the same CIDR", "10.42.1.0/24", "spec.podCIDR"],
    ["the same network written with host bits", "10.42.1.7/24", "spec.podCIDR"],
    ["a wider one", "10.42.0.0/16", "spec.podCIDR"],
    ["a narrower one", "10.42.1.64/26", "spec.podCIDR"],
  ])("refuses %s as another node's", async (_, cidr, field) => {
    const g = new NodeCIDRGuard();
    await write(g, node("a", "10.42.1.0/24"));
    const err = await write(g, node("b", cidr), node("b")).catch((e) => e);
    expect(causesOf(err).code).toBe(422);
    expect(causesOf(err).details.causes).toEqual([{ field, message: expect.stringContaining('node "a" already holds this pod CIDR'), reason: "FieldValueInvalid" } as never]);
  });

  test("held CIDRs of several lengths: each wanted one is checked against wider, equal and narrower ones", async () => {
    const g = new NodeCIDRGuard();
    await write(g, node("wide", "10.50.0.0/16"));
    await write(g, node("narrow", "10.60.1.64/26"));
    for (let i = 0; i < 50; i++) await write(g, node(`n${i}`, `10.42.${i}.0/24`));
    expect(g.holderOf("10.50.7.0/24")).toEqual({ node: "wide", cidr: "10.50.0.0/16" });
    expect(g.holderOf("10.60.1.0/24")).toEqual({ node: "narrow", cidr: "10.60.1.64/26" });
    expect(g.holderOf("10.42.0.0/16")?.node).toMatch(/^n\d+$/);
    expect(g.holderOf("10.42.49.0/24")).toEqual({ node: "n49", cidr: "10.42.49.0/24" });
    expect(g.holderOf("10.42.50.0/24")).toBeUndefined();
    expect(g.holderOf("10.60.1.0/26")).toBeUndefined();
    expect(g.holderOf("10.50.0.0/16", "wide")).toBeUndefined();
    // Freed blocks leave the index.
    await write(g, undefined, node("wide", "10.50.0.0/16"));
    expect(g.holderOf("10.50.7.0/24")).toBeUndefined();
  });

  test("a dual-stack node's second CIDR is checked too, and IPv6 ones only against IPv6 ones", async () => {
    const g = new NodeCIDRGuard();
    await write(g, node("a", "10.42.1.0/24", "fd00:10:42:1::/64"));
    await write(g, node("b", "10.42.2.0/24", "fd00:10:42:2::/64"));
    const err = await write(g, node("c", "10.42.3.0/24", "fd00:10:42::/48")).catch((e) => e);
    expect(causesOf(err).details.causes.map((c) => c.field)).toEqual(["spec.podCIDRs[1]"]);
  });

  test("status writes and other updates that leave the CIDRs alone pass without a claim", () => {
    const g = new NodeCIDRGuard();
    expect(g.begin(NODES, node("a", "10.42.1.0/24"), node("a", "10.42.1.0/24"))).toBeUndefined();
    expect(g.begin(NODES, node("a"), node("a"))).toBeUndefined();
    expect(g.begin(PODS, node("a", "10.42.1.0/24"), undefined)).toBeUndefined();
  });

  test("a failed write gives its claim back; a deleted node frees its CIDR; its own CIDR is no conflict", async () => {
    const g = new NodeCIDRGuard();
    const failed = g.begin(NODES, node("a", "10.42.1.0/24"), node("a"))!;
    expect(g.holderOf("10.42.1.0/24")).toEqual({ node: "a", cidr: "10.42.1.0/24" });
    await failed.revert();
    expect(g.holderOf("10.42.1.0/24")).toBeUndefined();
    await write(g, node("a", "10.42.1.0/24"), node("a"));
    expect(g.holderOf("10.42.1.0/24", "a")).toBeUndefined();
    await write(g, undefined, node("a", "10.42.1.0/24"));
    await write(g, node("b", "10.42.1.0/24"));
    expect(g.holderOf("10.42.1.0/24")?.node).toBe("b");
  });

  test("rebuild marks the stored nodes' CIDRs; observe follows another server's writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubun-cidr-"));
    const store = new SqliteStore(join(dir, "state.db"));
    try {
      await store.create("/core/nodes/a", node("a", "10.42.1.0/24"));
      const g = new NodeCIDRGuard();
      g.rebuild(store);
      expect(g.holderOf("10.42.1.0/24")?.node).toBe("a");
      g.observe({ type: "MODIFIED", object: node("b", "10.42.2.0/24") });
      expect(g.holderOf("10.42.2.0/24")?.node).toBe("b");
      g.observe({ type: "DELETED", object: node("b", "10.42.2.0/24") });
      expect(g.holderOf("10.42.2.0/24")).toBeUndefined();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("allocators() asks each in turn", () => {
    const g = new NodeCIDRGuard();
    const none = { begin: () => undefined };
    expect(allocators(none, g).begin(NODES, node("a", "10.42.1.0/24"), undefined)).toBeDefined();
    expect(allocators(none, g).begin(PODS, node("a"), undefined)).toBeUndefined();
  });
});

// Two API servers on one datastore, each with its own table that has not seen the other's write.
describe("NodeCIDRGuard on a shared datastore", () => {
  const shared = () => {
    const dir = mkdtempSync(join(tmpdir(), "kubun-cidr-"));
    const store = new SqliteStore(join(dir, "state.db"));
    return { store, close: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  };
  const reservations = (store: SqliteStore) => store.list(POD_CIDR_RESERVATIONS).items.map((e) => e.key).sort();

  test("a CIDR the other server reserved first is a 422 though this one has not seen it; the refused write reserves nothing", async () => {
    const { store, close } = shared();
    const one = new NodeCIDRGuard({ shared: store });
    const two = new NodeCIDRGuard({ shared: store });
    await write(one, node("a", "10.42.1.0/24"), node("a"));
    const err = await write(two, node("b", "10.42.1.0/24"), node("b")).catch((e) => e);
    expect(causesOf(err).details.causes[0]).toMatchObject({ field: "spec.podCIDR", message: expect.stringContaining('node "a" already holds this pod CIDR') });
    expect(reservations(store)).toEqual([`${POD_CIDR_RESERVATIONS}10.42.1.0_24`]);
    // The refused claim is gone from two's table too: another CIDR passes.
    await write(two, node("b", "10.42.2.0/24"), node("b"));
    // A node's own reservation (a write that failed after reserving) is no conflict for it.
    const retry = new NodeCIDRGuard({ shared: store });
    await write(retry, node("a", "10.42.1.0/24"), node("a"));
    expect(reservations(store)).toEqual([`${POD_CIDR_RESERVATIONS}10.42.1.0_24`, `${POD_CIDR_RESERVATIONS}10.42.2.0_24`]);
    await close();
  });

  test("a deleted node's reservation goes; repair adds missing ones and drops stale ones", async () => {
    const { store, close } = shared();
    let now = new Date("2026-12-01T00:00:00Z");
    const one = new NodeCIDRGuard({ shared: store, now: () => now });
    await write(one, node("a", "10.42.1.0/24"));
    await write(one, undefined, node("a", "10.42.1.0/24"));
    expect(reservations(store)).toEqual([]);

    await store.create("/core/nodes/old", node("old", "10.42.9.0/24"));
    await store.create(`${POD_CIDR_RESERVATIONS}10.42.11.0_24`, { apiVersion: "kubun.io/v1", kind: "PodCIDRReservation", metadata: { name: "10.42.11.0_24", creationTimestamp: "2026-12-01T00:00:00Z" }, spec: { parentRef: { resource: "nodes", name: "gone" } } } as KubeObject);
    expect(await one.repair(store)).toEqual({ created: 1, removed: 0 });
    now = new Date("2026-12-01T01:00:00Z");
    expect(await one.repair(store)).toEqual({ created: 0, removed: 1 });
    expect(reservations(store)).toEqual([`${POD_CIDR_RESERVATIONS}10.42.9.0_24`]);
    await close();
  });
});
