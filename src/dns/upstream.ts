// Forwarding names that are not the cluster's to the node's own resolver, as CoreDNS's
// `forward . /etc/resolv.conf` does: the query goes out as it came (same id), over the transport
// the client used, and the reply comes back as it is. No answer in time: undefined (SERVFAIL).
import { readFileSync } from "node:fs";

export interface Upstream {
  hostname: string;
  port: number;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2000;

/** The first nameserver of a resolv.conf that is not one of `exclude` (the cluster DNS itself). */
export function upstreamFromResolvConf(text: string, exclude: readonly string[] = []): Upstream | undefined {
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key !== "nameserver" || !value || exclude.includes(value)) continue;
    // A loopback stub (systemd-resolved's 127.0.0.53) still answers us: we run on the host.
    return { hostname: value, port: 53 };
  }
  return undefined;
}

export function hostUpstream(exclude: readonly string[] = [], path = "/etc/resolv.conf"): Upstream | undefined {
  try {
    return upstreamFromResolvConf(readFileSync(path, "utf8"), exclude);
  } catch {
    return undefined;
  }
}

export async function forwardUdp(query: Uint8Array, upstream: Upstream, timeoutMs: number): Promise<Uint8Array | undefined> {
  const id = (query[0]! << 8) | query[1]!;
  let socket: Awaited<ReturnType<typeof Bun.udpSocket<"uint8array">>> | undefined;
  try {
    return await new Promise<Uint8Array | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      Bun.udpSocket({
        binaryType: "uint8array",
        connect: { hostname: upstream.hostname, port: upstream.port },
        socket: {
          data(_s, data) {
            // Stray datagrams (a late reply to an earlier query) do not answer this one.
            if (data.byteLength < 2 || ((data[0]! << 8) | data[1]!) !== id) return;
            clearTimeout(timer);
            resolve(data.slice());
          },
          error() {
            clearTimeout(timer);
            resolve(undefined);
          },
        },
      }).then(
        (s) => {
          socket = s;
          try {
            s.send(query);
          } catch {
            // An unreachable upstream refuses at once (ECONNREFUSED on the connected socket).
            clearTimeout(timer);
            resolve(undefined);
          }
        },
        () => {
          clearTimeout(timer);
          resolve(undefined);
        },
      );
    });
  } finally {
    socket?.close();
  }
}

export async function forwardTcp(query: Uint8Array, upstream: Upstream, timeoutMs: number): Promise<Uint8Array | undefined> {
  let received = new Uint8Array(0);
  let done: (r: Uint8Array | undefined) => void = () => {};
  const result = new Promise<Uint8Array | undefined>((resolve) => (done = resolve));
  const timer = setTimeout(() => done(undefined), timeoutMs);
  const socket = await Bun.connect({
    hostname: upstream.hostname,
    port: upstream.port,
    socket: {
      open(s) {
        const framed = new Uint8Array(query.byteLength + 2);
        framed[0] = query.byteLength >> 8;
        framed[1] = query.byteLength & 0xff;
        framed.set(query, 2);
        s.write(framed);
      },
      data(_s, data) {
        const next = new Uint8Array(received.byteLength + data.byteLength);
        next.set(received);
        next.set(data, received.byteLength);
        received = next;
        if (received.byteLength >= 2) {
          const length = (received[0]! << 8) | received[1]!;
          if (received.byteLength >= length + 2) done(received.slice(2, 2 + length));
        }
      },
      close() {
        done(undefined);
      },
      connectError() {
        done(undefined);
      },
    },
  }).catch(() => undefined);
  try {
    return await result;
  } finally {
    clearTimeout(timer);
    socket?.terminate();
  }
}
