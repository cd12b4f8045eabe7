// The main thread's side of the splice path: once both sockets of a forwarded connection are
// open, the forwarder hands them to ONE worker thread that moves their bytes with splice(2)
// (splice-worker.ts), the way HAProxy's `option splice-auto` does, instead of copying each chunk
// through a JS callback. The handover gives the worker duplicates of the two fds and then closes
// Bun's own sockets (without FIN or RST, as the duplicates keep them open): from then on only
// the worker touches them and it closes what it owns, so an fd number Bun reuses for a new
// connection can never be spliced by mistake.
//
// The worker blocks in epoll_wait while it has connections, so it cannot wait for messages the
// usual way: each command is posted AND counted in shared memory AND signalled on an eventfd in
// its epoll set; on that signal the worker goes back to its event loop to receive what the
// counter says is on the way.
import { F_GETPIPE_SZ, F_SETPIPE_SZ, type Libc, O_CLOEXEC, O_NONBLOCK, openLibc } from "./splice-ffi.ts";
import type { SplicedFds, Unsent } from "./splice-pump.ts";

/** Commands to the worker; every one but `init` is counted in `posted`. */
export type ToSpliceWorker =
  | { kind: "init"; eventfd: number; posted: Int32Array }
  | { kind: "adopt"; id: number; fds: SplicedFds; unsent: Unsent }
  | { kind: "reset"; id: number }
  | { kind: "stop" };

export type FromSpliceWorker =
  | { kind: "ready" }
  | { kind: "failed"; reason: string }
  /** Connections the worker has closed (finished or reset): their fds are gone. */
  | { kind: "done"; ids: number[] }
  | { kind: "stopped" };

export interface SplicerOptions {
  /** Bytes per direction the kernel may hold in flight (F_SETPIPE_SZ); default 1 MiB. */
  pipeSize?: number;
}

export interface SplicedConnection {
  /** Resets both sockets (closeAll). */
  reset(): void;
}

export interface PreparedSplice {
  /**
   * Hands the duplicated fds to the worker; call once Bun's own sockets are closed. `unsent`:
   * bytes already read from one socket and not yet written to the other, sent first.
   */
  start(unsent: Unsent, done: () => void): SplicedConnection;
}

export interface Splicer {
  /**
   * Duplicates both sockets' fds and makes the two pipes; undefined when that fails (no fds
   * left, the worker is gone): the caller keeps copying that connection.
   */
  prepare(clientFd: number, upstreamFd: number): PreparedSplice | undefined;
  /** Resets every spliced connection and ends the worker. */
  stop(): void;
}

export const DEFAULT_PIPE_SIZE = 1 << 20;
/** Ids go into epoll tokens with one bit to spare. */
const MAX_ID = 1 << 30;

