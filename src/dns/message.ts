// DNS messages (RFC 1035) as the cluster DNS needs them: decode a query, encode an answer. Names
// are decoded with compression pointers (resolvers send them in EDNS and in answers we relay);
// answers are encoded without compression, which every resolver accepts. Record data we do not
// build ourselves (anything relayed) stays opaque bytes.

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface Question {
  /** Lower-cased, without the trailing dot ("web.default.svc.cluster.local"). */
  name: string;
  type: number;
  class: number;
}

export type RecordData =
  | { type: typeof TYPE.A; address: string }
  | { type: typeof TYPE.PTR | typeof TYPE.CNAME | typeof TYPE.NS; target: string }
  | { type: typeof TYPE.SRV; priority: number; weight: number; port: number; target: string }
  | { type: typeof TYPE.SOA; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { type: number; raw: Uint8Array };

export interface ResourceRecord {
  name: string;
  class: number;
  ttl: number;
  data: RecordData;
}

export interface Message {
  id: number;
  /** QR: a response. */
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

export class DnsFormatError extends Error {}

class Reader {
  private view: DataView;
  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.buf.byteLength) throw new DnsFormatError("message too short");
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let jumped = false;
    // Each pointer must go backwards, so a loop of pointers cannot hold us.
    let limit = pos;
    for (;;) {
      if (pos >= this.buf.byteLength) throw new DnsFormatError("name runs past the message");
      const len = this.buf[pos]!;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.byteLength) throw new DnsFormatError("truncated pointer");
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (target >= limit) throw new DnsFormatError("forward compression pointer");
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        limit = target;
        pos = target;
        continue;
      }
      if (len & 0xc0) throw new DnsFormatError("unsupported label type");
      if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        break;
      }
      if (pos + 1 + len > this.buf.byteLength) throw new DnsFormatError("label runs past the message");
      labels.push(new TextDecoder().decode(this.buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    return labels.join(".").toLowerCase();
  }
}

function readRecord(r: Reader): ResourceRecord {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const length = r.u16();
  const start = r.pos;
  r.need(length);
  let data: RecordData;
  if (type === TYPE.A && length === 4) data = { type, address: [...r.bytes(4)].join(".") };
  else if (type === TYPE.PTR || type === TYPE.CNAME || type === TYPE.NS) data = { type, target: r.name() };
  else if (type === TYPE.SRV) data = { type, priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
  else if (type === TYPE.SOA) data = { type, mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
  else data = { type, raw: r.bytes(length).slice() };
  r.pos = start + length;
  return { name, class: cls, ttl, data };
}

export function decodeMessage(buf: Uint8Array): Message {
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const section = (n: number) => Array.from({ length: n }, () => readRecord(r));
  return {
    id,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: section(counts[1]),
    authorities: section(counts[2]),
    additionals: section(counts[3]),
  };
}

class Writer {
  private buf = new Uint8Array(512);
  private view = new DataView(this.buf.buffer);
  pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return;
    const next = new Uint8Array(Math.max(this.buf.byteLength * 2, this.pos + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.pos++, v);
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
  }
  setU16(at: number, v: number): void {
    this.view.setUint16(at, v);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }
  name(name: string): void {
    for (const label of name.split(".")) {
      if (!label) continue;
      const b = new TextEncoder().encode(label);
      if (b.byteLength > 63) throw new DnsFormatError(`label too long in ${name}`);
      this.u8(b.byteLength);
      this.bytes(b);
    }
    this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.data.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lengthAt = w.pos;
  w.u16(0);
  const start = w.pos;
  const d = rr.data;
  if ("address" in d) for (const octet of d.address.split(".")) w.u8(Number(octet));
  else if ("priority" in d) {
    w.u16(d.priority);
    w.u16(d.weight);
    w.u16(d.port);
    w.name(d.target);
  } else if ("mname" in d) {
    w.name(d.mname);
    w.name(d.rname);
    for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v);
  } else if ("target" in d) w.name(d.target);
  else w.bytes(d.raw);
  w.setU16(lengthAt, w.pos - start);
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer();
  w.u16(m.id);
  let flags = ((m.opcode & 0xf) << 11) | (m.rcode & 0xf);
  if (m.response) flags |= 0x8000;
  if (m.authoritative) flags |= 0x0400;
  if (m.truncated) flags |= 0x0200;
  if (m.recursionDesired) flags |= 0x0100;
  if (m.recursionAvailable) flags |= 0x0080;
  w.u16(flags);
  for (const n of [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length]) w.u16(n);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) writeRecord(w, rr);
  return w.result();
}

/** A response to `query` with its id, question and RD flag, and nothing else yet. */
export function replyTo(query: Message, rcode: number = RCODE.NOERROR): Message {
  return {
    id: query.id,
    response: true,
    opcode: query.opcode,
    authoritative: false,
    truncated: false,
    recursionDesired: query.recursionDesired,
    recursionAvailable: true,
    rcode,
    questions: query.questions,
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** A query for tests and the upstream client. */
export function query(id: number, name: string, type: number): Message {
  return { ...replyTo({ id, opcode: 0, recursionDesired: true } as Message), response: false, recursionAvailable: false, questions: [{ name, type, class: CLASS_IN }] };
}
