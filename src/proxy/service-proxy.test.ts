// The proxy runner against a real API server: Services and EndpointSlices written through the
// API, a real host interface (root), backends listening on extra addresses of that interface.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import type { EndpointSlice } from "../apis/discovery/endpointslice.ts";
import type { Service } from "../apis/index.ts";
import { KubeClient, resourceFor } from "../client/index.ts";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../cli/server.ts";
import { startTestServer, type TestServer } from "../../test/helpers/server.ts";
import { type RunningServiceProxy, startServiceProxy } from "./service-proxy.ts";
import { exchange, replyOnEndServer } from "../../test/helpers/loopback-servers.ts";
import { ensureRouteTableBuilt } from "./wasm-route-loader.ts";
import { isAlreadyExists } from "../apis/errors.ts";

await ensureRouteTableBuilt();

const SERVICES = resourceFor("Service");
const SLICES = resourceFor("EndpointSlice");
// Backends: addresses the proxy keeps on its interface for us (its extraAddresses).
const BACKENDS = ["10.213.250.1", "10.213.250.2"];
const IFACE = `kbt${process.pid % 100000}`;
const NODE_PORT = 30000 + (process.pid % 2700);

let s: TestServer;
let client: KubeClient;
let proxy: RunningServiceProxy;
const stops: (() => void)[] = [];
let backendPort = 0;

beforeAll(async () => {
  s = await startTestServer();
  client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
  proxy = await startServiceProxy({ client, nodeIPs: [], interfaceName: IFACE, extraAddresses: BACKENDS, reserved: [{ protocol: "TCP", hostname: "10.43.250.30", port: 53 }], log: () => {} });
  const servers = BACKENDS.map((ip, i) => replyOnEndServer(ip, () => `b${i}`));
  // Both backends on one port number, so one slice port describes them.
  backendPort = servers[0]!.port;
  servers[1]!.stop(true);
  const second = Bun.listen<{ n: number }>({ hostname: BACKENDS[1]!, port: backendPort, allowHalfOpen: true, socket: { open(x) { x.data = { n: 0 }; }, data() {}, end(x) { x.write("b1"); x.shutdown(); } } });
  stops.push(() => servers[0]!.stop(true), () => second.stop(true));
  expect(await proxy.synced()).toBe(true);
});

afterAll(async () => {
  for (const f of stops) f();
  await proxy?.stop();
  await client?.close();
  if (restarted) {
    await restarted.stop();
    rmSync(s.tmp, { recursive: true, force: true });
  } else await s?.close();
});

let restarted: { stop(): Promise<void> } | undefined;

async function interfaceAddresses(): Promise<string[]> {
  const out = await new Response(Bun.spawn(["ip", "-4", "-o", "addr", "show", "dev", IFACE], { stderr: "ignore" }).stdout).text();
  return [...out.matchAll(/inet (\S+)\/32/g)].map((m) => m[1]!);
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 200; i++) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await Bun.sleep(50);
  }
  throw new Error(`${what} did not happen (${String(last)})`);
}

/** Until the proxy listens there, connections to a ClusterIP would leave by the default route. */
const listening = (protocol: "TCP" | "UDP", hostname: string, port: number) =>
  eventually(`${protocol} ${hostname}:${port} listening`, async () => proxy.forwarder.addresses().some((a) => a.protocol === protocol && a.hostname === hostname && a.port === port));

const ask = async (ip: string, port: number) => (await exchange(ip, port, new Uint8Array(0))).received.toString();

function service(name: string, clusterIP: string, extra: Partial<NonNullable<Service["spec"]>> = {}): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { clusterIP, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }], ...extra } };
}

