import { afterEach, describe, expect, test } from "bun:test";
import type { EndpointSlice } from "../apis/discovery/endpointslice.ts";
import { decodeMessage, encodeMessage, query, RCODE, replyTo, TYPE } from "./message.ts";
import { staticDirectory } from "./records.ts";
import { type RunningDNS, startClusterDNS } from "./server.ts";
import { forwardTcp, forwardUdp, type Upstream } from "./upstream.ts";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

// A headless service with enough endpoints that its A answer cannot fit 512 bytes.
const many: EndpointSlice = {
  metadata: { name: "big-x", namespace: "default", labels: { "kubernetes.io/service-name": "big" } },
  addressType: "IPv4",
  endpoints: Array.from({ length: 40 }, (_, i) => ({ addresses: [`10.42.1.${i + 1}`] })),
};
const directory = staticDirectory(
  [
    { metadata: { name: "web", namespace: "default" }, spec: { clusterIP: "10.43.0.20" } },
    { metadata: { name: "big", namespace: "default" }, spec: { clusterIP: "None" } },
  ],
  [many],
);

async function dns(upstream?: Upstream, upstreamTimeoutMs = 300): Promise<RunningDNS> {
  const d = await startClusterDNS({ directory, hostname: "127.0.0.1", port: 0, upstream, upstreamTimeoutMs });
  stops.push(() => d.stop());
  return d;
}

/** An upstream resolver that answers every A question with 192.0.2.99, or never answers. */
async function fakeUpstream(silent = false): Promise<Upstream> {
  const s = await Bun.udpSocket({
    hostname: "127.0.0.1",
    binaryType: "uint8array",
    socket: {
      data(sock, packet, port, address) {
        if (silent) return;
        const q = decodeMessage(packet);
        const reply = { ...replyTo(q), answers: [{ name: q.questions[0]!.name, class: 1, ttl: 30, data: { type: TYPE.A, address: "192.0.2.99" } }] };
        sock.send(encodeMessage(reply as never), port, address);
      },
    },
  });
  stops.push(() => s.close());
  return { hostname: "127.0.0.1", port: s.port };
}

const ask = async (d: RunningDNS, name: string, type: number = TYPE.A, over: "udp" | "tcp" = "udp") => {
  const send = over === "udp" ? forwardUdp : forwardTcp;
  const bytes = await send(encodeMessage(query(42, name, type)), { hostname: d.hostname, port: d.port }, 2000);
  return decodeMessage(bytes!);
};

describe("cluster DNS server", () => {
  test.each(["udp", "tcp"] as const)("answers a service name over %s, authoritatively", async (over) => {
    const d = await dns();
    const m = await ask(d, "web.default.svc.cluster.local", TYPE.A, over);
    expect(m).toMatchObject({ id: 42, response: true, authoritative: true, rcode: RCODE.NOERROR });
    expect(m.answers.map((a) => a.data)).toEqual([{ type: TYPE.A, address: "10.43.0.20" }]);
  });

  test("NXDOMAIN for an unknown service", async () => {
    const d = await dns();
    expect((await ask(d, "nope.default.svc.cluster.local")).rcode).toBe(RCODE.NXDOMAIN);
  });

  test("other names are forwarded upstream and the reply relayed", async () => {
    const d = await dns(await fakeUpstream());
    const m = await ask(d, "example.com");
    expect(m.rcode).toBe(RCODE.NOERROR);
    expect(m.answers.map((a) => a.data)).toEqual([{ type: TYPE.A, address: "192.0.2.99" }]);
  });

  test("an upstream that does not answer gives SERVFAIL", async () => {
    const d = await dns(await fakeUpstream(true), 200);
    expect((await ask(d, "example.com")).rcode).toBe(RCODE.SERVFAIL);
  });

  test("no upstream at all gives SERVFAIL", async () => {
    const d = await dns();
    expect((await ask(d, "example.com")).rcode).toBe(RCODE.SERVFAIL);
  });

  test("an answer too big for UDP is truncated there and whole over TCP", async () => {
    const d = await dns();
    const udp = await ask(d, "big.default.svc.cluster.local");
    expect(udp.truncated).toBe(true);
    expect(udp.answers).toEqual([]);
    const tcp = await ask(d, "big.default.svc.cluster.local", TYPE.A, "tcp");
    expect(tcp.truncated).toBe(false);
    expect(tcp.answers).toHaveLength(40);
  });

  test("a garbled question gets FORMERR", async () => {
    const d = await dns();
    const garbled = new Uint8Array([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 30, 97]);
    const reply = await forwardUdp(garbled, { hostname: d.hostname, port: d.port }, 2000);
    expect(decodeMessage(reply!)).toMatchObject({ id: 9, rcode: RCODE.FORMERR });
  });
});
