// The host interface the proxy binds ClusterIPs on (kube-proxy IPVS mode's kube-ipvs0): each
// ClusterIP is a /32 local address there, so the kernel delivers traffic for it to the proxy's
// listeners, from the host itself and from pods routed to the host through their bridge. The
// proxy owns the interface: it deletes a stale one at start and removes it on stop.

/** The addresses the proxy puts on the host; a fake in tests that do not run as root. */
export interface ServiceAddresses {
  readonly name: string;
  /** Creates the interface (replacing a stale one of the same name). */
  create(): Promise<void>;
  add(ip: string): Promise<void>;
  remove(ip: string): Promise<void>;
  /** Deletes the interface and with it every address. */
  destroy(): Promise<void>;
}

export const DEFAULT_SERVICE_INTERFACE = "kubun-svc0";

async function ip(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const p = Bun.spawn(["ip", ...args], { stdout: "ignore", stderr: "pipe" });
  const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  return { ok: code === 0, stderr: stderr.trim() };
}

async function must(args: string[]): Promise<void> {
  const r = await ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

/** The interface made with `ip link` (needs CAP_NET_ADMIN). */
export function linkServiceAddresses(name = DEFAULT_SERVICE_INTERFACE): ServiceAddresses {
  if (name.length > 15) throw new Error(`interface name ${name} is longer than 15 characters`);
  return {
    name,
    async create() {
      await ip(["link", "del", name]);
      // A dummy link where the kernel has the module; otherwise a bridge without ports, which
      // holds local addresses the same way (containers' hosts often lack the dummy module).
      const dummy = await ip(["link", "add", name, "type", "dummy"]);
      if (!dummy.ok) await must(["link", "add", name, "type", "bridge"]);
      await must(["link", "set", name, "up"]);
    },
    async add(address) {
      const r = await ip(["addr", "add", `${address}/32`, "dev", name]);
      if (!r.ok && !r.stderr.includes("File exists")) throw new Error(`ip addr add ${address}/32 dev ${name}: ${r.stderr}`);
    },
    async remove(address) {
      const r = await ip(["addr", "del", `${address}/32`, "dev", name]);
      if (!r.ok && !/Cannot assign|not found|Cannot find/i.test(r.stderr)) throw new Error(`ip addr del ${address}/32 dev ${name}: ${r.stderr}`);
    },
    async destroy() {
      await ip(["link", "del", name]);
    },
  };
}
