// PodSlots' hash table of keys against a Map: many keys, so the table grows several times, long
// probe runs, and removals anywhere in a run (the entries after it move back, no tombstones).
import { expect, test } from "bun:test";
import { PodSlots } from "./pod-slots.ts";
import { XorShift32 } from "./tie-break.ts";
import type { PodUsage } from "./types.ts";

const usage: PodUsage = { requests: { cpu: 1, memory: 0, ephemeralStorage: 0 }, nonZero: { cpu: 1, memory: 0 }, hostPorts: [] };

test.each([1, 2, 3])("seed %i: every key found at its slot, none after removal, through growth and reuse", (seed) => {
  const rng = new XorShift32(seed);
  const slots = new PodSlots();
  const model = new Map<string, number>();
  const keys = Array.from({ length: 12000 }, (_, i) => `ns-${i % 7}/pod-${i}`);
  for (let step = 0; step < 60000; step++) {
    const key = keys[rng.next() % (step < 20000 ? keys.length : 3000)]!;
    const slot = model.get(key);
    if (slot === undefined) model.set(key, slots.add(key, `n${rng.next() % 50}`, usage, false));
    else if (rng.next() % 3 !== 0) {
      slots.remove(slot);
      model.delete(key);
    }
    if (step % 5000 === 0 || step === 59999) {
      expect(slots.size).toBe(model.size);
      for (const k of keys) {
        expect(slots.slotOf(k)).toBe(model.get(k));
        if (model.has(k)) expect(slots.keyOf(model.get(k)!)).toBe(k);
      }
    }
  }
  // Removal of everything leaves an empty table that still answers.
  for (const [, slot] of model) slots.remove(slot);
  expect(slots.size).toBe(0);
  for (const k of keys.slice(0, 100)) expect(slots.slotOf(k)).toBeUndefined();
});

test("a table kept just under half full: long runs, many wrapping past its end, removals inside them", () => {
  const rng = new XorShift32(99);
  const slots = new PodSlots();
  const model = new Map<string, number>();
  const keys = Array.from({ length: 4000 }, (_, i) => `default/web-${i.toString(36)}`);
  // The table starts at 2,048 positions and doubles past 1,024 keys: stay at 1,000-1,024.
  for (let step = 0; step < 40000; step++) {
    const key = keys[rng.next() % keys.length]!;
    const slot = model.get(key);
    if (slot === undefined && model.size < 1024) model.set(key, slots.add(key, "n", usage, false));
    else if (slot !== undefined && model.size > 1000) {
      slots.remove(slot);
      model.delete(key);
    }
    if (step % 2000 === 0) for (const k of keys) expect(slots.slotOf(k)).toBe(model.get(k));
  }
});
