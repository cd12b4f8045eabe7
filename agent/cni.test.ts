import { describe, expect, test } from "bun:test";
import { bridgeName, cniConflist, gatewayOf, networkOf } from "./cni.ts";

describe("cni", () => {
  test.each([
    ["10.42.0.0/24", "10.42.0.1", "10.42.0.0/24"],
    ["10.42.3.0/24", "10.42.3.1", "10.42.3.0/24"],
    ["10.42.3.9/24", "10.42.3.1", "10.42.3.0/24"],
    ["10.88.0.0/16", "10.88.0.1", "10.88.0.0/16"],
  ])("%s → gateway %s, network %s", (cidr, gw, net) => {
    expect(gatewayOf(cidr)).toBe(gw);
    expect(networkOf(cidr)).toBe(net);
  });

  test("rejects what is not an IPv4 CIDR", () => {
    expect(() => gatewayOf("fd00::/64")).toThrow();
    expect(() => gatewayOf("10.0.0.0")).toThrow();
  });

  test("bridge names fit an interface name and differ per data dir", () => {
    const a = bridgeName("/var/lib/kubun/a");
    expect(a.length).toBeLessThanOrEqual(15);
    expect(a).not.toBe(bridgeName("/var/lib/kubun/b"));
    expect(a).toBe(bridgeName("/var/lib/kubun/a"));
  });

  test("conflist puts the podCIDR in host-local with the bridge as gateway", () => {
    const c = cniConflist({ name: "kubun", bridge: "kubun0", podCIDR: "10.42.7.0/24", ipamDir: "/d/ipam" }) as any;
    expect(c.plugins[0].bridge).toBe("kubun0");
    expect(c.plugins[0].ipam.ranges[0][0]).toEqual({ subnet: "10.42.7.0/24", gateway: "10.42.7.1" });
    expect(c.plugins[0].ipam.dataDir).toBe("/d/ipam");
    expect(c.plugins[1].type).toBe("portmap");
  });
});
