// The wasm scorer's taints: every taint seen on a node interned to an id (the node table stores
// ids), its rejection message built once, and per set of pod tolerations the flags the core reads
// for each taint id (blocks / avoided), cached because the pods of one workload share tolerations.
// Each cached set has an id, never reused, by which the core's class key names it.
import { TAINT_BLOCKS, TAINT_PREFER_AVOID } from "./layout.ts";
import { Interner } from "./intern.ts";
import { UNSCHEDULABLE_TAINT, taintReason, toleratedBy } from "./predicates.ts";
import type { Taint, Toleration } from "./types.ts";

/** A pod's tolerations against the interned taints. */
export interface TaintFlags {
  id: number;
  flags: Uint8Array;
  /** Some taint is PreferNoSchedule and not tolerated: the taint score needs its two passes. */
  scoring: boolean;
  /** The pod tolerates node.kubernetes.io/unschedulable. */
  unschedulable: boolean;
}

/**
 * A cache key for a list of tolerations: each field length-prefixed ("-" when absent), so two
 * different lists never share a key whatever their strings hold; cheaper than JSON.stringify.
 */
function tolerationsKey(tolerations: Toleration[]): string {
  let key = "";
  for (const t of tolerations) {
    key += t.key === undefined ? "-" : `${t.key.length}:${t.key}`;
    key += t.operator === undefined ? "-" : `${t.operator.length}:${t.operator}`;
    key += t.value === undefined ? "-" : `${t.value.length}:${t.value}`;
    key += t.effect === undefined ? "-" : `${t.effect.length}:${t.effect}`;
  }
  return key;
}

/** A copy to compare later pods with (the caller's list may change after the call). */
const copy = (tolerations: Toleration[]): Toleration[] => tolerations.map((t) => ({ ...t }));

function sameTolerations(a: Toleration[], b: Toleration[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!;
    const y = b[k]!;
    if (x.key !== y.key || x.operator !== y.operator || x.value !== y.value || x.effect !== y.effect) return false;
  }
  return true;
}

const RECENT = 8;

export class TaintTable {
  readonly taints: Taint[] = [];
  /** Each interned taint's rejection message. */
  readonly reasons: string[] = [];
  private readonly ids = new Interner(0);
  private readonly cache = new Map<string, TaintFlags>();
  /** Pods without tolerations (most of them) skip the key and the map. */
  private none?: TaintFlags;
  /**
   * The last RECENT lists looked up and their entries, compared field by field before any key is
   * built: the next pod usually belongs to one of a few workloads interleaving.
   */
  private recent: { list: Toleration[]; entry: TaintFlags }[] = [];
  private recentNext = 0;
  private lastId = 0;

  get size(): number {
    return this.taints.length;
  }

  intern(t: Taint): number {
    const before = this.ids.size;
    const id = this.ids.intern(`${t.key}\u0000${t.value ?? ""}\u0000${t.effect}`);
    if (this.ids.size !== before) {
      this.taints[id] = { key: t.key, value: t.value ?? "", effect: t.effect };
      this.reasons[id] = taintReason(this.taints[id]!);
      this.cache.clear();
      this.none = undefined;
      this.recent = [];
    }
    return id;
  }

  flagsFor(tolerations: Toleration[]): TaintFlags {
    if (tolerations.length === 0 && this.none) return this.none;
    for (const r of this.recent) if (sameTolerations(tolerations, r.list)) return r.entry;
    const key = tolerationsKey(tolerations);
    let entry = this.cache.get(key);
    if (entry) {
      this.remember(tolerations, entry);
      return entry;
    }
    const flags = new Uint8Array(this.taints.length);
    let scoring = false;
    for (let t = 0; t < this.taints.length; t++) {
      const taint = this.taints[t]!;
      if (toleratedBy(tolerations, taint)) continue;
      if (taint.effect === "PreferNoSchedule") {
        flags[t] = TAINT_PREFER_AVOID;
        scoring = true;
      } else flags[t] = TAINT_BLOCKS;
    }
    if (this.cache.size > 1024) {
      this.cache.clear();
      this.none = undefined;
    }
    entry = { id: ++this.lastId, flags, scoring, unschedulable: toleratedBy(tolerations, UNSCHEDULABLE_TAINT) };
    this.cache.set(key, entry);
    this.remember(tolerations, entry);
    if (tolerations.length === 0) this.none = entry;
    return entry;
  }

  private remember(tolerations: Toleration[], entry: TaintFlags): void {
    const r = { list: copy(tolerations), entry };
    if (this.recent.length < RECENT) this.recent.push(r);
    else this.recent[this.recentNext] = r;
    this.recentNext = (this.recentNext + 1) % RECENT;
  }
}
