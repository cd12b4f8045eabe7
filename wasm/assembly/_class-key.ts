// The pod's class (AssemblyScript): everything the filters and scores read about the pod, as one
// key of i32 words (request doubles, pod-dependent header words, the tolerations' id and the
// encoded query program), hashed and looked up among the class cache's records. Equal keys mean
// equal per-node results, so a record's index serves every pod with its key. Which classes get a
// record, and which record is recycled, stays with the TypeScript side (wasm-class-cache.ts),
// which reads the key, hash and record used back from the header after the call; doing the key
// here spares each pod a string key built and hashed in JavaScript (the twin: ts-twin-class-key.ts).
import {
  H_POD, H_KEY, H_Q_REQUIRED, H_Q_REQUIRED_END, H_Q_TERM_COUNT, H_Q_TERMS, H_Q_PREF_COUNT,
  H_Q_PREFS, H_Q_PORT_COUNT, H_Q_PORTS, H_Q_LENGTH, H_REQUIRED_NODE, H_TOLERATE_UNSCHEDULABLE,
  H_TOLERATIONS_ID, H_OUT_HASH, H_OUT_KEY_LENGTH, H_OUT_RECORD, H_CLASS_TABLE, H_CLASS_RECORDS,
  H_CLASS_STAMP, REC_HASH, REC_KEY, REC_KEY_LENGTH, REC_STAMP, REC_WORDS, KEY_FIXED, POD_DOUBLES,
} from "../../src/scheduler/layout";
import { ptr, word } from "./_filters";

@inline function put(base: usize, k: i32, v: i32): void {
  store<i32>(base + (<usize>k << 2), v);
}

/** Writes the pod's class key at H_KEY; returns its length in words. */
function buildKey(ctx: usize): i32 {
  const key = ptr(ctx, H_KEY);
  memory.copy(key, ptr(ctx, H_POD), <usize>POD_DOUBLES << 3);
  const program = ptr(ctx, H_Q_REQUIRED);
  const length = word(ctx, H_Q_LENGTH);
  let k = POD_DOUBLES * 2;
  put(key, k++, word(ctx, H_REQUIRED_NODE));
  put(key, k++, word(ctx, H_TOLERATE_UNSCHEDULABLE));
  put(key, k++, word(ctx, H_TOLERATIONS_ID));
  put(key, k++, <i32>((ptr(ctx, H_Q_REQUIRED_END) - program) >> 2));
  put(key, k++, word(ctx, H_Q_TERM_COUNT));
  put(key, k++, <i32>((ptr(ctx, H_Q_TERMS) - program) >> 2));
  put(key, k++, word(ctx, H_Q_PREF_COUNT));
  put(key, k++, <i32>((ptr(ctx, H_Q_PREFS) - program) >> 2));
  put(key, k++, word(ctx, H_Q_PORT_COUNT));
  put(key, k++, <i32>((ptr(ctx, H_Q_PORTS) - program) >> 2));
  put(key, k++, length);
  memory.copy(key + (<usize>KEY_FIXED << 2), program, <usize>length << 2);
  return KEY_FIXED + length;
}

const BASIS: u32 = 0x811c9dc5;
const PRIME: u32 = 0x01000193;

/**
 * The key's hash: FNV-1a in four lanes (word k goes to lane k & 3), then FNV-1a over the four
 * lane states. Four chains rather than one: the serial chain of multiplications was a fixed cost
 * of every pod in both languages; here the lanes are one i32x4 multiplication per four words.
 */
function hashWords(p: usize, n: i32): u32 {
  let acc = i32x4.splat(BASIS);
  const prime = i32x4.splat(PRIME);
  let k = 0;
  for (; k + 4 <= n; k += 4) acc = i32x4.mul(v128.xor(acc, v128.load(p + (<usize>k << 2))), prime);
  let h0 = <u32>i32x4.extract_lane(acc, 0);
  let h1 = <u32>i32x4.extract_lane(acc, 1);
  let h2 = <u32>i32x4.extract_lane(acc, 2);
  const h3 = <u32>i32x4.extract_lane(acc, 3);
  // The last n & 3 words, in lanes 0 .. 2.
  if (k < n) h0 = (h0 ^ load<u32>(p + (<usize>k << 2))) * PRIME;
  if (k + 1 < n) h1 = (h1 ^ load<u32>(p + (<usize>(k + 1) << 2))) * PRIME;
  if (k + 2 < n) h2 = (h2 ^ load<u32>(p + (<usize>(k + 2) << 2))) * PRIME;
  return ((((((BASIS ^ h0) * PRIME) ^ h1) * PRIME ^ h2) * PRIME) ^ h3) * PRIME;
}

/** Whether n words at a and b are equal: four at a time in v128 lanes (the twin compares one by one). */
function sameWords(a: usize, b: usize, n: i32): bool {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    if (!i32x4.all_true(i32x4.eq(v128.load(a + (<usize>k << 2)), v128.load(b + (<usize>k << 2))))) return false;
  }
  for (; k < n; k++) if (load<i32>(a + (<usize>k << 2)) != load<i32>(b + (<usize>k << 2))) return false;
  return true;
}

/**
 * Finds the pod's class among the records: on a hit, points the H_CLASS_* header words at the
 * record's arrays; on a miss, sets H_CLASS_STAMP to 0 (no class). Returns whether it hit.
 */
export function findClass(ctx: usize): bool {
  const key = ptr(ctx, H_KEY);
  const n = buildKey(ctx);
  const h = hashWords(key, n);
  put(ctx, H_OUT_HASH, <i32>h);
  put(ctx, H_OUT_KEY_LENGTH, n);
  const records = ptr(ctx, H_CLASS_TABLE);
  const count = word(ctx, H_CLASS_RECORDS);
  for (let r = 0; r < count; r++) {
    const rec = records + (<usize>(r * REC_WORDS) << 2);
    if (load<i32>(rec + (<usize>REC_KEY_LENGTH << 2)) != n || load<u32>(rec + (<usize>REC_HASH << 2)) != h) continue;
    if (!sameWords(<usize>load<u32>(rec + (<usize>REC_KEY << 2)), key, n)) continue;
    // REC_STAMP..REC_HIST are laid out as H_CLASS_STAMP..H_CLASS_HIST.
    memory.copy(ctx + (<usize>H_CLASS_STAMP << 2), rec + (<usize>REC_STAMP << 2), 10 << 2);
    put(ctx, H_OUT_RECORD, r);
    return true;
  }
  put(ctx, H_OUT_RECORD, -1);
  put(ctx, H_CLASS_STAMP, 0);
  return false;
}
