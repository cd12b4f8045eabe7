// TCP forwarding for one (address, port): each accepted connection is joined to the endpoint the
// route picks. Bytes go from one socket's data callback straight into the other socket's write
// (no extra copy); what
// the kernel does not take is queued and the sending side paused until `drain`, so
// back-pressure reaches the real sender in both directions. Either way half-close is kept: a
// FIN from one side becomes a FIN to the other once its queue is flushed, and the opposite
// direction keeps flowing. A reset on one side resets the other.
//
// With a splicer, a connection that turns out to stream (one read brings a large chunk) is
// handed to the splice worker (splicer.ts) and the kernel moves its bytes from then on, as
// HAProxy's `option splice-auto` does. Small exchanges stay here: per message, splicing costs
// more than copying (worker wake-up, three splice calls, pipes to set up per connection).
import type { Socket, SocketHandler, TCPSocketListener } from "bun";
import type { Endpoint } from "./route-table.ts";
import type { SplicedConnection, Splicer } from "./splicer.ts";

/** Picks the endpoint for a new connection from `clientIP`; undefined refuses it. */
export type Route = (clientIP: string) => Endpoint | undefined;

export interface TcpForwarderOptions {
  hostname: string;
  /** 0 picks a free port (tests). */
  port: number;
  route: Route;
  /** Hands streaming connections to splice(2); without it every byte is copied. */
  splicer?: Splicer;
  /**
   * With a splicer: a connection is handed over after a read of at least this many bytes (Bun
   * reads up to 512 KiB at once, so a big read means more was waiting). 0 hands every
   * connection over as soon as its endpoint accepts it. Default 64 KiB.
   */
  spliceAfterBytes?: number;
}

export const DEFAULT_SPLICE_AFTER_BYTES = 64 << 10;

export interface TcpForwarder {
  readonly hostname: string;
  readonly port: number;
  /** Connections being forwarded (established or connecting to their endpoint). */
  readonly connections: number;
  /** Of those, the ones the splice worker carries. */
  readonly spliced: number;
  /** Future connections use this route; established ones stay on their endpoint. */
  setRoute(route: Route): void;
  /** Stops accepting; established connections drain and close on their own. */
  stop(): void;
  /** Stops accepting and resets every established connection. */
  closeAll(): void;
}

/** One socket of a forwarded connection, and the bytes waiting to be written to it. */
interface Half {
  socket?: Socket<Half>;
  peer: Half;
  queue: Uint8Array[];
  /** The socket's peer sent FIN (or closed): nothing more will come from it. */
  readEnded: boolean;
  /** FIN was sent on this socket (after its queue emptied). */
  writeShut: boolean;
  /** Reading is paused until the peer's queue drains (resume() only then: each call costs epoll_ctl). */
  paused: boolean;
  closed: boolean;
  conn: Connection;
}

interface Connection {
  readonly client: Half;
  readonly upstream: Half;
  readonly live: Set<Connection>;
  /** Reset: every socket of it is terminated, the upstream one as soon as it connects. */
  reset: boolean;
  /** Cleared when the handover failed: the connection stays on the copy path. */
  splicer?: Splicer;
  readonly spliceAfterBytes: number;
  /** Set once the splice worker owns the connection: Bun's sockets are closed by then. */
  spliced?: SplicedConnection;
}

function newConnection(live: Set<Connection>, splicer: Splicer | undefined, spliceAfterBytes: number): Connection {
  const conn = { live, reset: false, splicer, spliceAfterBytes } as Connection & { client: Half; upstream: Half };
  const half = (): Half => ({ queue: [], readEnded: false, writeShut: false, paused: false, closed: false, conn, peer: undefined! });
  conn.client = half();
  conn.upstream = half();
  conn.client.peer = conn.upstream;
  conn.upstream.peer = conn.client;
  live.add(conn);
  return conn;
}

/** Writes as much of the queue to h as the socket takes; true when the queue emptied. */
function flush(h: Half): boolean {
  const s = h.socket!;
  while (h.queue.length > 0) {
    const chunk = h.queue[0]!;
    const n = s.write(chunk);
    if (n < 0) {
      reset(h.conn);
      return false;
    }
    if (n < chunk.byteLength) {
      h.queue[0] = chunk.subarray(n);
      return false;
    }
    h.queue.shift();
  }
  return true;
}

/** After h's queue emptied: let its source send again, and pass on the source's FIN. */
function afterFlush(h: Half): void {
  const source = h.peer;
  if (source.paused && !source.closed) {
    source.paused = false;
    source.socket?.resume();
  }
  if (source.readEnded && !h.writeShut) {
    h.writeShut = true;
    h.socket!.shutdown();
  }
}

/** What a client may send before its endpoint has connected without being paused. */
const CONNECTING_QUEUE_LIMIT = 64 << 10;

function queuedBytes(h: Half): number {
  let n = 0;
  for (const chunk of h.queue) n += chunk.byteLength;
  return n;
}

function pause(h: Half): void {
  if (h.paused) return;
  h.paused = true;
  h.socket!.pause();
}

function forward(from: Half, data: Uint8Array): void {
  const to = from.peer;
  // Data for a socket that is gone: what the kernel does too, reset the sender.
  if (to.closed) return reset(from.conn);
  if (!to.socket) {
    // The endpoint is still connecting: a request's first bytes wait here without a pause and
    // resume (two epoll_ctl and a spurious writable wake-up); a sender that keeps going is paused.
    to.queue.push(data);
    if (queuedBytes(to) >= CONNECTING_QUEUE_LIMIT) pause(from);
  } else if (to.queue.length > 0) {
    to.queue.push(data);
    pause(from);
  } else {
    const n = to.socket.write(data);
    if (n < 0) return reset(to.conn);
    if (n < data.byteLength) {
      to.queue.push(data.subarray(n));
      pause(from);
    }
  }
  const { splicer, spliceAfterBytes } = from.conn;
  if (splicer && data.byteLength >= spliceAfterBytes && to.socket) handOver(from.conn, splicer);
}

