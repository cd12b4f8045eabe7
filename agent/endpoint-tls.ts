// The agent endpoint's TLS front: kubelet admits only the API server to its port, by the identity
// of its client certificate. Bun.serve checks that a client certificate chains to the cluster CA
// but cannot show which one it was (Bun 1.4: no peer certificate on its requests, and
// node:https's req.socket has no getPeerCertificate either), while node:tls does. So node:tls
// terminates TLS, admits only the allowed common names (others get 403) and pipes each admitted
// connection to the plain Bun.serve (logs, exec, attach, portforward) on a unix socket in the
// data dir, which only root reaches.
import { connect } from "node:net";
import { createServer, type TLSSocket } from "node:tls";

/** The API server's client certificate's common name (src/cli/data-dir.ts issues it). */
export const APISERVER_KUBELET_CLIENT = "kube-apiserver-kubelet-client";

export interface ClientCertGateOptions {
  port: number;
  hostname: string;
  /** The agent's serving certificate and key. */
  cert: string;
  key: string;
  /** The cluster CA: client certificates must chain to it. */
  ca: string;
  /** Subject common names let through. */
  allowedCommonNames: readonly string[];
  /** Unix socket of the server the admitted connections are piped to. */
  upstream: string;
}

export interface ClientCertGate {
  port: number;
  stop(): Promise<void>;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;

function forbidden(who: string): string {
  const body = `Forbidden (user=${who}): only the API server's client certificate may use this endpoint\n`;
  return `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** The subject common name of the peer's certificate, if it sent one the CA signed. */
export function peerCommonName(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn || undefined;
}

export async function startClientCertGate(opts: ClientCertGateOptions): Promise<ClientCertGate> {
  const open = new Set<{ destroy(): void }>();
  const server = createServer({ cert: opts.cert, key: opts.key, ca: opts.ca, requestCert: true, rejectUnauthorized: true }, (socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
    const cn = peerCommonName(socket);
    if (!cn || !opts.allowedCommonNames.includes(cn)) {
      // Answer once the request has arrived: closing on unread data would reset the connection
      // before the client reads the 403.
      socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy());
      socket.once("data", () => socket.end(forbidden(cn ?? "anonymous")));
      return;
    }
    const upstream = connect(opts.upstream);
    open.add(upstream);
    upstream.on("close", () => open.delete(upstream));
    upstream.on("error", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
    upstream.on("close", () => socket.destroy());
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.hostname, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : opts.port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of open) s.destroy();
      await closed;
    },
  };
}
