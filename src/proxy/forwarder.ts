// The proxy's listeners: one per (protocol, address, port), each forwarding to the endpoint its
// route picks (tcp-forwarder.ts, udp-forwarder.ts). The service watcher keeps this in step with
// the Services: listen() for every ClusterIP and NodePort port, with a route that asks the
// routing table; close() when a port goes away. Closing stops accepting but never cuts what is
// established: open connections drain, UDP flows expire.
import { lazySplicer, type Splicer } from "./splicer.ts";
import { type Route, type TcpForwarder, listenTcp } from "./tcp-forwarder.ts";
import { type UdpForwarder, listenUdp } from "./udp-forwarder.ts";

export type { Route } from "./tcp-forwarder.ts";

export type Protocol = "TCP" | "UDP";

export interface ListenAddress {
  protocol: Protocol;
  hostname: string;
  port: number;
}

export interface ForwarderOptions {
  /** Idle timeout of UDP flows (default 30 s). */
  udpIdleTimeoutMs?: number;
  /**
   * How TCP connections move their bytes: "copy" through Bun's socket callbacks; "splice" in the
   * kernel (splice(2) from a worker thread) from the start; "auto", the default: copy, and
   * splice a connection once it streams (where splice is available). "splice" throws where it
   * is not.
   */
  tcpForwarding?: TcpForwarding;
}

export type TcpForwarding = "auto" | "splice" | "copy";

type Listener = TcpForwarder | UdpForwarder;

const keyOf = (a: ListenAddress) => `${a.protocol}|${a.hostname}|${a.port}`;

export class Forwarder {
  private readonly listeners = new Map<string, Listener>();
  /** Made with the first TCP listener that splices; false where splice is unavailable. */
  private splicer: Splicer | false | undefined;

  constructor(private readonly options: ForwarderOptions = {}) {}

  /**
   * Forwards (protocol, hostname, port) with `route`, or points an existing listener at the new
   * route. Resolves to the bound port (the one asked for, or a free one for port 0).
   */
  async listen(address: ListenAddress, route: Route): Promise<number> {
    const key = keyOf(address);
    const existing = this.listeners.get(key);
    if (existing) {
      existing.setRoute(route);
      return existing.port;
    }
    const listener =
      address.protocol === "TCP"
        ? listenTcp({
            hostname: address.hostname, port: address.port, route,
            splicer: this.tcpSplicer(), spliceAfterBytes: this.options.tcpForwarding === "splice" ? 0 : undefined,
          })
        : await listenUdp({ hostname: address.hostname, port: address.port, route, idleTimeoutMs: this.options.udpIdleTimeoutMs });
    // Port 0 binds a free port: register under the real one, so close() finds it.
    this.listeners.set(keyOf({ ...address, port: listener.port }), listener);
    return listener.port;
  }

  /** Stops accepting on the address; established connections and flows carry on. */
  close(address: ListenAddress): void {
    const key = keyOf(address);
    this.listeners.get(key)?.stop();
    this.listeners.delete(key);
  }

  /** The addresses being listened on. */
  addresses(): ListenAddress[] {
    return [...this.listeners.keys()].map((k) => {
      const [protocol, hostname, port] = k.split("|") as [Protocol, string, string];
      return { protocol, hostname, port: Number(port) };
    });
  }

  /** Connections (TCP) and flows (UDP) in progress on the address. */
  active(address: ListenAddress): number {
    const l = this.listeners.get(keyOf(address));
    if (!l) return 0;
    return "connections" in l ? l.connections : l.flows;
  }

  /** Shuts everything down, resetting established connections (process exit, tests). */
  closeAll(): void {
    for (const l of this.listeners.values()) l.closeAll();
    this.listeners.clear();
    if (this.splicer) this.splicer.stop();
    this.splicer = undefined;
  }

  private tcpSplicer(): Splicer | undefined {
    const mode = this.options.tcpForwarding ?? "auto";
    if (mode === "copy") return undefined;
    // Its worker thread starts with the first connection worth splicing (lazySplicer), not with
    // the first listener: every node listens for the kubernetes Service, few stream through it.
    if (this.splicer === undefined) this.splicer = lazySplicer({}, mode === "splice") ?? false;
    if (!this.splicer && mode === "splice") {
      throw new Error("TCP forwarding by splice is unavailable here (it needs Linux, libc through bun:ffi and a worker thread)");
    }
    return this.splicer || undefined;
  }

}
