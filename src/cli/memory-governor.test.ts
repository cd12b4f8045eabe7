import { expect, test } from "bun:test";
import { collectionPolicy, startMemoryGovernor } from "./memory-governor.ts";

test.each<{ name: string; readings: number[]; collected: number[] }>([
  { name: "a quiet server is never collected", readings: [200, 201, 199, 200, 202], collected: [] },
  { name: "growth by a step collects", readings: [100, 120, 148], collected: [148] },
  // 160 collects; the collection brings it to 110; 150 is 40 over what it left; 170 is 60 over.
  { name: "the next step counts from what the last collection left", readings: [100, 120, 160, 130, 110, 150, 170], collected: [160, 170] },
  { name: "live data growing steadily collects once a step", readings: [100, 130, 150, 180, 200, 230, 250], collected: [150, 200, 250] },
])("$name", ({ readings, collected }) => {
  const due = collectionPolicy(readings[0]!, 48);
  expect(readings.slice(1).filter((r) => due(r))).toEqual(collected);
});

test("with the real Bun.gc, the timer collects and stops when told", async () => {
  let reads = 0;
  const governor = startMemoryGovernor({ stepBytes: 1, intervalMs: 5, rss: () => ++reads * 2 });
  await Bun.sleep(60);
  governor.stop();
  const after = governor.collections;
  expect(after).toBeGreaterThan(0);
  await Bun.sleep(30);
  expect(governor.collections).toBe(after);
});
