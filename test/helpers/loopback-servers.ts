// Loopback servers and clients for the forwarder tests and the proxy bench.
import type { Socket, TCPSocketListener } from "bun";

/** Echoes every byte back; answers FIN with FIN once it has echoed everything. */
export function echoServer(hostname = "127.0.0.1", port = 0): TCPSocketListener<{ queue: Uint8Array[]; ended: boolean }> {
  const flush = (s: Socket<{ queue: Uint8Array[]; ended: boolean }>) => {
    const q = s.data.queue;
    while (q.length > 0) {
      const n = s.write(q[0]!);
      if (n < q[0]!.byteLength) {
        q[0] = q[0]!.subarray(Math.max(n, 0));
        s.pause();
        return;
      }
      q.shift();
    }
    s.resume();
    if (s.data.ended) s.shutdown();
  };
  return Bun.listen<{ queue: Uint8Array[]; ended: boolean }>({
    hostname,
    port,
    allowHalfOpen: true,
    socket: {
      open(s) {
        s.data = { queue: [], ended: false };
      },
      data(s, d) {
        s.data.queue.push(d);
        if (s.data.queue.length === 1) flush(s);
      },
      drain: flush,
      end(s) {
        s.data.ended = true;
        if (s.data.queue.length === 0) s.shutdown();
      },
    },
  });
}

/** Answers each connection with `reply(received bytes)` once the client has sent FIN. */
export function replyOnEndServer(hostname: string, reply: (received: number) => string): TCPSocketListener<{ n: number }> {
  return Bun.listen<{ n: number }>({
    hostname,
    port: 0,
    allowHalfOpen: true,
    socket: {
      open(s) {
        s.data = { n: 0 };
      },
      data(s, d) {
        s.data.n += d.byteLength;
      },
      end(s) {
        s.write(reply(s.data.n));
        s.shutdown();
      },
    },
  });
}

export interface Exchange {
  received: Buffer;
  /** The error the connection closed with (ECONNRESET...), if any. */
  error?: string;
}

/**
 * Connects, sends `payload` (respecting back-pressure), then half-closes when `halfClose` (the
 * default), and collects everything received until the connection closes.
 */
export function exchange(hostname: string, port: number, payload: Uint8Array, halfClose = true): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let failure: Error | undefined;
    let offset = 0;
    const pump = (s: Socket) => {
      while (offset < payload.byteLength) {
        const n = s.write(payload, offset, Math.min(1 << 20, payload.byteLength - offset));
        if (n <= 0) return;
        offset += n;
      }
      if (halfClose) s.shutdown();
    };
    Bun.connect({
      hostname,
      port,
      allowHalfOpen: true,
      socket: {
        open: pump,
        drain: pump,
        data(_s, d) {
          chunks.push(d);
        },
        close(_s, error) {
          const e = error ?? failure;
          resolve({ received: Buffer.concat(chunks), error: e ? (e as NodeJS.ErrnoException).code ?? e.message : undefined });
        },
        error(_s, error) {
          failure = error;
        },
        connectError(_s, error) {
          reject(error);
        },
      },
    }).catch(reject);
  });
}