function slice(svc: string, ips: string[]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${svc}-1`, namespace: "default", labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: "http", port: backendPort, protocol: "TCP" }],
  };
}

describe("service proxy", () => {
  test("a ClusterIP spreads connections over the endpoints; NodePort answers on loopback", async () => {
    await client.create(SERVICES, "default", service("web", "10.43.250.10", { type: "NodePort", ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080, nodePort: NODE_PORT }] }));
    await client.create(SLICES, "default", slice("web", BACKENDS));
    await listening("TCP", "10.43.250.10", 80);
    // The slice may reach the proxy after the service: until then connections are refused.
    await eventually("the endpoints answer", async () => (await ask("10.43.250.10", 80)) !== "");
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await ask("10.43.250.10", 80));
    expect([...seen].sort()).toEqual(["b0", "b1"]);
    expect(["b0", "b1"]).toContain(await ask("127.0.0.1", NODE_PORT));
    expect(await interfaceAddresses()).toContain("10.43.250.10");
  });

  test("a removed endpoint gets no new connections while an open one drains", async () => {
    // A connection held open to whichever backend it reaches, then b1 leaves the slice.
    const held = await heldConnection("10.43.250.10", 80);
    await client.patch(SLICES, "default", "web-1", { endpoints: [{ addresses: [BACKENDS[0]], conditions: { ready: true } }] }, "merge");
    await eventually("only b0 is picked", async () => {
      const answers = await Promise.all([1, 2, 3, 4].map(() => ask("10.43.250.10", 80)));
      return answers.every((a) => a === "b0");
    });
    expect(["b0", "b1"]).toContain(await held.finish());
  });

  test("a service without endpoints refuses at once", async () => {
    await client.create(SERVICES, "default", service("empty", "10.43.250.11"));
    await listening("TCP", "10.43.250.11", 80);
    const r = await exchange("10.43.250.11", 80, new Uint8Array(0));
    expect(r.received.byteLength).toBe(0);
    expect(r.error).toBeDefined();
  });

  test("a reserved address is left to its own server", async () => {
    await client.create(SERVICES, "default", service("dns", "10.43.250.30", { ports: [{ name: "dns-tcp", port: 53, protocol: "TCP" }] }));
    await eventually("the ClusterIP is on the interface", async () => (await interfaceAddresses()).includes("10.43.250.30"));
    expect(proxy.forwarder.addresses().some((a) => a.hostname === "10.43.250.30")).toBe(false);
  });

  test("a deleted service stops listening and its ClusterIP leaves the interface", async () => {
    await client.delete(SERVICES, "default", "empty");
    await eventually("the address is gone", async () => !(await interfaceAddresses()).includes("10.43.250.11"));
    expect(proxy.forwarder.addresses().some((a) => a.hostname === "10.43.250.11")).toBe(false);
  });
});

describe("service proxy across an API server restart", () => {
  test("UDP services are forwarded", async () => {
    const echo = await Bun.udpSocket({ hostname: BACKENDS[0]!, socket: { data: (x, d, port, addr) => void x.send(`u:${d}`, port, addr) } });
    stops.push(() => echo.close());
    await client.create(SERVICES, "default", service("udp", "10.43.250.12", { ports: [{ name: "u", port: 5353, protocol: "UDP" }] }));
    await client.create(SLICES, "default", { ...slice("udp", [BACKENDS[0]!]), ports: [{ name: "u", port: echo.port, protocol: "UDP" }] });
    const replies: string[] = [];
    // Datagrams sent before the ClusterIP is local go to the default route, and may come back
    // as ICMP errors: ignored, the next try goes to the proxy.
    const c = await Bun.udpSocket({ socket: { data: (_x, d) => void replies.push(d.toString()), error: () => {} } });
    stops.push(() => c.close());
    await listening("UDP", "10.43.250.12", 5353);
    await eventually("a datagram comes back", async () => {
      c.send("ping", 5353, "10.43.250.12");
      await Bun.sleep(20);
      return replies.includes("u:ping");
    });
  });

  test("the proxy re-syncs from a restarted API server", async () => {
    const port = s.port;
    await s.stop();
    restarted = await startServer({ dataDir: join(s.tmp, "data"), port, bind: "127.0.0.1", controllers: false, scheduler: false });
    // The client's pooled connection died with the old server: the first write may fail.
    const created = (err: unknown) => isAlreadyExists(err);
    await eventually("the service is created", () => client.create(SERVICES, "default", service("later", "10.43.250.13")).catch(created));
    await eventually("the slice is created", () => client.create(SLICES, "default", slice("later", [BACKENDS[0]!])).catch(created));
    await listening("TCP", "10.43.250.13", 80);
    expect(await eventually("the endpoint answers", () => ask("10.43.250.13", 80))).toBe("b0");
  });
});

/** A connection whose request is held back until finish(), which resolves with the reply. */
async function heldConnection(hostname: string, port: number): Promise<{ finish(): Promise<string> }> {
  let reply = "";
  let closed: () => void = () => {};
  const done = new Promise<void>((r) => (closed = r));
  const sock: Socket = await Bun.connect({
    hostname,
    port,
    allowHalfOpen: true,
    socket: { data: (_s, d) => void (reply += d.toString()), close: () => closed() },
  });
  // Let the proxy accept it and connect upstream before the endpoint set changes.
  await eventually("the connection is forwarded", async () => proxy.forwarder.active({ protocol: "TCP", hostname, port }) > 0);
  return {
    async finish() {
      sock.shutdown();
      await done;
      return reply;
    },
  };
}
