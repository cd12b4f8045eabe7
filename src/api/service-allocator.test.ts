import { describe, expect, test } from "bun:test";
import { StatusError } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../store/index.ts";
import { formatIPv4, parseIPv4, parseServiceCIDR, RangeBitmap } from "./ip-range.ts";
import { RESERVATION_PREFIX, ServiceAllocator } from "./service-allocator.ts";
import { statusErrorOf } from "../apis/errors-testing.ts";

const SERVICES = findResource("", "v1", "services")!;
type Spec = Record<string, any>;

const svc = (name: string, spec: Spec): KubeObject & { spec: Spec } => ({ metadata: { name, namespace: "default" }, spec: { type: "ClusterIP", ports: [{ port: 80, protocol: "TCP" }], ...spec } }) as KubeObject & { spec: Spec };

/** Claims and commits, as a successful create does. */
function create(a: ServiceAllocator, s: KubeObject) {
  a.begin(SERVICES, s, undefined)!.commit();
  return s as KubeObject & { spec: Spec };
}

const failure = statusErrorOf;

describe("CIDR and IPv4 parsing", () => {
  test.each([
    ["10.43.0.0/16", { first: parseIPv4("10.43.0.1"), size: 65534 }],
    ["10.96.0.0/28", { first: parseIPv4("10.96.0.1"), size: 14 }],
  ])("%s", (cidr, want) => expect(parseServiceCIDR(cidr)).toMatchObject(want));

  test.each(["10.43.0.0", "10.43.0.1/16", "10.0.0.0/8", "300.0.0.0/16", "10.43.0.0/31", "fd00::/112"])("%s is refused", (cidr) => {
    expect(() => parseServiceCIDR(cidr)).toThrow();
  });

  test.each(["0.0.0.0", "10.43.255.254", "255.255.255.255"])("%s round-trips", (ip) => expect(formatIPv4(parseIPv4(ip)!)).toBe(ip));
});

describe("RangeBitmap", () => {
  test("random claims skip reserved values and stop when full", () => {
    const b = new RangeBitmap(100, 4, new Set([101]));
    const got = [b.claimRandom(() => 0.5), b.claimRandom(() => 0.5), b.claimRandom(() => 0.5)];
    expect(got.sort()).toEqual([100, 102, 103]);
    expect(b.claimRandom(() => 0)).toBeUndefined();
    expect(b.claim(101)).toBe(true); // reserved values can still be asked for
    expect(b.claim(101)).toBe(false);
    b.release(102);
    expect(b.claimRandom(() => 0)).toBe(102);
  });
});

