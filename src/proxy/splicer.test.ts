import { afterEach, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import type { Socket } from "bun";
import { type Splicer, startSplicer } from "./splicer.ts";
import { listenTcp } from "./tcp-forwarder.ts";
import { echoServer, exchange } from "../../test/helpers/loopback-servers.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function splicer(options?: Parameters<typeof startSplicer>[0]): Splicer {
  const s = startSplicer(options);
  if (!s) throw new Error("splice unavailable on this machine");
  cleanup.push(() => s.stop());
  return s;
}

function echoTo(s: Splicer | undefined, spliceAfterBytes?: number) {
  const server = echoServer("127.0.0.2");
  const forwarder = listenTcp({ hostname: "127.0.0.1", port: 0, route: () => ({ ip: "127.0.0.2", port: server.port }), splicer: s, spliceAfterBytes });
  cleanup.push(() => {
    forwarder.closeAll();
    server.stop(true);
  });
  return forwarder;
}

/** A client that sends what it is told and collects what comes back. */
async function client(port: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let wake = () => {};
  const socket: Socket = await Bun.connect({
    hostname: "127.0.0.1", port, allowHalfOpen: true,
    socket: {
      data(_s, d) {
        chunks.push(d);
        size += d.byteLength;
        wake();
      },
      close() {
        wake();
      },
    },
  });
  cleanup.push(() => socket.terminate());
  return {
    /** Sends all of `bytes` (waiting out back-pressure) and waits until `expect` bytes in total came back. */
    async send(bytes: Uint8Array, expectTotal: number): Promise<Buffer> {
      let offset = 0;
      while (offset < bytes.byteLength || size < expectTotal) {
        if (offset < bytes.byteLength) offset += Math.max(0, socket.write(bytes, offset, bytes.byteLength - offset));
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 5);
        });
      }
      return Buffer.concat(chunks);
    },
  };
}

describe("splice path", () => {
  test("a streaming connection moves to the worker mid-stream and keeps its byte order", async () => {
    const forwarder = echoTo(splicer());
    const c = await client(forwarder.port);
    const before = Buffer.from("small, copied ");
    expect((await c.send(before, before.byteLength)).toString()).toBe(before.toString());
    expect(forwarder.spliced).toBe(0);

    const bulk = randomBytes(8 << 20);
    const after = Buffer.from(" small again");
    await c.send(bulk, before.byteLength + bulk.byteLength);
    expect(forwarder.spliced).toBe(1);
    const all = await c.send(after, before.byteLength + bulk.byteLength + after.byteLength);
    expect(sha(all)).toBe(sha(Buffer.concat([before, bulk, after])));
  });

  test("a pipe of one page still carries 20 MB intact", async () => {
    const forwarder = echoTo(splicer({ pipeSize: 4096 }), 0);
    const payload = randomBytes(20 << 20);
    const got = await exchange("127.0.0.1", forwarder.port, payload);
    expect(got.error).toBeUndefined();
    expect(sha(got.received)).toBe(sha(payload));
  });

  test("a handover that cannot happen leaves the connection to the copy path", async () => {
    const refusing: Splicer = { prepare: () => undefined, stop() {} };
    const forwarder = echoTo(refusing, 0);
    const c = await client(forwarder.port);
    const payload = randomBytes(1 << 20);
    expect(sha(await c.send(payload, payload.byteLength))).toBe(sha(payload));
    expect(forwarder.connections).toBe(1);
    expect(forwarder.spliced).toBe(0);
  });

  test("bytes read before the handover reach each side first, in order", async () => {
    const s = splicer();
    // Proxy-side sockets made by hand: `near` accepted from the client, `far` connected to the endpoint.
    let near: Socket | undefined;
    const front = Bun.listen({ hostname: "127.0.0.1", port: 0, allowHalfOpen: true, socket: { open(sock) { near = sock; sock.pause(); }, data() {} } });
    const endpoint = replyAfterEnd();
    cleanup.push(() => {
      front.stop(true);
      endpoint.server.stop(true);
    });
    const got = exchange("127.0.0.1", front.port, Buffer.from("tail"));
    const far = await Bun.connect({ hostname: "127.0.0.2", port: endpoint.server.port, allowHalfOpen: true, socket: { data() {} } });
    for (let i = 0; i < 100 && !near; i++) await Bun.sleep(5);
    const fd = (sock: Socket) => (sock as unknown as { fd: number }).fd;
    const prepared = s.prepare(fd(near!), fd(far))!;
    expect(prepared).toBeDefined();
    near!.terminate();
    far.terminate();
    let done = false;
    prepared.start({ toUpstream: Buffer.from("head-"), toClient: Buffer.from("hello-") }, () => (done = true));
    expect(await got).toEqual({ received: Buffer.from("hello-got head-tail"), error: undefined });
    for (let i = 0; i < 100 && !done; i++) await Bun.sleep(5);
    expect(done).toBe(true);
  });

  test("stop resets every connection the worker carries", async () => {
    const s = splicer();
    const forwarder = echoTo(s, 0);
    const payload = Buffer.from("ping");
    let closedWith: string | undefined = "open";
    const socket = await Bun.connect({
      hostname: "127.0.0.1", port: forwarder.port,
      socket: { data() {}, close(_s, e) { closedWith = e ? (e as NodeJS.ErrnoException).code : undefined; } },
    });
    socket.write(payload);
    for (let i = 0; i < 100 && forwarder.spliced === 0; i++) await Bun.sleep(5);
    expect(forwarder.spliced).toBe(1);
    s.stop();
    for (let i = 0; i < 200 && closedWith === "open"; i++) await Bun.sleep(5);
    expect(closedWith).toBe("ECONNRESET");
    for (let i = 0; i < 200 && forwarder.connections > 0; i++) await Bun.sleep(5);
    expect(forwarder.connections).toBe(0);
  });
});

/** Reads until FIN, then answers "got " + what it read and closes. */
function replyAfterEnd() {
  let text = "";
  const server = Bun.listen({
    hostname: "127.0.0.2", port: 0, allowHalfOpen: true,
    socket: {
      data(_s, d) {
        text += d.toString();
      },
      end(sock) {
        sock.write(`got ${text}`);
        sock.shutdown();
      },
    },
  });
  return { server };
}
