import { afterEach, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import type { Socket } from "bun";
import { Forwarder, type TcpForwarding } from "./forwarder.ts";
import type { RouteTable } from "./route-table.ts";
import { echoServer, exchange, replyOnEndServer } from "../../test/helpers/loopback-servers.ts";
import { ensureRouteTableBuilt } from "./wasm-route-loader.ts";
import { createWasmRouteTable } from "./wasm-route-table.ts";

await ensureRouteTableBuilt();

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** Servers on 127.0.0.2.., each answering with its own name; a forwarder routed by a wasm table. */
async function setup(mode: TcpForwarding, names: string[], affinity = false) {
  const servers = names.map((name, i) => replyOnEndServer(`127.0.0.${i + 2}`, () => name));
  const table: RouteTable = createWasmRouteTable();
  table.setEndpoints("default/web", servers.map((s) => ({ ip: s.hostname, port: s.port })));
  if (affinity) table.setAffinity("default/web", { clientIP: true, timeoutSeconds: 10800 });
  const forwarder = new Forwarder({ tcpForwarding: mode });
  const port = await forwarder.listen({ protocol: "TCP", hostname: "127.0.0.1", port: 0 }, (ip) =>
    table.pick("default/web", ip, performance.now()),
  );
  cleanup.push(() => {
    forwarder.closeAll();
    for (const s of servers) s.stop(true);
  });
  const ask = async () => (await exchange("127.0.0.1", port, new Uint8Array(0))).received.toString();
  return { table, forwarder, port, servers, ask };
}

/** Waits for a condition that follows from an event the test does not see (a socket closing). */
async function eventually(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await Bun.sleep(10);
  expect(condition()).toBe(true);
}

/** Waits until `value()` stops changing: the point where something has stalled. */
async function settled(value: () => number): Promise<number> {
  let last = value();
  for (let still = 0, i = 0; still < 5 && i < 500; i++) {
    await Bun.sleep(20);
    still = value() === last ? still + 1 : 0;
    last = value();
  }
  return last;
}

const errorCode = (e?: Error) => (e ? (e as NodeJS.ErrnoException).code ?? e.message : undefined);

/** A connection kept open for the test to drive: send, await an echo, end, reset. */
async function openConnection(port: number) {
  let received = "";
  let wake: (() => void) | undefined;
  let closed = false;
  let failure: string | undefined;
  let onClose: (error: string | undefined) => void = () => {};
  const closing = new Promise<string | undefined>((resolve) => (onClose = resolve));
  const socket: Socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    allowHalfOpen: true,
    socket: {
      data(_s, d) {
        received += d.toString();
        wake?.();
      },
      error(_s, error) {
        failure = errorCode(error);
      },
      close(_s, error) {
        closed = true;
        onClose(errorCode(error) ?? failure);
        wake?.();
      },
    },
  });
  return {
    async roundTrip(text: string): Promise<string> {
      received = "";
      socket.write(text);
      while (received.length < text.length && !closed) await new Promise<void>((r) => (wake = r));
      return received;
    },
    end: () => socket.end(),
    terminate: () => socket.terminate(),
    /** Resolves when the connection closes, to the error it closed with. */
    closed: closing,
  };
}

