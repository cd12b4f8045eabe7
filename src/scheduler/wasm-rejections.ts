// A pod's rejections as the scorer hands them out, from the core's compact list of non-zero
// (reason id, count) pairs (wasm/assembly/_outputs.ts). The pods of a class mostly see the same
// counts: the core compares each pod's list with the one its class record's previous pod saw
// (H_OUT_LIST_SAME), and when they are equal the scorer hands out the object it built then,
// without reading the list: frozen, since callers share it (a decision's rejections are
// read-only; scheduler.ts copies them before adjusting the message).
import { R_TAINT_BASE } from "./layout.ts";
import { FIXED_REASONS, addRejection } from "./reasons.ts";
import type { Rejections } from "./types.ts";

const NO_REJECTIONS: Rejections = Object.freeze({});

export class RejectionList {
  /** Per class record, the object built from the list its last pod saw. */
  private readonly shared: (Rejections | undefined)[] = [];

  /** `taintReasons[t]` words untolerated taint t (reason R_TAINT_BASE + t); the array grows in place. */
  constructor(private readonly taintReasons: readonly string[]) {}

  /**
   * The rejections of the list of `words` words at word `at` of `w`; `record` is the class record
   * used (-1: none), `same` whether the core found the record's previous list equal to this one.
   */
  read(w: Int32Array, at: number, words: number, record: number, same: boolean): Rejections {
    if (record < 0) return words === 0 ? NO_REJECTIONS : this.build(w, at, words);
    if (same) {
      const last = this.shared[record];
      if (last !== undefined) return last;
    }
    return (this.shared[record] = words === 0 ? NO_REJECTIONS : this.build(w, at, words));
  }

  private build(w: Int32Array, at: number, words: number): Rejections {
    const out: Rejections = {};
    for (let k = 0; k < words; k += 2) {
      const r = w[at + k]!;
      // Fixed reasons are distinct strings; two taints may share a message, so those add up.
      if (r < R_TAINT_BASE) out[FIXED_REASONS[r]!] = w[at + k + 1]!;
      else addRejection(out, this.taintReasons[r - R_TAINT_BASE]!, w[at + k + 1]!);
    }
    return Object.freeze(out);
  }
}
