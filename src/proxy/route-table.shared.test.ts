// One suite, both RouteTable implementations: the TypeScript reference and the wasm table.
import { describe, expect, test } from "bun:test";
import type { Endpoint, RouteTable } from "./route-table.ts";
import { createTsRouteTable } from "./ts-route-table.ts";
import { ensureRouteTableBuilt } from "./wasm-route-loader.ts";
import { createWasmRouteTable } from "./wasm-route-table.ts";

await ensureRouteTableBuilt();

const implementations: [string, () => RouteTable][] = [
  ["ts", createTsRouteTable],
  ["wasm", createWasmRouteTable],
];

const ep = (n: number, port = 8080): Endpoint => ({ ip: `10.244.0.${n}`, port });
const name = (e: Endpoint | undefined) => (e ? `${e.ip}:${e.port}` : "none");
const picks = (t: RouteTable, n: number, client = "10.0.0.1", now = 0, key = "default/web") =>
  Array.from({ length: n }, () => name(t.pick(key, client, now)));
const HOUR = 3600_000;

describe.each(implementations)("%s route table", (_impl, make) => {
  test("unknown services and services without endpoints pick nothing", () => {
    const t = make();
    expect(t.pick("default/nope", "10.0.0.1", 0)).toBeUndefined();
    t.setEndpoints("default/web", []);
    expect(t.pick("default/web", "10.0.0.1", 0)).toBeUndefined();
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 10 });
    expect(t.pick("default/web", "10.0.0.1", 0)).toBeUndefined();
  });

  test("round robin visits the endpoints in order, duplicates once", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2), ep(1), ep(3)]);
    expect(picks(t, 7)).toEqual(["1", "2", "3", "1", "2", "3", "1"].map((n) => `10.244.0.${n}:8080`));
  });

  test("the same address on another port is another endpoint", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1, 80), ep(1, 81)]);
    expect(picks(t, 2)).toEqual(["10.244.0.1:80", "10.244.0.1:81"]);
  });

  test("services rotate independently", () => {
    const t = make();
    t.setEndpoints("a", [ep(1), ep(2)]);
    t.setEndpoints("b", [ep(3), ep(4)]);
    expect([name(t.pick("a", "c", 0)), name(t.pick("b", "c", 0)), name(t.pick("a", "c", 0))])
      .toEqual(["10.244.0.1:8080", "10.244.0.3:8080", "10.244.0.2:8080"]);
  });

  test("removed endpoints are not picked again; new ones fill the free places", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2), ep(3)]);
    expect(picks(t, 1)).toEqual(["10.244.0.1:8080"]);
    t.setEndpoints("default/web", [ep(1), ep(3)]);
    expect(picks(t, 4)).toEqual(["10.244.0.3:8080", "10.244.0.1:8080", "10.244.0.3:8080", "10.244.0.1:8080"]);
    t.setEndpoints("default/web", [ep(1), ep(3), ep(4)]);
    expect(picks(t, 3)).toEqual(["10.244.0.4:8080", "10.244.0.3:8080", "10.244.0.1:8080"]);
  });

  test("many endpoints all get their turn", () => {
    const t = make();
    const all = Array.from({ length: 100 }, (_, i) => ep(i + 1));
    t.setEndpoints("default/web", all);
    expect(new Set(picks(t, 100)).size).toBe(100);
    t.setEndpoints("default/web", all.slice(0, 10));
    expect(new Set(picks(t, 100)).size).toBe(10);
  });

  test("ClientIP affinity keeps a client on its endpoint while others rotate", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2), ep(3)]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 10800 });
    const first = picks(t, 1, "192.168.1.10")[0];
    expect(picks(t, 5, "192.168.1.10", HOUR)).toEqual(Array(5).fill(first));
    expect(picks(t, 1, "192.168.1.11")).toEqual(["10.244.0.2:8080"]);
    expect(picks(t, 1, "192.168.1.12")).toEqual(["10.244.0.3:8080"]);
  });

  test("a pin expires after the timeout of inactivity, and each use extends it", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2)]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 10 });
    expect(picks(t, 1, "192.168.1.10", 0)).toEqual(["10.244.0.1:8080"]);
    expect(picks(t, 1, "192.168.1.10", 9_000)).toEqual(["10.244.0.1:8080"]);
    expect(picks(t, 1, "192.168.1.10", 18_999)).toEqual(["10.244.0.1:8080"]);
    expect(picks(t, 1, "192.168.1.10", 28_999)).toEqual(["10.244.0.2:8080"]);
  });

  test("a client pinned to a removed endpoint is re-pinned; the endpoint coming back does not revive the pin", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2)]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 60 });
    expect(picks(t, 1, "192.168.1.10")).toEqual(["10.244.0.1:8080"]);
    t.setEndpoints("default/web", [ep(2)]);
    expect(picks(t, 2, "192.168.1.10")).toEqual(["10.244.0.2:8080", "10.244.0.2:8080"]);
    t.setEndpoints("default/web", [ep(1), ep(2)]);
    expect(picks(t, 1, "192.168.1.10")).toEqual(["10.244.0.2:8080"]);
    // Removed and back before the client returns: same address, same place, still a new endpoint.
    expect(picks(t, 1, "192.168.1.11")).toEqual(["10.244.0.1:8080"]);
    t.setEndpoints("default/web", [ep(2)]);
    t.setEndpoints("default/web", [ep(1), ep(2)]);
    expect(picks(t, 1, "192.168.1.11")).toEqual(["10.244.0.2:8080"]);
  });

  test("turning affinity off drops the pins; a new timeout applies from the next use", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2)]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 60 });
    expect(picks(t, 1, "192.168.1.10")).toEqual(["10.244.0.1:8080"]);
    t.setAffinity("default/web", { clientIP: false, timeoutSeconds: 60 });
    expect(picks(t, 2, "192.168.1.10")).toEqual(["10.244.0.2:8080", "10.244.0.1:8080"]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 1 });
    expect(picks(t, 2, "192.168.1.10", 0)).toEqual(["10.244.0.2:8080", "10.244.0.2:8080"]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 100 });
    expect(picks(t, 1, "192.168.1.10", 999)).toEqual(["10.244.0.2:8080"]);
    expect(picks(t, 1, "192.168.1.10", 90_000)).toEqual(["10.244.0.2:8080"]);
  });

  test("thousands of clients keep their pins (the affinity table grows)", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2), ep(3)]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 60 });
    const clients = Array.from({ length: 5000 }, (_, i) => `172.16.${i >> 8}.${i & 255}`);
    const first = clients.map((c) => name(t.pick("default/web", c, 0)));
    expect(clients.map((c) => name(t.pick("default/web", c, 1000)))).toEqual(first);
    expect(new Set(first).size).toBe(3);
  });

  test("IPv6 and IPv4-mapped clients are pinned too", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2)]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 60 });
    expect(picks(t, 1, "fd00::1")).toEqual(["10.244.0.1:8080"]);
    expect(picks(t, 1, "::ffff:192.168.1.10")).toEqual(["10.244.0.2:8080"]);
    expect(picks(t, 1, "192.168.1.10")).toEqual(["10.244.0.2:8080"]);
    expect(picks(t, 1, "fd00::1")).toEqual(["10.244.0.1:8080"]);
  });

  test("a removed service picks nothing and comes back fresh", () => {
    const t = make();
    t.setEndpoints("default/web", [ep(1), ep(2)]);
    t.setAffinity("default/web", { clientIP: true, timeoutSeconds: 60 });
    picks(t, 1, "192.168.1.10");
    t.removeService("default/web");
    t.removeService("default/web");
    expect(t.pick("default/web", "192.168.1.10", 0)).toBeUndefined();
    t.setEndpoints("default/web", [ep(2), ep(1)]);
    expect(picks(t, 2, "192.168.1.10")).toEqual(["10.244.0.2:8080", "10.244.0.1:8080"]);
  });

  test.each([
    ["an IPv6 endpoint", [{ ip: "fd00::1", port: 80 }]],
    ["a host name", [{ ip: "web.local", port: 80 }]],
    ["port 0", [{ ip: "10.0.0.1", port: 0 }]],
    ["port 65536", [{ ip: "10.0.0.1", port: 65536 }]],
  ])("rejects %s", (_what, endpoints) => {
    expect(() => make().setEndpoints("default/web", endpoints)).toThrow();
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("rejects an affinity timeout of %p seconds", (timeoutSeconds) => {
    expect(() => make().setAffinity("default/web", { clientIP: true, timeoutSeconds })).toThrow(RangeError);
  });
});
