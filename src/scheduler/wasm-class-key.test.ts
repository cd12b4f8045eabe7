// The core finds a pod's class by the hash of its key, then compares the whole key
// (wasm/assembly/_class-key.ts, twin ts-twin-class-key.ts): two pods whose keys differ but hash
// alike must keep separate classes. FNV-1a over words lets a test build such a pair: the key
// starts with the cpu request's two words, so for a chosen low word the high word that gives the
// same hash after both follows from the first pod's words.
import { describe, expect, test } from "bun:test";
import { ensureWasmBuilt } from "../../wasm/build.ts";
import { GI, makeNode, makePod } from "../../test/helpers/scheduler-fixtures.ts";
import { H_OUT_HASH } from "./layout.ts";
import { createTsScorer } from "./ts-scorer.ts";
import { createTsTwin } from "./ts-twin.ts";
import type { PodQuery, Scorer } from "./types.ts";
import type { SchedulerExports } from "./wasm-loader.ts";
import { createWasmScorer } from "./wasm-scorer.ts";

ensureWasmBuilt("scheduler");

const BASIS = 0x811c9dc5 | 0;
const PRIME = 0x01000193;

/** A cpu request, other than `cpu`, whose two words give the same FNV-1a state after them. */
function collidingCpu(cpu: number, min: number, max: number): number {
  const f = new Float64Array([cpu]);
  const [a0, a1] = new Int32Array(f.buffer);
  const s0 = Math.imul(BASIS ^ a0!, PRIME);
  const out = new Float64Array(1);
  const words = new Int32Array(out.buffer);
  for (let lo = 1; ; lo++) {
    const t0 = Math.imul(BASIS ^ lo, PRIME);
    words[0] = lo;
    words[1] = s0 ^ a1! ^ t0;
    if (out[0]! > min && out[0]! < max) return out[0]!;
  }
}

const cpu2 = collidingCpu(1000, 1600, 3000);
// Same nonZero requests, so only the request's words differ between the two keys.
const first: PodQuery = { ...makePod({ cpu: 1000 }), nonZero: { cpu: 1000, memory: GI } };
const second: PodQuery = { ...first, requests: { ...first.requests, cpu: cpu2 } };

/** Node "a" has 1,500m free (fits the first pod, preferred by bin packing), "b" has 8,000m. */
function cluster(s: Scorer): Scorer {
  s.upsertNode(makeNode("a", { allocatable: { cpu: 4000, memory: 8 * GI, ephemeralStorage: 0, pods: 110 } }));
  s.upsertNode(makeNode("b", { allocatable: { cpu: 8000, memory: 8 * GI, ephemeralStorage: 0, pods: 110 } }));
  s.assume(makePod({ cpu: 2500 }), 0);
  return s;
}

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
