// One forwarded connection inside the splice worker: two sockets and, per direction, a pipe the
// kernel moves pages through (socket → pipe → socket, splice(2)), so the bytes never reach user
// space. Sockets are registered edge-triggered, so a direction is pumped until it makes no more
// progress: either its source has nothing to read (a new EPOLLIN will come) or its destination
// is full (EPOLLOUT will come). A full pipe stops reading, which lets the sender's window close:
// back-pressure stays in the kernel. EOF from one side becomes shutdown(SHUT_WR) on the other
// once that direction's pipe is empty (half-close kept); an error on either side resets both.
// Bytes Bun had already read when the connection was handed over come first, sent from memory.
import {
  EAGAIN, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, type Libc, SHUT_WR, SPLICE_F_MOVE, SPLICE_F_NONBLOCK,
} from "./splice-ffi.ts";

const SPLICE_FLAGS = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
export const SOCKET_EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

/** The fds of one connection, all owned by the worker once handed over. */
export interface SplicedFds {
  client: number;
  upstream: number;
  /** Pipe carrying client → upstream bytes: [read end, write end]. */
  toUpstream: [number, number];
  toClient: [number, number];
  /** Bytes each pipe holds at most (F_SETPIPE_SZ, or the kernel's default). */
  pipeSize: number;
}

/** What Bun read before the handover and could not write yet, per destination. */
export interface Unsent {
  toClient?: Uint8Array;
  toUpstream?: Uint8Array;
}

interface Direction {
  src: number;
  dst: number;
  pipeRead: number;
  pipeWrite: number;
  /** Bytes spliced into the pipe and not yet out of it. */
  inPipe: number;
  /** Older bytes, from user space, that must reach dst before the pipe's. */
  unsent?: Uint8Array;
  /** The source sent FIN (splice returned 0). */
  eof: boolean;
  /** FIN passed on to the destination. */
  shut: boolean;
}

export type PairState = "open" | "finished" | "reset";

export class SplicedPair {
  state: PairState = "open";
  private readonly toUpstream: Direction;
  private readonly toClient: Direction;

  constructor(
    private readonly libc: Libc,
    private readonly epfd: number,
    readonly id: number,
    private readonly fds: SplicedFds,
    unsent: Unsent = {},
  ) {
    const direction = (src: number, dst: number, [pipeRead, pipeWrite]: [number, number], bytes?: Uint8Array): Direction =>
      ({ src, dst, pipeRead, pipeWrite, inPipe: 0, unsent: bytes?.byteLength ? bytes : undefined, eof: false, shut: false });
    this.toUpstream = direction(fds.client, fds.upstream, fds.toUpstream, unsent.toUpstream);
    this.toClient = direction(fds.upstream, fds.client, fds.toClient, unsent.toClient);
  }

  /** Epoll tokens: the id names the pair, the low bit the socket (0 client, 1 upstream). */
  static tokenOf(id: number, upstream: boolean): number {
    return ((id << 1) | (upstream ? 1 : 0)) >>> 0;
  }

  /** Registers both sockets; false (and the pair reset) if epoll refuses them. */
  start(): boolean {
    const { libc, epfd, id, fds } = this;
    if (libc.epollAdd(epfd, fds.client, SOCKET_EVENTS, SplicedPair.tokenOf(id, false)) < 0 ||
        libc.epollAdd(epfd, fds.upstream, SOCKET_EVENTS, SplicedPair.tokenOf(id, true)) < 0) {
      this.reset();
      return false;
    }
    // Edge-triggered registration reports what is ready now, but pumping once costs little
    // and does not depend on that.
    this.pump(this.toUpstream);
    this.pump(this.toClient);
    return true;
  }

  /** Reacts to epoll's `events` on the client socket or the upstream one. */
  ready(upstream: boolean, events: number): void {
    if (events & EPOLLERR) return this.reset();
    const out = upstream ? this.toClient : this.toUpstream;
    const into = upstream ? this.toUpstream : this.toClient;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) this.pump(out);
    if (this.state === "open" && events & (EPOLLOUT | EPOLLHUP)) this.pump(into);
  }

  /** Moves what it can in one direction, then passes on a FIN it has fully drained. */
  private pump(d: Direction): void {
    const { libc } = this;
    for (;;) {
      let moved = false;
      if (d.unsent) {
        const n = libc.send(d.dst, d.unsent);
        if (n > 0) {
          d.unsent = n < d.unsent.byteLength ? d.unsent.subarray(n) : undefined;
          moved = true;
        } else if (libc.errno() !== EAGAIN) {
          return this.reset();
        }
      }
      if (!d.eof && d.inPipe < this.fds.pipeSize) {
        const n = libc.splice(d.src, d.pipeWrite, this.fds.pipeSize - d.inPipe, SPLICE_FLAGS);
        if (n > 0) {
          d.inPipe += n;
          moved = true;
        } else if (n === 0) {
          d.eof = true;
        } else if (libc.errno() !== EAGAIN) {
          // EAGAIN: nothing to read, or the pipe ran out of slots before bytes; either way
          // draining it (below) or a new EPOLLIN brings us back.
          return this.reset();
        }
      }
      if (d.inPipe > 0 && !d.unsent) {
        const n = libc.splice(d.pipeRead, d.dst, d.inPipe, SPLICE_FLAGS);
        if (n > 0) {
          d.inPipe -= n;
          moved = true;
        } else if (libc.errno() !== EAGAIN) {
          return this.reset();
        }
      }
      if (!moved) break;
    }
    if (d.eof && d.inPipe === 0 && !d.unsent && !d.shut) {
      d.shut = true;
      if (libc.shutdown(d.dst, SHUT_WR) < 0) return this.reset();
      if (this.toUpstream.shut && this.toClient.shut) this.finish();
    }
  }

  /** Both directions ended with FIN: close normally (nothing is left unread, so no RST). */
  finish(): void {
    if (this.state !== "open") return;
    this.state = "finished";
    this.release(false);
  }

  /** Resets both sockets: the last close of each sends RST. */
  reset(): void {
    if (this.state !== "open") return;
    this.state = "reset";
    this.release(true);
  }

  private release(reset: boolean): void {
    const { libc, epfd, fds } = this;
    for (const fd of [fds.client, fds.upstream]) {
      // Explicit removal: close alone would leave the registration behind if another reference
      // to the socket were still open.
      libc.epollDel(epfd, fd);
      if (reset) libc.setLingerReset(fd, true);
      libc.close(fd);
    }
    for (const fd of [...fds.toUpstream, ...fds.toClient]) libc.close(fd);
  }
}
