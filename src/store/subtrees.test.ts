import { describe, expect, test } from "bun:test";
import { SubtreeTable } from "./subtrees.ts";

const pod = (name: string, node?: string) =>
  JSON.parse(JSON.stringify({
    metadata: { name, labels: { app: "web" }, managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": { "f:containers": { ".": {} } } } }] },
    spec: { containers: [{ name: "app", image: "busybox", resources: { requests: { cpu: "100m" } } }], tolerations: [{ key: "a", operator: "Exists" }], nodeName: node },
    status: { conditions: [{ type: "PodScheduled", status: "True" }] },
  }));

describe("SubtreeTable", () => {
  test("equal parts of two objects become one object, unequal ones stay apart", () => {
    const t = new SubtreeTable();
    const a = t.share(pod("a", "n1"));
    const b = t.share(pod("b", "n2"));
    expect(b).not.toBe(a);
    expect(b.spec.containers).toBe(a.spec.containers);
    expect(b.spec.tolerations).toBe(a.spec.tolerations);
    expect(b.metadata.labels).toBe(a.metadata.labels);
    expect(b.metadata.managedFields).toBe(a.metadata.managedFields);
    expect(b.status).toBe(a.status);
    expect(b.spec).not.toBe(a.spec);
    expect(b.metadata).not.toBe(a.metadata);
  });

  test("sharing never changes a value", () => {
    const t = new SubtreeTable();
    const inputs = [pod("a", "n1"), pod("b"), pod("a", "n1"), { x: [1, "1", true, null, { "1": 1 }], y: ["1", 1] }, { x: [1, 1, true, null, { "1": "1" }] }];
    const expected = inputs.map((v) => JSON.stringify(v));
    const shared = inputs.map((v) => t.share(v));
    expect(shared.map((v) => JSON.stringify(v))).toEqual(expected);
  });

  test.each([
    ["strings vs numbers", { a: ["1"] }, { a: [1] }],
    ["key order", { a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } }],
    ["array vs object", { a: ["v"] }, { a: { 0: "v" } }],
    ["null vs false", { a: [null] }, { a: [false] }],
    ["empty array vs object", { a: [[]] }, { a: [{}] }],
    ["fewer keys", { a: { x: 1, y: 2 } }, { a: { x: 1 } }],
    ["more keys", { a: { x: 1 } }, { a: { x: 1, y: 2 } }],
    ["integers vs fractions", { a: [1] }, { a: [1.5] }],
    ["small vs large integers", { a: [1] }, { a: [2 ** 32 + 1] }],
    ["numbers vs their text", { a: { x: 0 } }, { a: { x: "0" } }],
  ])("does not confuse %s", (_, x, y) => {
    const t = new SubtreeTable();
    const a = t.share(structuredClone(x)) as Record<string, unknown>;
    const b = t.share(structuredClone(y)) as Record<string, unknown>;
    expect(b.a).not.toBe(a.a);
    expect(JSON.stringify(b)).toBe(JSON.stringify(y));
  });

  test("the table stays within its capacity; a part that left is shared again from its next sighting", () => {
    const t = new SubtreeTable(4);
    const first = t.share({ p: { keep: 0 } });
    // Enough other parts that one of them takes the first one's slot.
    for (let i = 1; i < 200; i++) {
      t.share({ p: { n: i } });
      expect(t.size).toBeLessThanOrEqual(4);
    }
    const again = t.share({ p: { keep: 0 } });
    expect(again.p).not.toBe(first.p);
    expect(t.share({ p: { keep: 0 } }).p).toBe(again.p);
  });

  test("metadata is not shared as a whole (its name is the object's own) but its parts are", () => {
    const t = new SubtreeTable();
    const a = t.share(pod("a"));
    const b = t.share(pod("a"));
    expect(b.metadata).not.toBe(a.metadata);
    expect(b.metadata.labels).toBe(a.metadata.labels);
    expect(b.metadata.managedFields[0].fieldsV1).toBe(a.metadata.managedFields[0].fieldsV1);
    expect(b.spec).toBe(a.spec);
  });

  test("objects already stored are never written: sharing later objects leaves them as they were", () => {
    const t = new SubtreeTable();
    const freeze = (v: unknown): void => {
      if (typeof v !== "object" || v === null || Object.isFrozen(v)) return;
      Object.freeze(v);
      for (const x of Object.values(v)) freeze(x);
    };
    const stored = [pod("a", "n1"), pod("b"), pod("c", "n1")].map((p) => t.share(p));
    const texts = stored.map((v) => JSON.stringify(v));
    for (const v of stored) freeze(v); // a write into any of them throws (strict mode)
    for (let i = 0; i < 50; i++) {
      const next = t.share(pod(`p${i}`, i % 2 ? "n1" : undefined));
      expect(next.spec.containers).toBe(stored[0].spec.containers);
    }
    expect(stored.map((v) => JSON.stringify(v))).toEqual(texts);
  });

  test("an array root and values that are not objects pass through", () => {
    const t = new SubtreeTable();
    const a = t.share([{ x: [1] }, { x: [1] }]);
    expect(a[1]).toBe(a[0]);
    expect(t.share("s")).toBe("s");
    expect(t.share(null)).toBe(null);
  });
});