describe("ServiceAllocator", () => {
  test("assigns a free cluster IP, never the kubernetes or DNS address", () => {
    const a = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28" });
    const ips = Array.from({ length: 12 }, (_, i) => create(a, svc(`s${i}`, {})).spec.clusterIP);
    expect(new Set(ips).size).toBe(12);
    expect(ips).not.toContain("10.96.0.1");
    expect(ips).not.toContain("10.96.0.10");
    for (const ip of ips) expect(ip).toMatch(/^10\.96\.0\.(\d+)$/);
    expect(failure(() => create(a, svc("full", {}))).code).toBe(500);
    // The reserved addresses are still there for whoever asks for them by value.
    expect(create(a, svc("dns", { clusterIP: "10.96.0.10" })).spec.clusterIP).toBe("10.96.0.10");
    expect(a.isAllocatedIP("10.96.0.10")).toBe(true);
  });

  test.each([
    ["taken", "10.43.0.7", "failed to allocate IP 10.43.0.7: provided IP is already allocated"],
    ["outside the range", "10.44.0.7", "failed to allocate IP 10.44.0.7: the provided IP (10.44.0.7) is not in the valid range. The range of valid IPs is 10.43.0.0/16"],
    ["the network address", "10.43.0.0", "is not in the valid range"],
  ])("a requested IP %s is Invalid on spec.clusterIPs[0]", (_name, ip, message) => {
    const a = new ServiceAllocator();
    create(a, svc("first", { clusterIP: "10.43.0.7", clusterIPs: ["10.43.0.7"] }));
    const err = failure(() => create(a, svc("second", { clusterIP: ip, clusterIPs: [ip] })));
    expect(err.code).toBe(422);
    expect(err.status.details?.causes?.[0]).toMatchObject({ field: "spec.clusterIPs[0]", reason: "FieldValueInvalid" });
    expect(err.status.details?.causes?.[0]?.message).toContain(message);
  });

  test("headless and ExternalName services hold nothing", () => {
    const a = new ServiceAllocator({ serviceCIDR: "10.96.0.0/30" });
    expect(create(a, svc("headless", { clusterIP: "None", clusterIPs: ["None"] })).spec.clusterIP).toBe("None");
    expect(create(a, svc("ext", { type: "ExternalName", externalName: "example.com" })).spec.clusterIP).toBeUndefined();
    expect(create(a, svc("one", {})).spec.clusterIP).toBe("10.96.0.2");
  });

  test("node ports: allocated in range, requested ones honoured once, shared across protocols of one port", () => {
    const a = new ServiceAllocator();
    const np = create(a, svc("np", { type: "NodePort", ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }, { name: "web", port: 80, protocol: "TCP", nodePort: 30080 }] }));
    const [udp, tcp, web] = np.spec.ports;
    expect(udp.nodePort).toBeGreaterThanOrEqual(30000);
    expect(udp.nodePort).toBeLessThanOrEqual(32767);
    expect(tcp.nodePort).toBe(udp.nodePort);
    expect(web.nodePort).toBe(30080);
    const again = svc("again", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] });
    const err = failure(() => create(a, again));
    expect(err.code).toBe(422);
    expect(err.status.details?.causes?.[0]).toMatchObject({ field: "spec.ports[0].nodePort", message: "Invalid value: 30080: provided port is already allocated" });
    // The refused create gave back the cluster IP it had been assigned.
    expect(again.spec.clusterIP).toBeString();
    expect(a.isAllocatedIP(again.spec.clusterIP)).toBe(false);
  });

  test("a failed claim gives back what it took before failing", () => {
    const a = new ServiceAllocator();
    create(a, svc("holder", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30081 }] }));
    const bad = svc("bad", { clusterIP: "10.43.0.50", type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30081 }] });
    expect(failure(() => a.begin(SERVICES, bad, undefined)).code).toBe(422);
    expect(a.isAllocatedIP("10.43.0.50")).toBe(false);
  });

  test("revert gives back a create's claims; commit of a delete frees them", () => {
    const a = new ServiceAllocator();
    const s = svc("s", { type: "NodePort", ports: [{ port: 80, protocol: "TCP" }] });
    a.begin(SERVICES, s, undefined)!.revert();
    expect(a.isAllocatedIP(s.spec.clusterIP)).toBe(false);
    expect(a.isAllocatedNodePort(s.spec.ports[0].nodePort)).toBe(false);

    const kept = create(a, svc("kept", { type: "NodePort", ports: [{ port: 80, protocol: "TCP" }] }));
    const { clusterIP } = kept.spec;
    const nodePort = kept.spec.ports[0].nodePort;
    const del = a.begin(SERVICES, undefined, kept)!;
    expect(a.isAllocatedIP(clusterIP)).toBe(true); // held until the delete lands
    del.commit();
    expect(a.isAllocatedIP(clusterIP)).toBe(false);
    expect(a.isAllocatedNodePort(nodePort)).toBe(false);
  });

  test("an update from NodePort to ClusterIP releases the node ports, the cluster IP stays", () => {
    const a = new ServiceAllocator();
    const old = create(a, svc("s", { type: "NodePort", ports: [{ port: 80, protocol: "TCP" }] }));
    const nodePort = old.spec.ports[0].nodePort;
    const next = structuredClone(old);
    next.spec.type = "ClusterIP";
    delete next.spec.ports[0].nodePort;
    const update = a.begin(SERVICES, next, old)!;
    expect(next.spec.clusterIP).toBe(old.spec.clusterIP);
    update.commit();
    expect(a.isAllocatedNodePort(nodePort)).toBe(false);
    expect(a.isAllocatedIP(old.spec.clusterIP)).toBe(true);
  });

  test("an update to NodePort allocates node ports; reverting it keeps the old state", () => {
    const a = new ServiceAllocator();
    const old = create(a, svc("s", {}));
    const next = structuredClone(old);
    next.spec.type = "NodePort";
    const update = a.begin(SERVICES, next, old)!;
    const nodePort = next.spec.ports[0].nodePort;
    expect(a.isAllocatedNodePort(nodePort)).toBe(true);
    update.revert();
    expect(a.isAllocatedNodePort(nodePort)).toBe(false);
    expect(a.isAllocatedIP(old.spec.clusterIP)).toBe(true);
  });

  test("rebuild marks what stored services hold", () => {
    const stored = [svc("a", { clusterIP: "10.43.0.5", clusterIPs: ["10.43.0.5"], type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30005 }] }), svc("b", { clusterIP: "192.168.0.1" })];
    const a = new ServiceAllocator();
    a.rebuild({ list: () => ({ items: stored.map((object) => ({ key: "", revision: 1, createRevision: 1, object })), revision: 1 }) });
    expect(a.isAllocatedIP("10.43.0.5")).toBe(true);
    expect(a.isAllocatedNodePort(30005)).toBe(true);
    expect(failure(() => create(a, svc("c", { clusterIP: "10.43.0.5" }))).code).toBe(422);
  });

  test("non-services are not the allocator's business", () => {
    expect(new ServiceAllocator().begin(findResource("", "v1", "pods")!, { metadata: {} }, undefined)).toBeUndefined();
  });
});

