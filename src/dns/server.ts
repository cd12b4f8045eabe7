// The cluster DNS server (CoreDNS's role, in-process with the service proxy on every node): UDP
// and TCP on one address and port, answering cluster names from the informer caches and
// forwarding the rest to the node's resolver.
import type { TCPSocketListener } from "bun";
import { answerQuestion, DEFAULT_CLUSTER_DOMAIN, type ServiceDirectory } from "./records.ts";
import { DnsFormatError, decodeMessage, encodeMessage, type Message, RCODE, replyTo, TYPE } from "./message.ts";
import { DEFAULT_UPSTREAM_TIMEOUT_MS, forwardTcp, forwardUdp, type Upstream } from "./upstream.ts";

export interface ClusterDNSOptions {
  directory: ServiceDirectory;
  hostname: string;
  /** 53 in a cluster; 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  domain?: string;
  /** Where other names go; undefined answers them SERVFAIL. */
  upstream?: Upstream;
  upstreamTimeoutMs?: number;
}

export interface RunningDNS {
  hostname: string;
  port: number;
  stop(): void;
}

type Transport = "udp" | "tcp";

/** Classic DNS over UDP: 512 bytes unless the query's EDNS OPT record offers more. */
function udpLimit(query: Message): number {
  const opt = query.additionals.find((r) => r.data.type === TYPE.OPT);
  return Math.max(512, opt?.class ?? 512);
}

export function dnsHandler(opts: ClusterDNSOptions): (packet: Uint8Array, transport: Transport) => Promise<Uint8Array | undefined> {
  const domain = opts.domain ?? DEFAULT_CLUSTER_DOMAIN;
  const timeout = opts.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  return async (packet, transport) => {
    let query: Message;
    try {
      query = decodeMessage(packet);
    } catch (err) {
      if (!(err instanceof DnsFormatError) || packet.byteLength < 12) return undefined;
      // The header was readable: tell the client its message was not.
      const header = decodeMessage(headerOnly(packet));
      return encodeMessage({ ...replyTo(header, RCODE.FORMERR), questions: [] });
    }
    if (query.response) return undefined;
    if (query.opcode !== 0) return encodeMessage(replyTo(query, RCODE.NOTIMP));
    if (query.questions.length !== 1) return encodeMessage(replyTo(query, RCODE.FORMERR));
    const answer = answerQuestion(query.questions[0]!, opts.directory, domain);
    if (!answer) {
      if (!opts.upstream) return encodeMessage(replyTo(query, RCODE.SERVFAIL));
      const relayed = transport === "udp" ? await forwardUdp(packet, opts.upstream, timeout) : await forwardTcp(packet, opts.upstream, timeout);
      return relayed ?? encodeMessage(replyTo(query, RCODE.SERVFAIL));
    }
    const reply = { ...replyTo(query, answer.rcode), authoritative: true, answers: answer.answers, authorities: answer.authorities };
    const bytes = encodeMessage(reply);
    if (transport === "tcp" || bytes.byteLength <= udpLimit(query)) return bytes;
    // Too big for this datagram: say so, and the resolver asks again over TCP.
    return encodeMessage({ ...reply, truncated: true, answers: [], authorities: [] });
  };
}

/** The 12-byte header of a packet with every count zeroed: enough to reply FORMERR. */
function headerOnly(packet: Uint8Array): Uint8Array {
  const h = packet.slice(0, 12);
  h.fill(0, 4);
  return h;
}

interface TcpState {
  buffer: Uint8Array;
}

export async function startClusterDNS(opts: ClusterDNSOptions): Promise<RunningDNS> {
  const handle = dnsHandler(opts);
  const tcp: TCPSocketListener<TcpState> = Bun.listen<TcpState>({
    hostname: opts.hostname,
    port: opts.port,
    socket: {
      open(s) {
        s.data = { buffer: new Uint8Array(0) };
      },
      data(s, data) {
        const buf = new Uint8Array(s.data.buffer.byteLength + data.byteLength);
        buf.set(s.data.buffer);
        buf.set(data, s.data.buffer.byteLength);
        let at = 0;
        // Clients may pipeline several length-prefixed queries on one connection.
        while (buf.byteLength - at >= 2) {
          const length = (buf[at]! << 8) | buf[at + 1]!;
          if (buf.byteLength - at - 2 < length) break;
          const packet = buf.slice(at + 2, at + 2 + length);
          at += 2 + length;
          void handle(packet, "tcp").then((reply) => {
            if (!reply) return;
            const framed = new Uint8Array(reply.byteLength + 2);
            framed[0] = reply.byteLength >> 8;
            framed[1] = reply.byteLength & 0xff;
            framed.set(reply, 2);
            s.write(framed);
          });
        }
        s.data.buffer = buf.slice(at);
      },
    },
  });
  const udp = await Bun.udpSocket({
    hostname: opts.hostname,
    port: tcp.port,
    binaryType: "uint8array",
    socket: {
      data(s, packet, port, address) {
        const copy = packet.slice();
        void handle(copy, "udp").then((reply) => {
          try {
            if (reply && !s.closed) s.send(reply, port, address);
          } catch {
            // The client went away (its port answers ICMP unreachable): nothing to tell it.
          }
        });
      },
      // ICMP errors from clients that stopped listening surface here; they concern no other query.
      error() {},
    },
  }).catch((err) => {
    tcp.stop(true);
    throw err;
  });
  return {
    hostname: opts.hostname,
    port: tcp.port,
    stop() {
      tcp.stop(true);
      udp.close();
    },
  };
}
