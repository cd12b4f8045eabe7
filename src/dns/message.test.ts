import { describe, expect, test } from "bun:test";
import { CLASS_IN, DnsFormatError, decodeMessage, encodeMessage, type Message, query, RCODE, replyTo, type ResourceRecord, TYPE } from "./message.ts";

const rr = (data: ResourceRecord["data"]): ResourceRecord => ({ name: "web.default.svc.cluster.local", class: CLASS_IN, ttl: 5, data });

describe("DNS messages", () => {
  test.each<[string, ResourceRecord]>([
    ["A", rr({ type: TYPE.A, address: "10.43.0.17" })],
    ["PTR", rr({ type: TYPE.PTR, target: "web.default.svc.cluster.local" })],
    ["CNAME", rr({ type: TYPE.CNAME, target: "db.example.com" })],
    ["SRV", rr({ type: TYPE.SRV, priority: 0, weight: 100, port: 8080, target: "web.default.svc.cluster.local" })],
    ["SOA", rr({ type: TYPE.SOA, mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 })],
    ["opaque TXT", rr({ type: TYPE.TXT, raw: new Uint8Array([3, 97, 98, 99]) })],
  ])("%s records survive encode and decode", (_name, record) => {
    const m: Message = { ...replyTo(query(0x1234, "web.default.svc.cluster.local", record.data.type), RCODE.NOERROR), authoritative: true, answers: [record] };
    const decoded = decodeMessage(encodeMessage(m));
    expect(decoded).toEqual(m);
  });

  test("header flags and the question round-trip", () => {
    const q = query(7, "Example.COM", TYPE.AAAA);
    const d = decodeMessage(encodeMessage(q));
    expect(d).toMatchObject({ id: 7, response: false, recursionDesired: true, rcode: 0 });
    // Names compare case-insensitively: decoding lower-cases them.
    expect(d.questions).toEqual([{ name: "example.com", type: TYPE.AAAA, class: CLASS_IN }]);
  });

  test("compressed names are followed", () => {
    // Header (1 question, 1 answer), question "a.io" A IN, answer named by a pointer to offset 12.
    const bytes = new Uint8Array([
      0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
      1, 97, 2, 105, 111, 0, 0, 1, 0, 1,
      0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4,
    ]);
    const m = decodeMessage(bytes);
    expect(m.answers).toEqual([{ name: "a.io", class: 1, ttl: 60, data: { type: TYPE.A, address: "1.2.3.4" } }]);
  });

  test.each([
    ["a short header", new Uint8Array([0, 1, 0])],
    ["a question past the end", new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 97])],
    ["a pointer loop", new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1])],
  ])("rejects %s", (_name, bytes) => {
    expect(() => decodeMessage(bytes)).toThrow(DnsFormatError);
  });
});