function readEnd(h: Half): void {
  if (h.readEnded) return;
  h.readEnded = true;
  const to = h.peer;
  if (to.socket && !to.closed && to.queue.length === 0) afterFlush(to);
}

function reset(conn: Connection): void {
  if (conn.reset) return;
  conn.reset = true;
  if (conn.spliced) return conn.spliced.reset();
  for (const h of [conn.client, conn.upstream]) {
    h.queue = [];
    if (!h.closed) h.socket?.terminate();
  }
}

function closed(h: Half, error?: Error): void {
  h.closed = true;
  h.queue = [];
  const conn = h.conn;
  // Bun reports a clean close (FIN both ways) without error, a reset with one.
  if (error) reset(conn);
  else if (!conn.reset) readEnd(h);
  if (conn.client.closed && conn.upstream.closed) conn.live.delete(conn);
}

const fdOf = (socket: Socket<Half>) => (socket as unknown as { fd?: number }).fd ?? -1;

const joined = (chunks: Uint8Array[]) => (chunks.length === 0 ? undefined : Buffer.concat(chunks));

/**
 * Gives both (open) sockets to the splice worker, with the bytes queued for each; false leaves
 * the connection to the copy path for good. Bun reads only inside a data callback and holds
 * nothing it has read elsewhere, so the queues are all there is in user space. FINs already
 * seen need no word: a socket that sent FIN keeps reading as EOF for the worker too.
 */
function handOver(conn: Connection, splicer: Splicer): boolean {
  const { client, upstream } = conn;
  if (conn.reset || client.closed || upstream.closed) return false;
  const prepared = splicer.prepare(fdOf(client.socket!), fdOf(upstream.socket!));
  if (!prepared) {
    conn.splicer = undefined;
    return false;
  }
  const unsent = { toClient: joined(client.queue), toUpstream: joined(upstream.queue) };
  for (const h of [client, upstream]) {
    const socket = h.socket!;
    // Its close callback must not act on the connection: the worker's duplicate keeps it open.
    socket.data = undefined as unknown as Half;
    h.queue = [];
    h.closed = true;
    socket.terminate();
  }
  conn.spliced = prepared.start(unsent, () => conn.live.delete(conn));
  return true;
}

const shared: SocketHandler<Half | undefined> = {
  data(socket, data) {
    if (socket.data) forward(socket.data, data);
  },
  drain(socket) {
    const h = socket.data;
    if (h && !h.closed && flush(h)) afterFlush(h);
  },
  end(socket) {
    if (socket.data) readEnd(socket.data);
  },
  close(socket, error) {
    if (socket.data) closed(socket.data, error);
  },
  error() {
    // close() follows, with the error.
  },
};

const upstreamHandler: SocketHandler<Half | undefined> = {
  ...shared,
  open(socket) {
    const h = socket.data!;
    h.socket = socket as Socket<Half>;
    if (h.conn.reset) return socket.terminate();
    if (h.conn.splicer && h.conn.spliceAfterBytes === 0 && handOver(h.conn, h.conn.splicer)) return;
    if (flush(h)) afterFlush(h);
  },
  connectError(socket) {
    // The endpoint refused or is unreachable: the client gets a reset, as with no endpoint.
    const h = socket.data!;
    h.closed = true;
    reset(h.conn);
    if (h.conn.client.closed) h.conn.live.delete(h.conn);
  },
};

export function listenTcp(options: TcpForwarderOptions): TcpForwarder {
  let route = options.route;
  const live = new Set<Connection>();

  const listener: TCPSocketListener<Half | undefined> = Bun.listen<Half | undefined>({
    hostname: options.hostname,
    port: options.port,
    allowHalfOpen: true,
    socket: {
      ...shared,
      open(socket) {
        const endpoint = route(socket.remoteAddress);
        if (!endpoint) {
          // No endpoints: refuse at once with a reset rather than leave the client waiting.
          socket.terminate();
          return;
        }
        const conn = newConnection(live, options.splicer, options.spliceAfterBytes ?? DEFAULT_SPLICE_AFTER_BYTES);
        conn.client.socket = socket as Socket<Half>;
        socket.data = conn.client;
        // Not paused while the endpoint connects: what the client sends meanwhile is queued for
        // it (the client paused only past CONNECTING_QUEUE_LIMIT). No setNoDelay either: Bun
        // sets TCP_NODELAY on every socket it accepts or connects (seen in strace).
        Bun.connect<Half | undefined>({
          hostname: endpoint.ip,
          port: endpoint.port,
          allowHalfOpen: true,
          data: conn.upstream,
          socket: upstreamHandler,
        }).catch(() => {
          // connectError has handled it.
        });
      },
    },
  });

  return {
    hostname: listener.hostname,
    port: listener.port,
    get connections() {
      return live.size;
    },
    get spliced() {
      let n = 0;
      for (const conn of live) if (conn.spliced) n++;
      return n;
    },
    setRoute(next) {
      route = next;
    },
    stop() {
      listener.stop(false);
    },
    closeAll() {
      // Reset first: stop(true) would close the accepted sockets with a FIN.
      for (const conn of [...live]) reset(conn);
      listener.stop(true);
    },
  };
}
