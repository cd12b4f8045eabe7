// The TypeScript twin of wasm/assembly/_class-key.ts: the pod's class key built from the header
// and query program into H_KEY, hashed (FNV-1a over its words in four lanes) and looked up among the class
// records, over the module's own memory (ts-twin.ts explains the translation).
import {
  H_CLASS_RECORDS, H_CLASS_STAMP, H_CLASS_TABLE, H_KEY, H_OUT_HASH, H_OUT_KEY_LENGTH, H_OUT_RECORD,
  H_POD, H_Q_LENGTH, H_Q_PORTS, H_Q_PORT_COUNT, H_Q_PREFS, H_Q_PREF_COUNT, H_Q_REQUIRED,
  H_Q_REQUIRED_END, H_Q_TERMS, H_Q_TERM_COUNT, H_REQUIRED_NODE, H_TOLERATE_UNSCHEDULABLE,
  H_TOLERATIONS_ID, KEY_FIXED, POD_DOUBLES, REC_HASH, REC_KEY, REC_KEY_LENGTH, REC_STAMP, REC_WORDS,
} from "./layout.ts";
import type { TwinMemory } from "./ts-twin-filters.ts";

const BASIS = 0x811c9dc5 | 0;
const PRIME = 0x01000193;

/** findClass() of the module, for the header `m` serves. */
export function createTwinClassKey(m: TwinMemory): () => boolean {
  let i32 = m.i32;
  let h = 0;
  const word = (field: number) => i32[h + field]!;
  const p4 = (field: number) => i32[h + field]! >> 2;

  function buildKey(): number {
    const key = p4(H_KEY);
    i32.copyWithin(key, p4(H_POD), p4(H_POD) + POD_DOUBLES * 2);
    const program = p4(H_Q_REQUIRED);
    const length = word(H_Q_LENGTH);
    let k = key + POD_DOUBLES * 2;
    i32[k++] = word(H_REQUIRED_NODE);
    i32[k++] = word(H_TOLERATE_UNSCHEDULABLE);
    i32[k++] = word(H_TOLERATIONS_ID);
    i32[k++] = p4(H_Q_REQUIRED_END) - program;
    i32[k++] = word(H_Q_TERM_COUNT);
    i32[k++] = p4(H_Q_TERMS) - program;
    i32[k++] = word(H_Q_PREF_COUNT);
    i32[k++] = p4(H_Q_PREFS) - program;
    i32[k++] = word(H_Q_PORT_COUNT);
    i32[k++] = p4(H_Q_PORTS) - program;
    i32[k++] = length;
    i32.copyWithin(key + KEY_FIXED, program, program + length);
    return KEY_FIXED + length;
  }

  /** FNV-1a in four lanes (word k in lane k & 3), then over the lane states, as the module. */
  function hashWords(p: number, n: number): number {
    let h0 = BASIS;
    let h1 = BASIS;
    let h2 = BASIS;
    let h3 = BASIS;
    let k = 0;
    for (; k + 4 <= n; k += 4) {
      h0 = Math.imul(h0 ^ i32[p + k]!, PRIME);
      h1 = Math.imul(h1 ^ i32[p + k + 1]!, PRIME);
      h2 = Math.imul(h2 ^ i32[p + k + 2]!, PRIME);
      h3 = Math.imul(h3 ^ i32[p + k + 3]!, PRIME);
    }
    if (k < n) h0 = Math.imul(h0 ^ i32[p + k]!, PRIME);
    if (k + 1 < n) h1 = Math.imul(h1 ^ i32[p + k + 1]!, PRIME);
    if (k + 2 < n) h2 = Math.imul(h2 ^ i32[p + k + 2]!, PRIME);
    return Math.imul(Math.imul(Math.imul(Math.imul(BASIS ^ h0, PRIME) ^ h1, PRIME) ^ h2, PRIME) ^ h3, PRIME);
  }

  function sameWords(a: number, b: number, n: number): boolean {
    for (let k = 0; k < n; k++) if (i32[a + k] !== i32[b + k]) return false;
    return true;
  }

  return function findClass(): boolean {
    i32 = m.i32;
    h = m.h;
    const key = p4(H_KEY);
    const n = buildKey();
    const hash = hashWords(key, n);
    i32[h + H_OUT_HASH] = hash;
    i32[h + H_OUT_KEY_LENGTH] = n;
    const records = p4(H_CLASS_TABLE);
    const count = word(H_CLASS_RECORDS);
    for (let r = 0; r < count; r++) {
      const rec = records + r * REC_WORDS;
      if (i32[rec + REC_KEY_LENGTH] !== n || i32[rec + REC_HASH] !== hash) continue;
      if (!sameWords(i32[rec + REC_KEY]! >> 2, key, n)) continue;
      i32.copyWithin(h + H_CLASS_STAMP, rec + REC_STAMP, rec + REC_STAMP + 10);
      i32[h + H_OUT_RECORD] = r;
      return true;
    }
    i32[h + H_OUT_RECORD] = -1;
    i32[h + H_CLASS_STAMP] = 0;
    return false;
  };
}
