import { afterEach, expect, test } from "bun:test";
import { Forwarder } from "./forwarder.ts";
import { ensureRouteTableBuilt } from "./wasm-route-loader.ts";
import { createWasmRouteTable } from "./wasm-route-table.ts";

await ensureRouteTableBuilt();

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A UDP server answering each datagram with `name:datagram`. */
async function udpServer(hostname: string, name: string) {
  const s = await Bun.udpSocket({
    hostname,
    socket: {
      data(sock, data, port, address) {
        sock.send(`${name}:${data.toString()}`, port, address);
      },
    },
  });
  cleanup.push(() => s.close());
  return s;
}

/** A client socket; ask() sends one datagram and resolves with the first reply. */
async function udpClient() {
  const waiting: ((reply: string) => void)[] = [];
  const s = await Bun.udpSocket({
    hostname: "127.0.0.1",
    socket: {
      data(_sock, data) {
        waiting.shift()?.(data.toString());
      },
    },
  });
  cleanup.push(() => s.close());
  return {
    ask: (port: number, text: string) =>
      new Promise<string>((resolve) => {
        waiting.push(resolve);
        s.send(text, port, "127.0.0.1");
      }),
  };
}

async function eventually(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await Bun.sleep(10);
  expect(condition()).toBe(true);
}

test("udp: datagrams and replies are relayed; a flow stays on its endpoint; new flows rotate", async () => {
  const a = await udpServer("127.0.0.2", "a");
  const b = await udpServer("127.0.0.3", "b");
  const table = createWasmRouteTable();
  table.setEndpoints("kube-system/dns", [a, b].map((s) => ({ ip: s.hostname, port: s.port })));
  const forwarder = new Forwarder({ udpIdleTimeoutMs: 60_000 });
  cleanup.push(() => forwarder.closeAll());
  const port = await forwarder.listen({ protocol: "UDP", hostname: "127.0.0.1", port: 0 }, (ip) =>
    table.pick("kube-system/dns", ip, performance.now()),
  );
  const one = await udpClient();
  const two = await udpClient();
  expect(await one.ask(port, "q1")).toBe("a:q1");
  expect(await one.ask(port, "q2")).toBe("a:q2");
  expect(await two.ask(port, "q3")).toBe("b:q3");
  expect(await one.ask(port, "q4")).toBe("a:q4");
  expect(forwarder.active({ protocol: "UDP", hostname: "127.0.0.1", port })).toBe(2);
});

test("udp: idle flows expire, and the next datagram picks an endpoint again", async () => {
  const a = await udpServer("127.0.0.2", "a");
  const b = await udpServer("127.0.0.3", "b");
  const table = createWasmRouteTable();
  table.setEndpoints("kube-system/dns", [{ ip: a.hostname, port: a.port }]);
  const forwarder = new Forwarder({ udpIdleTimeoutMs: 50 });
  cleanup.push(() => forwarder.closeAll());
  const address = { protocol: "UDP" as const, hostname: "127.0.0.1", port: 0 };
  const port = await forwarder.listen(address, (ip) => table.pick("kube-system/dns", ip, performance.now()));
  const client = await udpClient();
  expect(await client.ask(port, "q1")).toBe("a:q1");
  table.setEndpoints("kube-system/dns", [{ ip: b.hostname, port: b.port }]);
  await eventually(() => forwarder.active({ ...address, port }) === 0);
  expect(await client.ask(port, "q2")).toBe("b:q2");
});
