// The splice worker (see splicer.ts): one thread, one epoll set, every spliced connection of the
// process. With connections it blocks in epoll_wait and pumps whatever the kernel reports ready
// (splice-pump.ts); without any it waits in its event loop for the next command.
import { EINTR, EPOLLIN, EpollEvents, type Libc, openLibc } from "./splice-ffi.ts";
import { SplicedPair } from "./splice-pump.ts";
import type { FromSpliceWorker, ToSpliceWorker } from "./splicer.ts";

declare const self: Worker;

/** The eventfd's token: ids only reach 2^30, so no pair token is all ones. */
const CONTROL = 0xffffffff;
const post = (message: FromSpliceWorker) => self.postMessage(message);

interface Loop {
  libc: Libc;
  epfd: number;
  eventfd: number;
  /** Commands the main thread has sent; `handled` of them have arrived here. */
  posted: Int32Array;
  handled: number;
  pairs: Map<number, SplicedPair>;
  events: EpollEvents;
  stopped: boolean;
}

let loop: Loop | undefined;
let broken = false;

self.onmessage = (event: MessageEvent<ToSpliceWorker>) => {
  const m = event.data;
  if (broken) return;
  if (m.kind === "init") {
    const failure = init(m.eventfd, m.posted);
    if (failure) {
      broken = true;
      post({ kind: "failed", reason: failure });
    } else {
      post({ kind: "ready" });
    }
    return;
  }
  const l = loop!;
  l.handled++;
  const done: number[] = [];
  command(l, m, done);
  if (done.length > 0) post({ kind: "done", ids: done });
  if (l.stopped) return;
  if (l.handled === Atomics.load(l.posted, 0) && l.pairs.size > 0) run(l);
};

function init(eventfd: number, posted: Int32Array): string | undefined {
  const libc = openLibc();
  if (!libc) return "libc unavailable in the worker";
  const epfd = libc.epollCreate();
  if (epfd < 0) return `epoll_create1: errno ${libc.errno()}`;
  if (libc.epollAdd(epfd, eventfd, EPOLLIN, CONTROL) < 0) return `epoll_ctl(eventfd): errno ${libc.errno()}`;
  loop = { libc, epfd, eventfd, posted, handled: 0, pairs: new Map(), events: new EpollEvents(256), stopped: false };
  return undefined;
}

function command(l: Loop, m: ToSpliceWorker, done: number[]): void {
  switch (m.kind) {
    case "adopt": {
      const pair = new SplicedPair(l.libc, l.epfd, m.id, m.fds, m.unsent);
      l.pairs.set(m.id, pair);
      pair.start();
      settle(l, pair, done);
      break;
    }
    case "reset": {
      const pair = l.pairs.get(m.id);
      pair?.reset();
      if (pair) settle(l, pair, done);
      break;
    }
    case "stop":
      for (const pair of l.pairs.values()) {
        pair.reset();
        done.push(pair.id);
      }
      l.pairs.clear();
      l.libc.close(l.epfd);
      l.stopped = true;
      post({ kind: "done", ids: done.splice(0) });
      post({ kind: "stopped" });
      break;
    case "init":
      break;
  }
}

/** Forgets a pair that has closed its fds. */
function settle(l: Loop, pair: SplicedPair, done: number[]): void {
  if (pair.state === "open") return;
  l.pairs.delete(pair.id);
  done.push(pair.id);
}

/**
 * Pumps ready connections until none is left, or until a command is on its way: then the
 * event loop must run to deliver it, and its onmessage comes back here.
 */
function run(l: Loop): void {
  const { libc, events } = l;
  const done: number[] = [];
  while (l.pairs.size > 0) {
    const n = libc.epollWait(l.epfd, events, -1);
    if (n < 0) {
      if (libc.errno() === EINTR) continue;
      throw new Error(`epoll_wait: errno ${libc.errno()}`);
    }
    let commandsWaiting = false;
    for (let i = 0; i < n; i++) {
      const token = events.token(i);
      if (token === CONTROL) {
        libc.eventfdTake(l.eventfd);
        commandsWaiting = Atomics.load(l.posted, 0) !== l.handled;
        continue;
      }
      const pair = l.pairs.get(token >>> 1);
      if (!pair) continue; // an event queued before the pair closed
      pair.ready((token & 1) === 1, events.events(i));
      settle(l, pair, done);
    }
    if (done.length > 0) post({ kind: "done", ids: done.splice(0) });
    if (commandsWaiting) return;
  }
}
