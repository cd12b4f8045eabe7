// Encodes a pod's node selection rules into the integer program wasm/assembly/scheduler.ts runs:
// expressions are [column, op, count, payload...] over interned label columns and value ids.
// Strings the cluster has never seen map to "absent" and never grow the intern tables.
import type { Interner } from "./intern.ts";
import {
  OP_DOES_NOT_EXIST, OP_EXISTS, OP_GT, OP_IN, OP_LT, OP_NAME_IN, OP_NAME_NOT_IN, OP_NOT_IN,
} from "./layout.ts";
import type { NodeSlots } from "./node-slots.ts";
import { isEmptyTerm, parseLabelInt } from "./predicates.ts";
import type { HostPort, NodeSelectorRequirement, NodeSelectorTerm, PodQuery } from "./types.ts";

export interface EncodeTables {
  /** Label key -> column of the node label matrix. */
  columns: Interner;
  /** Label value -> id (from 1; 0 is "label absent"). */
  values: Interner;
  /** Host IP -> id (from 1; 0 is every address). */
  hostIPs: Interner;
  slots: NodeSlots;
}

/** Word offsets of each section inside the encoded program. */
export interface EncodedQuery {
  words: Int32Array;
  length: number;
  required: [number, number];
  termCount: number;
  terms: number;
  prefCount: number;
  prefs: number;
  portCount: number;
  ports: number;
}

const PROTOCOLS: Record<string, number> = { TCP: 0, UDP: 1, SCTP: 2 };

export function hostPortKey(p: HostPort): number {
  return p.port * 4 + (PROTOCOLS[p.protocol ?? "TCP"] ?? 3);
}

export function hostIPId(p: HostPort, hostIPs: Interner, grow: boolean): number {
  const ip = p.hostIP || "0.0.0.0";
  if (ip === "0.0.0.0") return 0;
  return grow ? hostIPs.intern(ip) : hostIPs.get(ip) ?? -1;
}

const f64 = new Float64Array(1);
const f64Words = new Int32Array(f64.buffer);

export class QueryEncoder {
  private words = new Int32Array(256);
  private length = 0;
  /** Reused for every pod (the scorer reads it before the next encode). */
  private readonly out: EncodedQuery = {
    words: this.words, length: 0, required: [0, 0], termCount: -1, terms: 0, prefCount: 0, prefs: 0, portCount: 0, ports: 0,
  };

  constructor(private readonly t: EncodeTables) {}

  encode(pod: PodQuery): EncodedQuery {
    this.length = 0;
    const out = this.out;
    for (const key in pod.nodeSelector) {
      const column = this.t.columns.get(key);
      const value = this.t.values.get(pod.nodeSelector[key]!);
      if (column === undefined || value === undefined) this.never();
      else this.push4(column, OP_IN, 1, value);
    }
    out.required[0] = 0;
    out.required[1] = this.length;

    out.terms = this.length;
    out.termCount = -1;
    if (pod.requiredTerms) {
      out.termCount = 0;
      for (const term of pod.requiredTerms) {
        if (isEmptyTerm(term)) continue;
        out.termCount++;
        this.term(term);
      }
    }

    out.prefs = this.length;
    out.prefCount = 0;
    for (const { weight, preference } of pod.preferredTerms) {
      if (weight === 0 || isEmptyTerm(preference)) continue;
      out.prefCount++;
      this.push([weight]);
      this.term(preference);
    }

    out.ports = this.length;
    for (const p of pod.hostPorts) this.push([hostPortKey(p), hostIPId(p, this.t.hostIPs, false)]);
    out.portCount = pod.hostPorts.length;
    out.words = this.words;
    out.length = this.length;
    return out;
  }

  /** [wordCount, expressions...] */
  private term(term: NodeSelectorTerm): void {
    const lengthAt = this.length;
    this.push([0]);
    for (const r of term.matchExpressions ?? []) this.expression(r);
    for (const r of term.matchFields ?? []) this.field(r);
    this.words[lengthAt] = this.length - lengthAt - 1;
  }

  private expression(r: NodeSelectorRequirement): void {
    const column = this.t.columns.get(r.key) ?? -1;
    const values = r.values ?? [];
    switch (r.operator) {
      case "In":
      case "NotIn": {
        const ids = values.map((v) => this.t.values.get(v)).filter((id): id is number => id !== undefined);
        this.push([column, r.operator === "In" ? OP_IN : OP_NOT_IN, ids.length, ...ids]);
        return;
      }
      case "Exists": return this.push([column, OP_EXISTS, 0]);
      case "DoesNotExist": return this.push([column, OP_DOES_NOT_EXIST, 0]);
      case "Gt":
      case "Lt":
        f64[0] = values.length === 1 ? parseLabelInt(values[0]!) : NaN;
        return this.push([column, r.operator === "Gt" ? OP_GT : OP_LT, 2, f64Words[0]!, f64Words[1]!]);
      default: return this.never();
    }
  }

  private field(r: NodeSelectorRequirement): void {
    if (r.key !== "metadata.name" || (r.operator !== "In" && r.operator !== "NotIn")) return this.never();
    const ids = (r.values ?? []).map((name) => this.t.slots.indexOf(name)).filter((i): i is number => i !== undefined);
    this.push([0, r.operator === "In" ? OP_NAME_IN : OP_NAME_NOT_IN, ids.length, ...ids]);
  }

  /** An expression no node matches. */
  private never(): void {
    this.push4(-1, OP_IN, 0, 0);
    this.length--;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.words.length) return;
    const bigger = new Int32Array(Math.max(this.words.length * 2, this.length + n));
    bigger.set(this.words);
    this.words = bigger;
  }

  /** A nodeSelector entry's expression without an array per call (the common case). */
  private push4(a: number, b: number, c: number, d: number): void {
    this.reserve(4);
    const w = this.words;
    const at = this.length;
    w[at] = a;
    w[at + 1] = b;
    w[at + 2] = c;
    w[at + 3] = d;
    this.length = at + 4;
  }

  private push(ws: number[]): void {
    this.reserve(ws.length);
    this.words.set(ws, this.length);
    this.length += ws.length;
  }
}
