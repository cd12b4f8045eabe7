import { describe, expect, test } from "bun:test";
import type { Node } from "../src/apis/index.ts";
import { desiredRoutes, routeChanges, type HostRoute } from "./routes.ts";

const node = (name: string, podCIDR?: string, ip?: string): Node => ({
  metadata: { name },
  spec: podCIDR ? { podCIDR } : {},
  status: ip ? { addresses: [{ type: "Hostname", address: name }, { type: "InternalIP", address: ip }] } : {},
});

describe("desiredRoutes", () => {
  test.each([
    ["no other nodes", [node("a", "10.42.0.0/24", "192.168.1.1")], []],
    ["one route per other node", [node("a", "10.42.0.0/24", "192.168.1.1"), node("b", "10.42.1.0/24", "192.168.1.2")], [{ dst: "10.42.1.0/24", via: "192.168.1.2" }]],
    ["a node without podCIDR or address is skipped", [node("a", "10.42.0.0/24", "192.168.1.1"), node("b", undefined, "192.168.1.2"), node("c", "10.42.2.0/24")], []],
    ["our own podCIDR on another node is never routed away", [node("a", "10.42.0.0/24", "192.168.1.1"), node("b", "10.42.0.0/24", "192.168.1.2")], []],
    ["IPv6 podCIDRs are left alone", [node("a"), node("b", "fd00::/64", "192.168.1.2")], []],
  ] as [string, Node[], HostRoute[]][])("%s", (_name, nodes, want) => {
    expect(desiredRoutes(nodes, "a")).toEqual(want);
  });
});

describe("routeChanges", () => {
  const r = (dst: string, via: string): HostRoute => ({ dst, via });
  test.each([
    ["nothing to do", [r("10.42.1.0/24", "1.1.1.2")], [r("10.42.1.0/24", "1.1.1.2")], [], []],
    ["a new node", [r("10.42.1.0/24", "1.1.1.2")], [], [r("10.42.1.0/24", "1.1.1.2")], []],
    ["a node that moved", [r("10.42.1.0/24", "1.1.1.3")], [r("10.42.1.0/24", "1.1.1.2")], [r("10.42.1.0/24", "1.1.1.3")], []],
    ["a node that went", [], [r("10.42.1.0/24", "1.1.1.2")], [], [r("10.42.1.0/24", "1.1.1.2")]],
  ] as [string, HostRoute[], HostRoute[], HostRoute[], HostRoute[]][])("%s", (_name, desired, actual, replace, remove) => {
    expect(routeChanges(desired, actual)).toEqual({ replace, remove });
  });
});
