// The pod network: a CNI bridge conflist for this node's podCIDR (bridge + host-local + portmap;
// containerd runs loopback itself). Each agent gets its own bridge name so that several agents,
// each with its own containerd, can share one machine.
import { createHash } from "node:crypto";

/** A Linux interface name (at most 15 bytes) unique to this agent's data dir. */
export function bridgeName(dataDir: string): string {
  return `kubun${createHash("sha256").update(dataDir).digest("hex").slice(0, 8)}`;
}

/** The first usable address of an IPv4 CIDR: the bridge's (gateway) address. */
export function gatewayOf(cidr: string): string {
  const [addr, bits] = cidr.split("/");
  const parts = addr!.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255)) || bits === undefined) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const prefix = Number(bits);
  const n = (((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0) & (prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0);
  const gw = (n + 1) >>> 0;
  return [gw >>> 24, (gw >>> 16) & 255, (gw >>> 8) & 255, gw & 255].join(".");
}

/** The network part of the CIDR, e.g. 10.42.1.7/24 → 10.42.1.0/24 (host-local insists on it). */
export function networkOf(cidr: string): string {
  const [, bits] = cidr.split("/");
  const gw = gatewayOf(cidr).split(".").map(Number);
  gw[3] = gw[3]! - 1;
  return `${gw.join(".")}/${bits}`;
}

export interface CniConfigOptions {
  /** conflist name: also the network name containerd reports. */
  name: string;
  bridge: string;
  podCIDR: string;
  /** host-local's allocation store. */
  ipamDir: string;
  /** Masquerade traffic leaving the pod network (on for real nodes; tests may turn it off). */
  ipMasq?: boolean;
}

export function cniConflist(opts: CniConfigOptions): object {
  const subnet = networkOf(opts.podCIDR);
  return {
    cniVersion: "1.0.0",
    name: opts.name,
    plugins: [
      {
        type: "bridge",
        bridge: opts.bridge,
        isGateway: true,
        ipMasq: opts.ipMasq ?? false,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet, gateway: gatewayOf(subnet) }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: opts.ipamDir,
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}

/**
 * A bridge left by an earlier run with another podCIDR's gateway (the node was deleted and
 * registered again, and got a new range) makes the bridge plugin fail every sandbox with "already
 * has an IP address different from ...": remove it, and the plugin makes it again for this range.
 * Pods on the old range could not have kept their addresses anyway.
 */
export async function removeStaleBridge(bridge: string, podCIDR: string, log: (msg: string) => void): Promise<void> {
  const show = Bun.spawn(["ip", "-4", "-o", "addr", "show", "dev", bridge], { stdout: "pipe", stderr: "ignore" });
  const [out, code] = await Promise.all([new Response(show.stdout).text(), show.exited]);
  if (code !== 0) return; // no such bridge yet
  const addresses = [...out.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
  if (addresses.length === 0 || addresses.includes(gatewayOf(podCIDR))) return;
  const del = Bun.spawn(["ip", "link", "del", bridge], { stdout: "ignore", stderr: "pipe" });
  const [err, delCode] = await Promise.all([new Response(del.stderr).text(), del.exited]);
  if (delCode !== 0) throw new Error(`removing bridge ${bridge} (addresses ${addresses.join(", ")}, podCIDR now ${podCIDR}) failed: ${err.trim()}`);
  log(`bridge ${bridge} had ${addresses.join(", ")}, not this node's podCIDR ${podCIDR}: removed it`);
}