describe("services written by another API server on the same datastore", () => {
  test("observe marks what a peer's service holds and frees what it gave up", () => {
    const a = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28" });
    const peers = svc("peer", { type: "NodePort", clusterIP: "10.96.0.5", ports: [{ port: 80, nodePort: 30080 }] });
    a.observe({ type: "ADDED", object: peers });
    expect([a.isAllocatedIP("10.96.0.5"), a.isAllocatedNodePort(30080)]).toEqual([true, true]);
    // Here, a client asking for the peer's IP is refused, as on the peer.
    expect(failure(() => a.begin(SERVICES, svc("mine", { clusterIP: "10.96.0.5" }), undefined)).code).toBe(422);
    const changed = svc("peer", { type: "ClusterIP", clusterIP: "10.96.0.5" });
    a.observe({ type: "MODIFIED", object: changed, prev: peers });
    expect([a.isAllocatedIP("10.96.0.5"), a.isAllocatedNodePort(30080)]).toEqual([true, false]);
    a.observe({ type: "DELETED", object: changed, prev: changed });
    expect(a.isAllocatedIP("10.96.0.5")).toBe(false);
  });
});

// Two API servers on one datastore, each with its own bitmaps (which a watch would update late):
// the reservations in the shared store keep their values apart. A real SQLite store stands in
// for PostgreSQL here: both decide "create if absent" for every writer (test/ha-services.test.ts
// runs two real servers on PostgreSQL).
describe("ServiceAllocator on a shared datastore", () => {
  const shared = () => {
    const dir = mkdtempSync(join(tmpdir(), "kubun-alloc-"));
    const store = new SqliteStore(join(dir, "state.db"));
    return { store, close: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  };
  /** Reserves and commits, as a successful create on a shared store does. */
  async function createShared(a: ServiceAllocator, s: KubeObject) {
    const allocation = a.begin(SERVICES, s, undefined)!;
    try {
      await allocation.reserve?.();
    } catch (err) {
      await allocation.revert();
      throw err;
    }
    await allocation.commit();
    return s as KubeObject & { spec: Spec };
  }
  const reservations = (store: SqliteStore) => store.list(RESERVATION_PREFIX).items.map((e) => e.key).sort();

  test("an automatic cluster IP or node port the other server reserved first is replaced by a free one", async () => {
    const { store, close } = shared();
    // Both servers start their search at the same place: without reservations they would collide.
    const one = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28", shared: store, random: () => 0 });
    const two = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28", shared: store, random: () => 0 });
    const a = await createShared(one, svc("a", { type: "NodePort" }));
    const b = await createShared(two, svc("b", { type: "NodePort", ports: [{ port: 53, protocol: "TCP" }, { port: 53, protocol: "UDP" }] }));
    expect(b.spec.clusterIP).not.toBe(a.spec.clusterIP);
    expect(b.spec.clusterIPs).toEqual([b.spec.clusterIP]);
    expect(b.spec.ports[0].nodePort).not.toBe(a.spec.ports[0].nodePort);
    // One port number over two protocols keeps one node port, also when it was replaced.
    expect(b.spec.ports[1].nodePort).toBe(b.spec.ports[0].nodePort);
    // The value `two` lost stays marked taken there: it is the other server's.
    expect(two.isAllocatedIP(a.spec.clusterIP)).toBe(true);
    expect(reservations(store)).toEqual([
      `${RESERVATION_PREFIX}nodeports/${a.spec.ports[0].nodePort}`,
      `${RESERVATION_PREFIX}nodeports/${b.spec.ports[0].nodePort}`,
      `${RESERVATION_PREFIX}serviceips/${a.spec.clusterIP}`,
      `${RESERVATION_PREFIX}serviceips/${b.spec.clusterIP}`,
    ].sort());
    await close();
  });

  test("a cluster IP or node port asked for that the other server reserved is a 422; the write reserves nothing", async () => {
    const { store, close } = shared();
    const one = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28", shared: store });
    const two = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28", shared: store });
    await createShared(one, svc("a", { clusterIP: "10.96.0.7", type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] }));
    const before = reservations(store);
    const ip = await createShared(two, svc("b", { clusterIP: "10.96.0.7" })).catch((e) => e);
    expect(ip.status.details.causes[0]).toMatchObject({ field: "spec.clusterIP", message: "Invalid value: \"10.96.0.7\": failed to allocate IP 10.96.0.7: provided IP is already allocated" });
    const port = await createShared(two, svc("c", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] })).catch((e) => e);
    expect(port.status.details.causes[0]).toMatchObject({ field: "spec.ports[0].nodePort", message: "Invalid value: 30080: provided port is already allocated" });
    expect(reservations(store)).toEqual(before);
    // The same service created by a server that has not seen it yet (both servers ensure the
    // kubernetes service at start): its reservation is the service's own, so the store decides
    // (AlreadyExists), and a failed write would not give the reservation back.
    const three = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28", shared: store });
    const again = three.begin(SERVICES, svc("a", { clusterIP: "10.96.0.7" }), undefined)!;
    await again.reserve!();
    await again.revert();
    expect(reservations(store)).toEqual(before);
    await close();
  });

  test("a deleted service's values are free for every server; repair adds missing reservations and drops stale ones", async () => {
    const { store, close } = shared();
    let now = new Date("2026-12-01T00:00:00Z");
    const one = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28", shared: store, now: () => now });
    const a = await createShared(one, svc("a", { clusterIP: "10.96.0.7" }));
    await one.begin(SERVICES, undefined, a)!.commit();
    expect(reservations(store)).toEqual([]);
    const two = new ServiceAllocator({ serviceCIDR: "10.96.0.0/28", shared: store });
    expect((await createShared(two, svc("b", { clusterIP: "10.96.0.7" }))).spec.clusterIP).toBe("10.96.0.7");

    // Repair: a service stored without its reservation gets one; a reservation of no service
    // goes once it is older than the grace period (a younger one may be a write in flight).
    await store.create("/core/services/default/old", svc("old", { clusterIP: "10.96.0.9" }));
    await store.create(`${RESERVATION_PREFIX}serviceips/10.96.0.11`, { apiVersion: "kubun.io/v1", kind: "ServiceIPReservation", metadata: { name: "10.96.0.11", creationTimestamp: "2026-12-01T00:00:00Z" } } as KubeObject);
    expect(await one.repair(store)).toEqual({ created: 1, removed: 0 });
    now = new Date("2026-12-01T01:00:00Z");
    expect(await one.repair(store)).toEqual({ created: 0, removed: 1 });
    expect(reservations(store)).toEqual([`${RESERVATION_PREFIX}serviceips/10.96.0.7`, `${RESERVATION_PREFIX}serviceips/10.96.0.9`]);
    await close();
  });
});
