// WasmHeap's allocator: freed ranges are reused (best fit, coalesced with their neighbours, the
// highest one given back to the top), memory handed out is always zero (reused ranges and a
// freed top were written to), and a random workload never hands out overlapping ranges.
import { describe, expect, test } from "bun:test";
import { XorShift32 } from "./tie-break.ts";
import { WasmHeap } from "./wasm-heap.ts";

const BASE = 1024;
const heapOf = () => new WasmHeap(new WebAssembly.Memory({ initial: 1 }), BASE);
const bytes = (h: WasmHeap, ptr: number, n: number) => new Uint8Array(h.buffer, ptr, n);

describe("WasmHeap", () => {
  test("a freed range is reused by the next allocation that fits, zeroed", () => {
    const h = heapOf();
    const a = h.alloc(100);
    const b = h.alloc(1000);
    const c = h.alloc(100);
    expect([a, b, c]).toEqual([BASE, BASE + 112, BASE + 1120]);
    bytes(h, b, 1000).fill(7);
    h.free(b, 1000);
    expect(h.stats).toMatchObject({ top: BASE + 1232, live: 224, free: 1008 });
    // Too big for the hole: from the top. Fits: the hole's start, the rest stays free.
    const d = h.alloc(2000);
    expect(d).toBe(BASE + 1232);
    const e = h.alloc(500);
    expect(e).toBe(b);
    expect(bytes(h, e, 500).every((x) => x === 0)).toBe(true);
    expect(h.alloc(400)).toBe(b + 512);
    expect(h.stats.free).toBe(96);
  });

  test("the smallest hole that fits is taken", () => {
    const h = heapOf();
    const big = h.alloc(4096);
    h.alloc(16);
    const small = h.alloc(256);
    h.alloc(16);
    h.free(big, 4096);
    h.free(small, 256);
    expect(h.alloc(200)).toBe(small);
    expect(h.alloc(200)).toBe(big);
  });

  test("neighbouring free ranges merge; the highest goes back to the top, whose memory is zeroed when handed out again", () => {
    const h = heapOf();
    const a = h.alloc(64);
    const b = h.alloc(64);
    const c = h.alloc(64);
    const d = h.alloc(64);
    bytes(h, a, 256).fill(9);
    h.free(a, 64);
    h.free(c, 64);
    h.free(b, 64);
    // a, b and c are one range now: 192 bytes fit at a.
    expect(h.stats.free).toBe(192);
    h.free(d, 64);
    expect(h.stats).toMatchObject({ top: BASE, live: 0, free: 0, touched: BASE + 256 });
    const e = h.alloc(300);
    expect(e).toBe(BASE);
    expect(bytes(h, e, 300).every((x) => x === 0)).toBe(true);
  });

  test("random allocations and frees: no two live ranges overlap, every allocation is zero, live bytes add up", () => {
    const rng = new XorShift32(5);
    const h = heapOf();
    const live = new Map<number, number>();
    let sum = 0;
    for (let step = 0; step < 4000; step++) {
      if (live.size && rng.next() % 2 === 0) {
        const ptrs = [...live.keys()];
        const ptr = ptrs[rng.next() % ptrs.length]!;
        h.free(ptr, live.get(ptr)!);
        sum -= Math.ceil(live.get(ptr)! / 16) * 16;
        live.delete(ptr);
        continue;
      }
      const n = 1 + (rng.next() % (rng.next() % 8 === 0 ? 70000 : 600));
      const ptr = h.alloc(n);
      expect(ptr % 16).toBe(0);
      expect(bytes(h, ptr, n).every((x) => x === 0)).toBe(true);
      for (const [p, m] of live) expect(ptr + n <= p || p + m <= ptr).toBe(true);
      bytes(h, ptr, n).fill(0xff);
      live.set(ptr, n);
      sum += Math.ceil(n / 16) * 16;
      expect(h.stats.live).toBe(sum);
      expect(h.stats.top).toBeLessThanOrEqual(h.stats.byteLength);
    }
  });
});
