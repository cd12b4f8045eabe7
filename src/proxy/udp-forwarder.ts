// UDP forwarding for one (address, port), needed for DNS. Each client (address, port) is a flow
// with its own socket connected to the endpoint picked for its first datagram, so replies find
// their way back and every datagram of a flow reaches the same endpoint, as conntrack would do.
// Flows idle for the timeout are forgotten. There is no refusing a datagram: with no endpoint it
// is dropped (kube-proxy answers ICMP port unreachable, which needs a raw socket).
import type { udp } from "bun";
import type { Route } from "./tcp-forwarder.ts";

export interface UdpForwarderOptions {
  hostname: string;
  /** 0 picks a free port (tests). */
  port: number;
  route: Route;
  /** A flow without traffic for this long is closed (default 30 s, conntrack's UDP timeout). */
  idleTimeoutMs?: number;
}

export interface UdpForwarder {
  readonly hostname: string;
  readonly port: number;
  /** Client flows currently tracked. */
  readonly flows: number;
  setRoute(route: Route): void;
  /** Stops receiving; tracked flows keep relaying replies until they go idle. */
  stop(): void;
  /** Stops receiving and drops every flow. */
  closeAll(): void;
}

interface Flow {
  upstream?: udp.ConnectedSocket<"buffer">;
  /** Datagrams that arrived while the upstream socket was being created. */
  pending: Buffer[];
  lastActive: number;
  closed: boolean;
}

export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 30_000;

export async function listenUdp(options: UdpForwarderOptions): Promise<UdpForwarder> {
  let route = options.route;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_UDP_IDLE_TIMEOUT_MS;
  const flows = new Map<string, Flow>();
  let accepting = true;

  const listener = await Bun.udpSocket({
    hostname: options.hostname,
    port: options.port,
    socket: {
      data(_socket, data, port, address) {
        const key = `${address}|${port}`;
        const flow = flows.get(key);
        if (flow) {
          flow.lastActive = performance.now();
          if (flow.upstream) flow.upstream.send(data);
          else flow.pending.push(data);
          return;
        }
        const endpoint = accepting ? route(address) : undefined;
        if (endpoint) open(key, address, port, endpoint.ip, endpoint.port, data);
      },
    },
  });

  function close(key: string, flow: Flow): void {
    flow.closed = true;
    flow.pending = [];
    flow.upstream?.close();
    flows.delete(key);
  }

  function open(key: string, address: string, port: number, ip: string, endpointPort: number, first: Buffer): void {
    const flow: Flow = { pending: [first], lastActive: performance.now(), closed: false };
    flows.set(key, flow);
    Bun.udpSocket({
      connect: { hostname: ip, port: endpointPort },
      socket: {
        data(_socket, reply) {
          flow.lastActive = performance.now();
          if (!listener.closed) listener.send(reply, port, address);
        },
        error() {
          // ICMP errors (endpoint port closed): forget the flow, the next datagram picks again.
          close(key, flow);
        },
      },
    }).then(
      (upstream) => {
        if (flow.closed) return upstream.close();
        flow.upstream = upstream;
        for (const d of flow.pending) upstream.send(d);
        flow.pending = [];
      },
      () => close(key, flow),
    );
  }

  const sweeper = setInterval(() => {
    const deadline = performance.now() - idleMs;
    for (const [key, flow] of flows) if (flow.lastActive < deadline) close(key, flow);
    if (!accepting && flows.size === 0) {
      clearInterval(sweeper);
      listener.close();
    }
  }, Math.max(10, Math.min(1000, idleMs / 4)));
  sweeper.unref();

  return {
    hostname: listener.hostname,
    port: listener.port,
    get flows() {
      return flows.size;
    },
    setRoute(next) {
      route = next;
    },
    stop() {
      // The listening socket must stay open while flows live: replies are sent from it.
      accepting = false;
    },
    closeAll() {
      accepting = false;
      clearInterval(sweeper);
      for (const [key, flow] of flows) close(key, flow);
      listener.close();
    },
  };
}
