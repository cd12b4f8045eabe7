// The few libc calls the splice path needs (splice(2), pipes, epoll, eventfd), through bun:ffi.
// Both the main thread (dup, linger, waking the worker) and the splice worker (the epoll loop)
// load it; each thread gets its own handle and its own errno. Linux only: anywhere else, or
// when libc cannot be opened, openLibc() returns undefined and the forwarder copies instead.
import { dlopen, FFIType, ptr, read } from "bun:ffi";

export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const SPLICE_F_MOVE = 1;
export const SPLICE_F_NONBLOCK = 2;
export const F_DUPFD_CLOEXEC = 1030;
export const F_SETPIPE_SZ = 1031;
export const F_GETPIPE_SZ = 1032;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;
export const EPOLLRDHUP = 0x2000;
export const EPOLLET = 0x80000000;
export const SHUT_WR = 1;
export const EINTR = 4;
export const EAGAIN = 11;
const SOL_SOCKET = 1;
const SO_LINGER = 13;
const MSG_NOSIGNAL = 0x4000;

/** x86-64 packs struct epoll_event (u32 events, u64 data) into 12 bytes; other ABIs pad to 16. */
export const EPOLL_EVENT_SIZE = process.arch === "x64" ? 12 : 16;
const EPOLL_DATA_OFFSET = process.arch === "x64" ? 4 : 8;

const symbols = {
  splice: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.u32], returns: FFIType.i32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  shutdown: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  eventfd: { args: [FFIType.u32, FFIType.i32], returns: FFIType.i32 },
  epoll_create1: { args: [FFIType.i32], returns: FFIType.i32 },
  epoll_ctl: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  epoll_wait: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

/** Thin wrappers: every call returns what libc returns (-1 on failure, then errno() says why). */
export interface Libc {
  /** socket → pipe or pipe → socket, without offsets. */
  splice(fdIn: number, fdOut: number, length: number, flags: number): number;
  /** A non-blocking, close-on-exec pipe: [read end, write end], or undefined with errno set. */
  pipe(): [number, number] | undefined;
  fcntl(fd: number, cmd: number, arg: number): number;
  /** A close-on-exec duplicate of fd (one more reference to the same socket). */
  dup(fd: number): number;
  close(fd: number): number;
  shutdown(fd: number, how: number): number;
  /** SO_LINGER: `reset` makes the last close send RST; otherwise close ends with a normal FIN. */
  setLingerReset(fd: number, reset: boolean): number;
  /** send(2) to a socket, without SIGPIPE when its peer is gone. */
  send(fd: number, data: Uint8Array): number;
  /** Adds `n` to an eventfd's counter, waking whoever polls it. */
  eventfdSignal(fd: number, n: number): number;
  /** Reads and clears an eventfd's counter; 0 when it was already clear. */
  eventfdTake(fd: number): number;
  eventfd(flags: number): number;
  epollCreate(): number;
  /** Registers fd with `events`, tagging its events with `token` (a u32). */
  epollAdd(epfd: number, fd: number, events: number, token: number): number;
  epollDel(epfd: number, fd: number): number;
  /** Waits for events into `buffer` (an EpollEvents); returns how many, or -1. */
  epollWait(epfd: number, buffer: EpollEvents, timeoutMs: number): number;
  errno(): number;
}

/** A reusable array of struct epoll_event. */
export class EpollEvents {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(readonly capacity: number) {
    this.bytes = new Uint8Array(capacity * EPOLL_EVENT_SIZE);
    this.view = new DataView(this.bytes.buffer);
  }
  events(i: number): number {
    return this.view.getUint32(i * EPOLL_EVENT_SIZE, true);
  }
  token(i: number): number {
    return this.view.getUint32(i * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET, true);
  }
}

/** Opens libc for this thread, or undefined where the splice path cannot work. */
export function openLibc(): Libc | undefined {
  if (process.platform !== "linux") return undefined;
  let lib: ReturnType<typeof dlopen<typeof symbols>>;
  try {
    lib = dlopen("libc.so.6", symbols);
  } catch {
    return undefined;
  }
  const c = lib.symbols;
  const errnoPtr = c.__errno_location();
  if (errnoPtr === null) return undefined;
  const fds = new Int32Array(2);
  const linger = new Int32Array(2);
  const event = new Uint8Array(EPOLL_EVENT_SIZE);
  const eventView = new DataView(event.buffer);
  const counter = new BigUint64Array(1);
  const counterPtr = ptr(counter);
  return {
    splice: (fdIn, fdOut, length, flags) => c.splice(fdIn, null, fdOut, null, length, flags),
    pipe() {
      if (c.pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return undefined;
      return [fds[0]!, fds[1]!];
    },
    fcntl: (fd, cmd, arg) => c.fcntl(fd, cmd, arg),
    dup: (fd) => c.fcntl(fd, F_DUPFD_CLOEXEC, 0),
    close: (fd) => c.close(fd),
    shutdown: (fd, how) => c.shutdown(fd, how),
    setLingerReset(fd, reset) {
      linger[0] = reset ? 1 : 0;
      linger[1] = 0;
      return c.setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8);
    },
    send: (fd, data) => c.send(fd, data, data.byteLength, MSG_NOSIGNAL),
    eventfdSignal(fd, n) {
      counter[0] = BigInt(n);
      return c.write(fd, counterPtr, 8);
    },
    eventfdTake(fd) {
      return c.read(fd, counterPtr, 8) === 8 ? Number(counter[0]) : 0;
    },
    eventfd: (flags) => c.eventfd(0, flags),
    epollCreate: () => c.epoll_create1(O_CLOEXEC),
    epollAdd(epfd, fd, events, token) {
      eventView.setUint32(0, events >>> 0, true);
      eventView.setUint32(EPOLL_DATA_OFFSET, token, true);
      eventView.setUint32(EPOLL_DATA_OFFSET + 4, 0, true);
      return c.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, event);
    },
    epollDel: (epfd, fd) => c.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, event),
    epollWait: (epfd, buffer, timeoutMs) => c.epoll_wait(epfd, buffer.bytes, buffer.capacity, timeoutMs),
    errno: () => read.i32(errnoPtr),
  };
}
