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

function noKeys(o: Record<string, string>): boolean {
  for (const _ in o) return false;
  return true;
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
    if (pod.requiredTerms === undefined && pod.preferredTerms.length === 0 && pod.hostPorts.length === 0 && noKeys(pod.nodeSelector)) {
      // No rules (most pods): the empty program, without walking the sections.
      out.required[0] = out.required[1] = 0;
      out.termCount = -1;
      out.terms = out.prefs = out.ports = 0;
      out.prefCount = out.portCount = 0;
      out.length = 0;
      return out;
    }
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
    const preferred = pod.preferredTerms;
    for (let k = 0; k < preferred.length; k++) {
      const { weight, preference } = preferred[k]!;
      if (weight === 0 || isEmptyTerm(preference)) continue;
      out.prefCount++;
      this.push1(weight);
      this.term(preference);
    }

    out.ports = this.length;
    const ports = pod.hostPorts;
    for (let k = 0; k < ports.length; k++) {
      this.push1(hostPortKey(ports[k]!));
      this.push1(hostIPId(ports[k]!, this.t.hostIPs, false));
    }
    out.portCount = pod.hostPorts.length;
    out.words = this.words;
    out.length = this.length;
    return out;
  }

  /** [wordCount, expressions...] */
  private term(term: NodeSelectorTerm): void {
    const lengthAt = this.length;
    this.push1(0);
    const expressions = term.matchExpressions;
    if (expressions) for (let k = 0; k < expressions.length; k++) this.expression(expressions[k]!);
    const fields = term.matchFields;
    if (fields) for (let k = 0; k < fields.length; k++) this.field(fields[k]!);
    this.words[lengthAt] = this.length - lengthAt - 1;
  }

  private expression(r: NodeSelectorRequirement): void {
    const column = this.t.columns.get(r.key) ?? -1;
    switch (r.operator) {
      case "In":
      case "NotIn":
        return this.list(column, r.operator === "In" ? OP_IN : OP_NOT_IN, r.values, false);
      case "Exists": return this.push3(column, OP_EXISTS, 0);
      case "DoesNotExist": return this.push3(column, OP_DOES_NOT_EXIST, 0);
      case "Gt":
      case "Lt":
        f64[0] = r.values?.length === 1 ? parseLabelInt(r.values[0]!) : NaN;
        this.push3(column, r.operator === "Gt" ? OP_GT : OP_LT, 2);
        this.push1(f64Words[0]!);
        return this.push1(f64Words[1]!);
      default: return this.never();
    }
  }

  private field(r: NodeSelectorRequirement): void {
    if (r.key !== "metadata.name" || (r.operator !== "In" && r.operator !== "NotIn")) return this.never();
    this.list(0, r.operator === "In" ? OP_NAME_IN : OP_NAME_NOT_IN, r.values, true);
  }

  /**
   * [column, op, count, ids...]: the ids of the values that have one (unknown values match
   * nothing): label value ids, or node slots for `names` (a flag, not a callback: no closure per
   * expression).
   */
  private list(column: number, op: number, values: string[] | undefined, names: boolean): void {
    const n = values?.length ?? 0;
    this.reserve(3 + n);
    const w = this.words;
    const at = this.length;
    w[at] = column;
    w[at + 1] = op;
    let count = 0;
    for (let k = 0; k < n; k++) {
      const v = names ? this.t.slots.indexOf(values![k]!) : this.t.values.get(values![k]!);
      if (v !== undefined) w[at + 3 + count++] = v;
    }
    w[at + 2] = count;
    this.length = at + 3 + count;
  }

  private push1(a: number): void {
    this.reserve(1);
    this.words[this.length++] = a;
  }

  private push3(a: number, b: number, c: number): void {
    this.reserve(3);
    const w = this.words;
    const at = this.length;
    w[at] = a;
    w[at + 1] = b;
    w[at + 2] = c;
    this.length = at + 3;
  }

  /** An expression no node matches. */
  private never(): void {
    this.push3(-1, OP_IN, 0);
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
}
