// A pod's rejections as the scorer hands them out, from the core's compact list of non-zero
// (reason id, count) pairs (wasm/assembly/_outputs.ts). The pods of a class mostly see the same
// counts, so per class record the object last built and its list are kept, and the next pod of the
// class whose list is word for word the same gets the same object: frozen, since callers share it
// (a decision's rejections are read-only; scheduler.ts copies them before adjusting the message).
import { R_TAINT_BASE } from "./layout.ts";
import { FIXED_REASONS, addRejection } from "./reasons.ts";
import type { Rejections } from "./types.ts";

const NO_REJECTIONS: Rejections = Object.freeze({});

interface Shared {
  /** The list the object was built from (buffer reused, grown when needed) and its length in words. */
  list: Int32Array;
  words: number;
  rejections: Rejections;
}

export class RejectionList {
  private readonly shared: Shared[] = [];

  /** `taintReasons[t]` words untolerated taint t (reason R_TAINT_BASE + t); the array grows in place. */
  constructor(private readonly taintReasons: readonly string[]) {}

  /** The rejections of the list of `words` words at word `at` of `w`; `record` is the class record used (-1: none). */
  read(w: Int32Array, at: number, words: number, record: number): Rejections {
    if (words === 0) return NO_REJECTIONS;
    const last = record >= 0 ? this.shared[record] : undefined;
    if (last !== undefined && last.words === words) {
      let k = 0;
      while (k < words && last.list[k] === w[at + k]) k++;
      if (k === words) return last.rejections;
    }
    const out: Rejections = {};
    for (let k = 0; k < words; k += 2) {
      const r = w[at + k]!;
      // Fixed reasons are distinct strings; two taints may share a message, so those add up.
      if (r < R_TAINT_BASE) out[FIXED_REASONS[r]!] = w[at + k + 1]!;
      else addRejection(out, this.taintReasons[r - R_TAINT_BASE]!, w[at + k + 1]!);
    }
    Object.freeze(out);
    if (record >= 0) {
      const entry = last ?? (this.shared[record] = { list: new Int32Array(Math.max(words, 16)), words: 0, rejections: out });
      if (entry.list.length < words) entry.list = new Int32Array(2 * words);
      for (let k = 0; k < words; k++) entry.list[k] = w[at + k]!;
      entry.words = words;
      entry.rejections = out;
    }
    return out;
  }
}