/** Starts the splice worker, or undefined where splice(2) through bun:ffi is unavailable. */
export function startSplicer(options: SplicerOptions = {}): Splicer | undefined {
  const libc = openLibc();
  if (!libc) return undefined;
  const eventfd = libc.eventfd(O_NONBLOCK | O_CLOEXEC);
  if (eventfd < 0) return undefined;
  let worker: Worker;
  try {
    // smol: the worker's heap only ever holds its connections' small records.
    worker = new Worker(new URL("./splice-worker.ts", import.meta.url), { smol: true });
  } catch {
    libc.close(eventfd);
    return undefined;
  }
  // Idle, the worker waits in its event loop and must not keep the process alive; busy, it
  // holds connections, which do (as Bun's sockets would).
  worker.unref();
  const posted = new Int32Array(new SharedArrayBuffer(4));
  const pending = new Map<number, { fds: SplicedFds; done: () => void }>();
  const pipeSize = options.pipeSize ?? DEFAULT_PIPE_SIZE;
  let nextId = 0;
  let dead = false;

  const send = (message: ToSpliceWorker) => {
    Atomics.add(posted, 0, 1);
    worker.postMessage(message);
    libc.eventfdSignal(eventfd, 1);
  };
  const settle = (id: number) => {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    entry.done();
  };
  const die = (reason: string) => {
    if (dead) return;
    dead = true;
    if (pending.size > 0) console.error(`splice worker: ${reason}; ${pending.size} connection(s) lost`);
    for (const id of [...pending.keys()]) settle(id);
    worker.terminate();
    libc.close(eventfd);
  };

  worker.onmessage = (event: MessageEvent<FromSpliceWorker>) => {
    const m = event.data;
    if (m.kind === "done") for (const id of m.ids) settle(id);
    else if (m.kind === "failed") {
      // It failed before taking any connection: the fds are still ours to reset.
      for (const { fds } of pending.values()) closeFds(libc, fds, true);
      die(m.reason);
    } else if (m.kind === "stopped") die("stopped");
  };
  worker.onerror = (event) => {
    event.preventDefault();
    die(event.message);
  };
  worker.postMessage({ kind: "init", eventfd, posted } satisfies ToSpliceWorker);

  return {
    prepare(clientFd, upstreamFd) {
      if (dead || clientFd < 0 || upstreamFd < 0) return undefined;
      const fds = openFds(libc, clientFd, upstreamFd, pipeSize);
      if (!fds) return undefined;
      return {
        start(unsent, done) {
          // Bun closed its sockets with SO_LINGER {1, 0} (terminate); the duplicates must
          // end with a FIN unless the worker decides otherwise.
          libc.setLingerReset(fds.client, false);
          libc.setLingerReset(fds.upstream, false);
          const id = nextId;
          nextId = (nextId + 1) % MAX_ID;
          if (dead) {
            closeFds(libc, fds, true);
            queueMicrotask(done);
            return { reset() {} };
          }
          pending.set(id, { fds, done });
          send({ kind: "adopt", id, fds, unsent });
          return {
            reset() {
              if (!dead && pending.has(id)) send({ kind: "reset", id });
            },
          };
        },
      };
    },
    stop() {
      if (!dead) send({ kind: "stop" });
    },
  };
}

/**
 * A Splicer that starts its worker with the first connection handed to it; undefined off Linux,
 * or with `probe` where splice(2) through bun:ffi is unavailable. A node whose Services never
 * stream never pays for the thread (a JS VM of its own, several MB) nor for bun:ffi's compiled
 * stubs; the first streaming connection's handover waits for the worker to come up, its bytes
 * held in the kernel's socket buffers meanwhile. Without `probe`, a splicer that turns out
 * unavailable prepares nothing, and connections keep being copied.
 */
export function lazySplicer(options: SplicerOptions = {}, probe = false): Splicer | undefined {
  if (process.platform !== "linux" || (probe && !openLibc())) return undefined;
  let started: Splicer | false | undefined;
  return {
    prepare(clientFd, upstreamFd) {
      if (started === undefined) started = startSplicer(options) ?? false;
      return started ? started.prepare(clientFd, upstreamFd) : undefined;
    },
    stop() {
      if (started) started.stop();
      started = false;
    },
  };
}

/** Duplicates of both sockets and two pipes sized `pipeSize`; undefined (nothing left open) on failure. */
function openFds(libc: Libc, clientFd: number, upstreamFd: number, pipeSize: number): SplicedFds | undefined {
  const opened: number[] = [];
  const give = (fd: number) => (fd >= 0 && opened.push(fd), fd);
  const client = give(libc.dup(clientFd));
  const upstream = give(libc.dup(upstreamFd));
  const toUpstream = libc.pipe();
  if (toUpstream) opened.push(...toUpstream);
  const toClient = libc.pipe();
  if (toClient) opened.push(...toClient);
  if (client < 0 || upstream < 0 || !toUpstream || !toClient) {
    for (const fd of opened) libc.close(fd);
    return undefined;
  }
  // An unprivileged user past fs.pipe-user-pages-soft gets EPERM: keep the default size then.
  let size = Math.min(libc.fcntl(toUpstream[1], F_SETPIPE_SZ, pipeSize), libc.fcntl(toClient[1], F_SETPIPE_SZ, pipeSize));
  if (size <= 0) size = Math.min(libc.fcntl(toUpstream[1], F_GETPIPE_SZ, 0), libc.fcntl(toClient[1], F_GETPIPE_SZ, 0));
  return { client, upstream, toUpstream, toClient, pipeSize: size };
}

function closeFds(libc: Libc, fds: SplicedFds, reset: boolean): void {
  for (const fd of [fds.client, fds.upstream]) {
    if (reset) libc.setLingerReset(fd, true);
    libc.close(fd);
  }
  for (const fd of [...fds.toUpstream, ...fds.toClient]) libc.close(fd);
}
