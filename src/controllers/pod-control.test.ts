import { expect, test } from "bun:test";
import { podFromTemplate, slowStartBatch } from "./pod-control.ts";

test.each([
  [0, [], 0],
  [1, [1], 1],
  [10, [1, 2, 4, 3], 10],
  [1000, [1, 2, 4, 8, 16, 32, 64, 128, 256, 489], 1000],
])("slowStartBatch(%p) runs batches %p", async (count, batches, successes) => {
  const seen: number[] = [];
  let inFlight = 0;
  let batch = 0;
  const result = await slowStartBatch(count, 1, async () => {
    inFlight++;
    batch = Math.max(batch, inFlight);
    await Promise.resolve();
    if (inFlight === batch) seen.push(batch);
    inFlight--;
    if (inFlight === 0) batch = 0;
  });
  expect(result).toEqual({ successes });
  expect(seen).toEqual(batches);
});

test("slowStartBatch stops after the first batch with a failure", async () => {
  let calls = 0;
  const result = await slowStartBatch(100, 1, async (i) => {
    calls++;
    if (i === 2) throw new Error("quota exceeded");
  });
  // Batches 1 and 2 ran (3 calls); the failing batch ends it.
  expect(calls).toBe(3);
  expect(result.successes).toBe(2);
  expect((result.error as Error).message).toBe("quota exceeded");
});

test("podFromTemplate names, labels and owns the pod", () => {
  const ref = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: "u", controller: true, blockOwnerDeletion: true };
  const pod = podFromTemplate({ metadata: { labels: { app: "web" }, annotations: { a: "b" } }, spec: { containers: [{ name: "c", image: "x" }] } }, { metadata: { name: "web-abc", namespace: "ns" } }, ref);
  expect(pod.metadata).toEqual({ generateName: "web-abc-", namespace: "ns", labels: { app: "web" }, annotations: { a: "b" }, ownerReferences: [ref] });
  expect(pod.spec?.containers[0]?.image).toBe("x");
});
