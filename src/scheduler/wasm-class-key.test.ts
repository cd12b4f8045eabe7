// The core finds a pod's class by the hash of its key, then compares the whole key
// (wasm/assembly/_class-key.ts, twin ts-twin-class-key.ts): two pods whose keys differ but hash
// alike must keep separate classes. The hash (FNV-1a in four lanes, word k in lane k & 3, then
// FNV-1a over the lane states) lets a test build such a pair: the key starts with the cpu
// request's two words (lanes 0 and 1), so for a chosen low word the high word that gives the same
// state after the first two lane states follows from the first pod's words (the FNV prime is odd,
// so multiplying by it can be undone).
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { GI, makeNode, makePod } from "../../test/helpers/scheduler-fixtures.ts";
import { H_KEY, H_OUT_HASH, H_OUT_KEY_LENGTH } from "./layout.ts";
import { createTsScorer } from "./ts-scorer.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { PodQuery, Scorer } from "./types.ts";
import type { SchedulerExports } from "./wasm-loader.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const BASIS = 0x811c9dc5 | 0;
const PRIME = 0x01000193;

/** The inverse of the (odd) prime modulo 2^32, by Newton's iteration. */
function inverse(p: number): number {
  let x = p;
  for (let k = 0; k < 5; k++) x = Math.imul(x, 2 - Math.imul(p, x));
  return x;
}

/** The core's hash of a key (see the header comment), written out plainly. */
function hashOf(key: Int32Array): number {
  const lanes = [BASIS, BASIS, BASIS, BASIS];
  key.forEach((w, k) => (lanes[k & 3] = Math.imul(lanes[k & 3]! ^ w, PRIME)));
  return lanes.reduce((h, lane) => Math.imul(h ^ lane, PRIME), BASIS);
}

/** The state of lane `l` after the key's words k ≡ l (mod 4). */
function laneOf(key: Int32Array, l: number): number {
  let h = BASIS;
  for (let k = l; k < key.length; k += 4) h = Math.imul(h ^ key[k]!, PRIME);
  return h;
}

/** The key the core builds for `pod` (read from its key area after a call). */
function keyOf(pod: PodQuery): Int32Array {
  let key = new Int32Array(0);
  const core = (m: SchedulerExports) => ({
    schedule(ctx: number) {
      const best = m.schedule(ctx);
      const w = new Int32Array(m.memory.buffer);
      const at = w[(ctx >> 2) + H_KEY]! >> 2;
      key = w.slice(at, at + w[(ctx >> 2) + H_OUT_KEY_LENGTH]!);
      return best;
    },
    flush: m.flush,
  });
  cluster(createWasmScorer({ scoring: "binpack", core })).schedule(pod);
  return key;
}

/**
 * A cpu request in (min, max) whose two words (the key's words 0 and 1, lanes 0 and 1) give the
 * key of `pod` another key with the same hash: for a chosen low word, the lane 1 state that
 * cancels lane 0's change, then the high word that leads to it (each step of lane 1 undone).
 */
function collidingCpu(pod: PodQuery, min: number, max: number): number {
  const key = keyOf(pod);
  const target = Math.imul(BASIS ^ laneOf(key, 0), PRIME) ^ laneOf(key, 1);
  const other = key.slice();
  const out = new Float64Array(1);
  const words = new Int32Array(out.buffer);
  const undo = inverse(PRIME);
  let last = 1;
  while (last + 4 < key.length) last += 4;
  for (let lo = 1; ; lo++) {
    other[0] = lo;
    let h1 = target ^ Math.imul(BASIS ^ laneOf(other, 0), PRIME);
    for (let k = last; k > 1; k -= 4) h1 = Math.imul(h1, undo) ^ key[k]!;
    other[1] = Math.imul(h1, undo) ^ BASIS;
    if (hashOf(other) !== hashOf(key)) throw new Error("the colliding key does not collide");
    words[0] = other[0]!;
    words[1] = other[1]!;
    if (out[0]! > min && out[0]! < max) return out[0]!;
  }
}

/** Node "a" has 1,500m free (fits the first pod, preferred by bin packing), "b" has 8,000m. */
function cluster(s: Scorer): Scorer {
  s.upsertNode(makeNode("a", { allocatable: { cpu: 4000, memory: 8 * GI, ephemeralStorage: 0, pods: 110 } }));
  s.upsertNode(makeNode("b", { allocatable: { cpu: 8000, memory: 8 * GI, ephemeralStorage: 0, pods: 110 } }));
  s.assume(makePod({ cpu: 2500 }), 0);
  return s;
}

// Same nonZero requests, so only the request's words differ between the two keys.
const first: PodQuery = { ...makePod({ cpu: 1000 }), nonZero: { cpu: 1000, memory: GI } };
const second: PodQuery = { ...first, requests: { ...first.requests, cpu: collidingCpu(first, 1600, 3000) } };

describe("class keys that share a hash", () => {
  test.each([["wasm", false], ["twin", true]] as const)("keep separate classes (%s)", (_name, twin) => {
    const hashes: number[] = [];
    const core = (m: SchedulerExports) => {
      const inner = twin ? createTsTwin(m) : m;
      const schedule = (ctx: number) => {
        const best = inner.schedule(ctx);
        hashes.push(new Int32Array(m.memory.buffer)[(ctx >> 2) + H_OUT_HASH]!);
        return best;
      };
      return { schedule, flush: inner.flush };
    };
    const s = cluster(createWasmScorer({ scoring: "binpack", core }));
    const ref = cluster(createTsScorer({ scoring: "binpack" }));
    // Three pods of each class in turn: each class gets a record and an index.
    const stream = [first, first, first, second, second, second, first, second];
    const got = stream.map((p) => s.schedule(p));
    const want = stream.map((p) => ref.schedule(p));
    expect(new Set(hashes).size).toBe(1);
    expect(want[0]!.node).toBe("a");
    expect(want[3]!.node).toBe("b");
    expect(got).toEqual(want);
  });
});

describe("the key's hash", () => {
  // Keys of every length modulo 4 (each Exists expression adds three words), so each of the
  // lanes' last words is hashed: the module's i32x4 lanes and the twin's four chains give the
  // hash written out plainly above.
  test.each([["wasm", false], ["twin", true]] as const)("is the four-lane FNV-1a of the key (%s)", (_name, twin) => {
    const seen: [Int32Array, number][] = [];
    const core = (m: SchedulerExports) => {
      const inner = twin ? createTsTwin(m) : m;
      const schedule = (ctx: number) => {
        const best = inner.schedule(ctx);
        const w = new Int32Array(m.memory.buffer);
        const at = w[(ctx >> 2) + H_KEY]! >> 2;
        seen.push([w.slice(at, at + w[(ctx >> 2) + H_OUT_KEY_LENGTH]!), w[(ctx >> 2) + H_OUT_HASH]!]);
        return best;
      };
      return { schedule, flush: inner.flush };
    };
    const s = cluster(createWasmScorer({ scoring: "binpack", core }));
    for (let n = 1; n <= 4; n++) {
      const matchExpressions = Array.from({ length: n }, (_, k) => ({ key: `k${k}`, operator: "Exists" as const }));
      s.schedule(makePod({ preferredTerms: [{ weight: 1, preference: { matchExpressions } }] }));
    }
    expect(new Set(seen.map(([key]) => key.length % 4)).size).toBe(4);
    for (const [key, hash] of seen) expect(hash).toBe(hashOf(key));
  });
});