// Every behaviour holds whether the kernel splices the bytes or Bun's callbacks copy them.
describe.each(["splice", "copy", "auto"] as const)("tcp forwarding (%s)", (mode: TcpForwarding) => {
  test("round robin spreads new connections over the endpoints", async () => {
    const { ask } = await setup(mode, ["a", "b", "c"]);
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await ask());
    expect(got).toEqual(["a", "b", "c", "a", "b", "c"]);
  });

  test("ClientIP affinity keeps the client on one endpoint", async () => {
    const { ask } = await setup(mode, ["a", "b", "c"], true);
    const got = new Set<string>();
    for (let i = 0; i < 5; i++) got.add(await ask());
    expect(got.size).toBe(1);
  });

  test("a service without endpoints refuses connections at once with a reset", async () => {
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => forwarder.closeAll());
    const port = await forwarder.listen({ protocol: "TCP", hostname: "127.0.0.1", port: 0 }, () => undefined);
    // The client neither sends nor ends: only the proxy closing the connection settles this.
    const got = await exchange("127.0.0.1", port, new Uint8Array(0), false);
    expect(got).toEqual({ received: Buffer.alloc(0), error: "ECONNRESET" });
  });

  test("an endpoint refusing the connection resets the client", async () => {
    const closedPort = (() => {
      const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
      const p = l.port;
      l.stop(true);
      return p;
    })();
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => forwarder.closeAll());
    const port = await forwarder.listen({ protocol: "TCP", hostname: "127.0.0.1", port: 0 }, () => ({ ip: "127.0.0.2", port: closedPort }));
    const got = await exchange("127.0.0.1", port, new TextEncoder().encode("hello"), false);
    expect(got.error).toBe("ECONNRESET");
  });

  test("20 MB go through intact in both directions", async () => {
    const server = echoServer("127.0.0.2");
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => {
      forwarder.closeAll();
      server.stop(true);
    });
    const port = await forwarder.listen({ protocol: "TCP", hostname: "127.0.0.1", port: 0 }, () => ({ ip: "127.0.0.2", port: server.port }));
    const payload = randomBytes(20 << 20);
    const got = await exchange("127.0.0.1", port, payload);
    expect(got.error).toBeUndefined();
    expect(got.received.byteLength).toBe(payload.byteLength);
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    expect(sha(got.received)).toBe(sha(payload));
    await eventually(() => forwarder.active({ protocol: "TCP", hostname: "127.0.0.1", port }) === 0);
  });

  test("half-close: the client ends its side and still receives the reply", async () => {
    const server = replyOnEndServer("127.0.0.2", (n) => `got ${n} bytes`);
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => {
      forwarder.closeAll();
      server.stop(true);
    });
    const port = await forwarder.listen({ protocol: "TCP", hostname: "127.0.0.1", port: 0 }, () => ({ ip: "127.0.0.2", port: server.port }));
    const got = await exchange("127.0.0.1", port, new Uint8Array(1234));
    expect(got).toEqual({ received: Buffer.from("got 1234 bytes"), error: undefined });
  });

  test("established connections survive their endpoint's removal and the listener's close", async () => {
    const a = echoServer("127.0.0.2");
    const b = replyOnEndServer("127.0.0.3", () => "b");
    const table = createWasmRouteTable();
    table.setEndpoints("default/web", [{ ip: "127.0.0.2", port: a.port }]);
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => {
      forwarder.closeAll();
      a.stop(true);
      b.stop(true);
    });
    const address = { protocol: "TCP" as const, hostname: "127.0.0.1", port: 0 };
    const port = await forwarder.listen(address, (ip) => table.pick("default/web", ip, performance.now()));
    const open = await openConnection(port);
    expect(await open.roundTrip("one")).toBe("one");

    table.setEndpoints("default/web", [{ ip: "127.0.0.3", port: b.port }]);
    expect((await exchange("127.0.0.1", port, new Uint8Array(0))).received.toString()).toBe("b");
    expect(await open.roundTrip("two")).toBe("two");

    forwarder.close({ ...address, port });
    await expect(exchange("127.0.0.1", port, new Uint8Array(0))).rejects.toThrow();
    expect(await open.roundTrip("three")).toBe("three");
    open.end();
  });

  test("an endpoint resetting the connection resets the client", async () => {
    const server = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data(s) { s.terminate(); } } });
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => {
      forwarder.closeAll();
      server.stop(true);
    });
    const port = await forwarder.listen({ protocol: "TCP", hostname: "127.0.0.1", port: 0 }, () => ({ ip: "127.0.0.2", port: server.port }));
    const got = await exchange("127.0.0.1", port, new TextEncoder().encode("boom"), false);
    expect(got.error).toBe("ECONNRESET");
  });

  test("a client resetting the connection resets the endpoint", async () => {
    let onClose: (error: string | undefined) => void = () => {};
    const endpointClosed = new Promise<string | undefined>((resolve) => (onClose = resolve));
    let failure: string | undefined;
    const server = Bun.listen({
      hostname: "127.0.0.2", port: 0,
      socket: {
        data(s, d) { s.write(d); },
        error(_s, error) { failure = errorCode(error); },
        close(_s, error) { onClose(errorCode(error) ?? failure); },
      },
    });
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => {
      forwarder.closeAll();
      server.stop(true);
    });
    const port = await forwarder.listen({ protocol: "TCP", hostname: "127.0.0.1", port: 0 }, () => ({ ip: "127.0.0.2", port: server.port }));
    const open = await openConnection(port);
    expect(await open.roundTrip("hi")).toBe("hi");
    open.terminate();
    expect(await endpointClosed).toBe("ECONNRESET");
  });

  test("closeAll resets established connections", async () => {
    const server = echoServer("127.0.0.2");
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => server.stop(true));
    const address = { protocol: "TCP" as const, hostname: "127.0.0.1", port: 0 };
    const port = await forwarder.listen(address, () => ({ ip: "127.0.0.2", port: server.port }));
    const open = await openConnection(port);
    expect(await open.roundTrip("hi")).toBe("hi");
    expect(forwarder.active({ ...address, port })).toBe(1);
    forwarder.closeAll();
    expect(await open.closed).toBe("ECONNRESET");
  });

  test("back-pressure: an endpoint that stops reading stops the client, and nothing is lost", async () => {
    const total = 64 << 20;
    let received = 0;
    const held: Socket[] = [];
    let onEnd: (n: number) => void = () => {};
    const ended = new Promise<number>((resolve) => (onEnd = resolve));
    const server = Bun.listen({
      hostname: "127.0.0.2", port: 0, allowHalfOpen: true,
      socket: {
        open(s) { s.pause(); held.push(s); },
        data(_s, d) { received += d.byteLength; },
        end(s) { onEnd(received); s.end(); },
      },
    });
    const forwarder = new Forwarder({ tcpForwarding: mode });
    cleanup.push(() => {
      forwarder.closeAll();
      server.stop(true);
    });
    const port = await forwarder.listen({ protocol: "TCP", hostname: "127.0.0.1", port: 0 }, () => ({ ip: "127.0.0.2", port: server.port }));
    const chunk = new Uint8Array(1 << 20);
    let sent = 0;
    const pump = (s: Socket) => {
      while (sent < total) {
        const n = s.write(chunk, 0, Math.min(chunk.byteLength, total - sent));
        if (n <= 0) return;
        sent += n;
      }
      s.shutdown();
    };
    const client = await Bun.connect({ hostname: "127.0.0.1", port, allowHalfOpen: true, socket: { drain: pump, data() {} } });
    cleanup.push(() => client.terminate());
    pump(client);
    // Socket buffers and the proxy's pipes or queue hold a few MB at most, never 64.
    expect(await settled(() => sent)).toBeLessThan(total);
    expect(received).toBe(0);
    for (const s of held) s.resume();
    expect(await ended).toBe(total);
  });
});
