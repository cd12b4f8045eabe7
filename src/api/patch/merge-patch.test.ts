import { describe, expect, test } from "bun:test";
import { mergePatch, mergePatchInPlace } from "./merge-patch.ts";

describe("mergePatch (RFC 7386 appendix A)", () => {
  test.each([
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])("%j + %j", (target, patch, want) => {
    expect(mergePatch(target, patch)).toEqual(want);
    // In place, on a private copy: the same result, and the patch still untouched.
    const patchText = JSON.stringify(patch);
    expect(mergePatchInPlace(structuredClone(target), patch)).toEqual(want);
    expect(JSON.stringify(patch)).toBe(patchText);
  });
});

describe("mergePatch on Kubernetes objects", () => {
  const deployment = () => ({
    metadata: { name: "web", labels: { app: "web", tier: "fe" } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "web", image: "a", ports: [{ containerPort: 80 }] }] } } },
  });

  test("kubectl label removes a label with null and adds another", () => {
    const out = mergePatch(deployment(), { metadata: { labels: { tier: null, env: "prod" } } }) as any;
    expect(out.metadata.labels).toEqual({ app: "web", env: "prod" });
  });

  test("kubectl scale sets replicas and keeps the rest", () => {
    const out = mergePatch(deployment(), { spec: { replicas: 3 } }) as any;
    expect(out.spec.replicas).toBe(3);
    expect(out.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80 }]);
  });

  test("lists are replaced, which is why kubectl apply needs strategic merge", () => {
    const out = mergePatch(deployment(), { spec: { template: { spec: { containers: [{ name: "web", image: "b" }] } } } }) as any;
    expect(out.spec.template.spec.containers).toEqual([{ name: "web", image: "b" }]);
  });

  test("inputs are not mutated and the result shares no objects with them", () => {
    const target = deployment();
    const patch = { metadata: { labels: { app: "x" } }, spec: { extra: { a: 1 } } };
    const out = mergePatch(target, patch) as any;
    expect(target).toEqual(deployment());
    expect(patch).toEqual({ metadata: { labels: { app: "x" } }, spec: { extra: { a: 1 } } });
    out.spec.extra.a = 2;
    out.spec.template.spec.containers[0].image = "z";
    expect(patch.spec.extra.a).toBe(1);
    expect(target.spec.template.spec.containers[0].image).toBe("a");
  });

  test("a __proto__ key is stored as data, not as the prototype", () => {
    const out = mergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as any;
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(out.polluted).toBeUndefined();
  });

  test("in place: the target itself is patched and returned; the result shares no object with the patch", () => {
    const target = deployment();
    const patch = { metadata: { labels: { tier: null, env: "prod" } }, spec: { extra: { a: 1 }, list: [{ b: 1 }] } };
    const out = mergePatchInPlace(target, patch) as any;
    expect(out).toBe(target);
    expect(out.metadata.labels).toEqual({ app: "web", env: "prod" });
    expect(out).toEqual(mergePatch(deployment(), patch));
    out.spec.extra.a = 2;
    out.spec.list[0].b = 2;
    expect(patch.spec.extra.a).toBe(1);
    expect(patch.spec.list[0]!.b).toBe(1);
    // Applied again (a retried update), the patch gives the same result.
    expect(mergePatchInPlace(deployment(), patch)).toEqual(mergePatch(deployment(), patch));
  });
});
