import { describe, expect, test } from "bun:test";
import { adoptUnchanged, SubtreeTable } from "./subtrees.ts";

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

describe("a new revision keeps its previous revision's unchanged values (adoptUnchanged)", () => {
  const freeze = (v: unknown): void => {
    if (typeof v !== "object" || v === null || Object.isFrozen(v)) return;
    Object.freeze(v);
    for (const x of Object.values(v)) freeze(x);
  };
  /** A revision as the store makes it: parsed from its text, adopted from prev, shared, frozen. */
  const revision = (t: SubtreeTable, value: unknown, prev?: unknown) => {
    const parsed = JSON.parse(JSON.stringify(value));
    const stored = prev ? t.share(adoptUnchanged(parsed, prev), prev) : t.share(parsed);
    freeze(stored);
    return stored;
  };
  const unique = (name: string, node?: string) => {
    const p = pod(name, node);
    // Parts no other pod has (the table cannot share them): only the previous revision can.
    p.metadata.uid = `uid-${name}`;
    p.metadata.managedFields[0].time = `time-${name}`;
    p.spec.hostname = name;
    return p;
  };

  test("unchanged root and metadata values are the previous revision's own; changed ones and the JSON are the new", () => {
    const t = new SubtreeTable();
    const first = revision(t, { ...unique("a"), metadata: { ...unique("a").metadata, resourceVersion: "1" } });
    const bound = unique("a", "n1");
    bound.metadata.resourceVersion = "2";
    const second = revision(t, bound, first);
    expect(JSON.stringify(second)).toBe(JSON.stringify(bound));
    expect(second.metadata).not.toBe(first.metadata);
    expect(second.metadata.managedFields).toBe(first.metadata.managedFields);
    expect(second.spec).not.toBe(first.spec); // nodeName changed
    expect(second.spec.containers).toBe(first.spec.containers);
    expect(second.status).toBe(first.status);
    // A status write after the binding: the bound spec is kept whole.
    const status = JSON.parse(JSON.stringify(bound));
    status.metadata.resourceVersion = "3";
    status.status = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };
    const third = revision(t, status, second);
    expect(JSON.stringify(third)).toBe(JSON.stringify(status));
    expect(third.spec).toBe(second.spec);
    expect(third.metadata.managedFields).toBe(second.metadata.managedFields);
    expect(third.status).not.toBe(second.status);
  });

  test.each([
    ["key order", { a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } }],
    ["a key more", { a: { x: 1 } }, { a: { x: 1, y: 2 } }],
    ["a key less", { a: { x: 1, y: 2 } }, { a: { x: 1 } }],
    ["strings vs numbers", { a: ["1"] }, { a: [1] }],
    ["null vs object", { a: { x: null } }, { a: { x: {} } }],
    ["array vs object", { a: ["v"] }, { a: { 0: "v" } }],
    ["metadata fields", { metadata: { labels: { x: "1" } } }, { metadata: { labels: { x: "2" } } }],
  ])("does not adopt a part that differs by %s", (_, before, after) => {
    const t = new SubtreeTable();
    const first = revision(t, before);
    const second = revision(t, after, first);
    expect(JSON.stringify(second)).toBe(JSON.stringify(after));
  });

  test("strings equal to the previous revision's are its strings; prev and its parts are never written", () => {
    const t = new SubtreeTable();
    const first = revision(t, unique("a"));
    const text = JSON.stringify(first);
    const next = unique("a");
    next.metadata.annotations = { new: "x" };
    const second = revision(t, next, first);
    expect(second.metadata.uid).toBe(first.metadata.uid);
    expect(second.metadata.annotations).toEqual({ new: "x" });
    expect(JSON.stringify(first)).toBe(text);
  });
});

