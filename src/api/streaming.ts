// Streaming subresources (pods/exec, pods/attach, pods/portforward), kube-apiserver's model: the
// client's WebSocket upgrade is answered here, and every message is relayed unchanged to a
// WebSocket the API server opens to the pod's agent, which speaks the same protocol to the
// container. The relay never interprets the channel bytes, so v5/v4 remotecommand framing and
// the SPDY-over-WebSocket port-forward tunnel pass through alike.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { Context } from "hono";
import { badRequest, serviceUnavailable } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import { agentEndpoint, type AgentClientTls } from "./pod-logs.ts";
import type { Storage } from "./storage.ts";

/** Remote command protocols, most preferred first. v5 adds the stdin close signal (channel 255). */
export const REMOTE_COMMAND_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
/** kubectl 1.30+ tunnels SPDY port-forwarding through a WebSocket with this subprotocol. */
export const PORT_FORWARD_PROTOCOLS = ["SPDY/3.1+portforward.k8s.io"];
/**
 * The same tunnel between the API server and the agent: Bun's WebSocket client refuses "/" and
 * "+" in a subprotocol (RFC 6455 tokens), so this hop names it differently.
 */
export const AGENT_PORT_FORWARD_PROTOCOL = "portforward.tunnel.kubun.io";

export interface AgentTarget {
  /** wss:// URL of the agent's streaming endpoint. */
  url: string;
  /** The client certificate to present and the CA to check the agent with (mutual TLS, as for pods/log). */
  tls: AgentClientTls;
}

/** Where the stream of a pod goes: its node's agent. */
export type AgentStreams = (pod: KubeObject, path: string) => AgentTarget;

const NODES = findResource("", "v1", "nodes")!;

export function agentStreams(storage: Storage, tls: AgentClientTls): AgentStreams {
  return (pod, path) => {
    const nodeName = (pod as Record<string, any>).spec?.nodeName as string;
    const base = agentEndpoint(storage.get(NODES, undefined, nodeName) as Record<string, any>);
    if (!base) throw serviceUnavailable(`node "${nodeName}" publishes no agent endpoint for streaming`);
    return { url: `${base.replace(/^https/, "wss")}${path}`, tls };
  };
}

/** The subprotocol to answer with: the first of `supported` the client offers. */
export function negotiateProtocol(offered: string | undefined, supported: string[]): string | undefined {
  const list = (offered ?? "").split(",").map((p) => p.trim());
  return supported.find((p) => list.includes(p));
}

/** One relayed stream; lives in the client socket's data. */
export class StreamRelay {
  private upstream?: WebSocket;
  private pending: (string | Uint8Array)[] = [];
  private client?: ServerWebSocket<StreamSocketData>;

  constructor(
    private readonly target: AgentTarget,
    private readonly protocol: string,
  ) {}

  open(client: ServerWebSocket<StreamSocketData>): void {
    this.client = client;
    const protocol = PORT_FORWARD_PROTOCOLS.includes(this.protocol) ? AGENT_PORT_FORWARD_PROTOCOL : this.protocol;
    let upstream: WebSocket;
    try {
      // Bun's WebSocket client takes TLS options, which the browser API has no room for.
      upstream = new WebSocket(this.target.url, { tls: this.target.tls, protocols: [protocol] } as any);
    } catch (err) {
      client.close(1011, (err as Error).message.slice(0, 120));
      return;
    }
    upstream.binaryType = "arraybuffer";
    this.upstream = upstream;
    upstream.onopen = () => {
      for (const m of this.pending) upstream.send(m);
      this.pending = [];
    };
    upstream.onmessage = (e) => {
      if (typeof e.data === "string") client.send(e.data);
      else client.send(new Uint8Array(e.data as ArrayBuffer));
    };
    upstream.onclose = (e) => client.close(e.code === 1005 || e.code === 1006 ? 1000 : e.code, e.reason);
    upstream.onerror = () => {
      // A remote command reports its failure on the error channel, as kubelet does when it cannot reach the runtime.
      if (this.protocol.includes("channel.k8s.io") && upstream.readyState !== WebSocket.OPEN) {
        const status = { metadata: {}, status: "Failure", message: "error dialing the agent of the pod's node", reason: "InternalError", code: 500 };
        client.send(new Uint8Array([3, ...new TextEncoder().encode(JSON.stringify(status))]));
      }
      client.close(1011, "agent connection failed");
    };
  }

  message(data: string | Uint8Array): void {
    if (this.upstream?.readyState === WebSocket.OPEN) this.upstream.send(data);
    else this.pending.push(data);
  }

  close(): void {
    const u = this.upstream;
    if (u && (u.readyState === WebSocket.OPEN || u.readyState === WebSocket.CONNECTING)) u.close();
  }
}

export interface StreamSocketData {
  relay: StreamRelay;
}

/** The `websocket` handler of the API server's Bun.serve: each socket's relay does the work. */
export const streamingWebSocket: WebSocketHandler<StreamSocketData> = {
  open: (ws) => ws.data.relay.open(ws),
  message: (ws, msg) => ws.data.relay.message(typeof msg === "string" ? msg : new Uint8Array(msg)),
  close: (ws) => ws.data.relay.close(),
  // Streams are as long-lived as the session (an interactive shell, a port-forward).
  idleTimeout: 0,
  maxPayloadLength: 16 * 1024 * 1024,
  // A client that stops reading its exec output or port-forward is disconnected once 8 MiB wait
  // for it, rather than held in memory without bound (or, Bun's default, dropped unseen).
  backpressureLimit: 8 * 1024 * 1024,
  closeOnBackpressureLimit: true,
};

/**
 * Answers the client's WebSocket upgrade with `protocol` and relays it to `target`. Bun hands
 * the server to the fetch handler, and Hono exposes it as c.env.
 */
export function upgradeAndRelay(c: Context, target: AgentTarget, protocol: string): Response {
  const server = c.env as Server<StreamSocketData> | undefined;
  if (typeof server?.upgrade !== "function") throw badRequest("streaming needs the API server's WebSocket support");
  const ok = server.upgrade(c.req.raw, {
    data: { relay: new StreamRelay(target, protocol) },
    headers: { "Sec-WebSocket-Protocol": protocol },
  });
  if (!ok) throw badRequest("Upgrade request required");
  // Bun ignores the response of an upgraded request; Hono still wants one.
  return new Response(null);
}

/** What a non-WebSocket request gets: kube-apiserver's answer when no upgrade is possible. */
export function requireWebSocket(c: Context, supported: string[]): string {
  if ((c.req.header("upgrade") ?? "").toLowerCase() !== "websocket") throw badRequest("Upgrade request required");
  const protocol = negotiateProtocol(c.req.header("sec-websocket-protocol"), supported);
  if (!protocol) throw badRequest(`unable to upgrade: none of the offered protocols is supported; supported: ${supported.join(", ")}`);
  return protocol;
}
