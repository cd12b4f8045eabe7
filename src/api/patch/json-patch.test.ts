import { describe, expect, test } from "bun:test";
import { StatusError } from "../../apis/errors.ts";
import { jsonPatch } from "./json-patch.ts";

describe("jsonPatch (RFC 6902 appendix A)", () => {
  test.each([
    ["add an object member", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }], { foo: "bar", baz: "qux" }],
    ["add an array element", { foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }], { foo: ["bar", "qux", "baz"] }],
    ["remove an object member", { baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }], { foo: "bar" }],
    ["remove an array element", { foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }], { foo: ["bar", "baz"] }],
    ["replace a value", { baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }], { baz: "boo", foo: "bar" }],
    [
      "move a value",
      { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
      [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
    ],
    ["move an array element", { foo: ["all", "grass", "cows", "eat"] }, [{ op: "move", from: "/foo/1", path: "/foo/3" }], { foo: ["all", "cows", "eat", "grass"] }],
    ["test passes", { baz: "qux", foo: ["a", 2, "c"] }, [{ op: "test", path: "/baz", value: "qux" }, { op: "test", path: "/foo/1", value: 2 }], { baz: "qux", foo: ["a", 2, "c"] }],
    ["add a nested member object", { foo: "bar" }, [{ op: "add", path: "/child", value: { grandchild: {} } }], { foo: "bar", child: { grandchild: {} } }],
    ["add an array value", { foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }], { foo: ["bar", ["abc", "def"]] }],
    ["escaped ~1 and ~0", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }, { op: "replace", path: "/~1", value: 1 }], { "/": 1, "~1": 10 }],
    ["copy", { a: { b: 1 } }, [{ op: "copy", from: "/a", path: "/c" }], { a: { b: 1 }, c: { b: 1 } }],
    ["add with null value", { a: 1 }, [{ op: "add", path: "/b", value: null }], { a: 1, b: null }],
    ["replace the whole document", { a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }], { b: 2 }],
    ["test compares objects structurally", { a: { x: 1, y: [1, 2] } }, [{ op: "test", path: "/a", value: { y: [1, 2], x: 1 } }], { a: { x: 1, y: [1, 2] } }],
  ])("%s", (_name, doc, ops, want) => {
    expect(jsonPatch(doc, ops)).toEqual(want);
  });
});

describe("jsonPatch on Kubernetes objects", () => {
  const pod = () => ({
    metadata: { name: "p", labels: { "app.kubernetes.io/name": "web" } },
    spec: { containers: [{ name: "web", image: "a" }] },
  });

  test("replaces a container image and escapes label keys with /", () => {
    const out = jsonPatch(pod(), [
      { op: "replace", path: "/spec/containers/0/image", value: "b" },
      { op: "remove", path: "/metadata/labels/app.kubernetes.io~1name" },
      { op: "add", path: "/spec/containers/-", value: { name: "side", image: "s" } },
    ]) as any;
    expect(out.spec.containers).toEqual([{ name: "web", image: "b" }, { name: "side", image: "s" }]);
    expect(out.metadata.labels).toEqual({});
  });

  test("does not mutate the input document or the patch values", () => {
    const doc = pod();
    const value = { name: "side" };
    const out = jsonPatch(doc, [{ op: "add", path: "/spec/containers/-", value }]) as any;
    out.spec.containers[1].name = "changed";
    expect(doc).toEqual(pod());
    expect(value.name).toBe("side");
  });
});

describe("jsonPatch errors", () => {
  const failure = (doc: unknown, ops: unknown): StatusError => {
    try {
      jsonPatch(doc, ops);
    } catch (err) {
      if (err instanceof StatusError) return err;
      throw err;
    }
    throw new Error("expected jsonPatch to throw");
  };

  test.each([
    ["a body that is not a list", { op: "add" }, 400, "BadRequest"],
    ["an operation that is not an object", ["add"], 400, "BadRequest"],
  ])("%s is 400", (_name, ops, code, reason) => {
    const err = failure({}, ops);
    expect(err.code).toBe(code);
    expect(err.reason).toBe(reason);
  });

  test.each([
    ["failed test", { a: 1 }, [{ op: "test", path: "/a", value: 2 }], "test failed"],
    ["remove of a missing key", { a: 1 }, [{ op: "remove", path: "/b" }], "/b does not exist"],
    ["replace of a missing key", { a: 1 }, [{ op: "replace", path: "/b", value: 1 }], "/b does not exist"],
    ["add under a missing parent", {}, [{ op: "add", path: "/a/b", value: 1 }], "/a does not exist"],
    ["index past the end", { l: [1] }, [{ op: "add", path: "/l/2", value: 1 }], "out of bounds"],
    ["remove at the end index", { l: [1] }, [{ op: "remove", path: "/l/1" }], "out of bounds"],
    ["non-numeric index", { l: [1] }, [{ op: "replace", path: "/l/x", value: 1 }], "not an array index"],
    ["leading zero index", { l: [1, 2] }, [{ op: "remove", path: "/l/01" }], "not an array index"],
    ["unknown op", {}, [{ op: "merge", path: "/a", value: 1 }], "unknown op"],
    ["missing value", {}, [{ op: "add", path: "/a" }], "needs a \"value\""],
    ["missing from", { a: 1 }, [{ op: "move", path: "/b" }], "needs a string \"from\""],
    ["missing path", {}, [{ op: "add", value: 1 }], "missing or non-string \"path\""],
    ["pointer without leading slash", { a: 1 }, [{ op: "remove", path: "a" }], "must start with"],
    ["bad escape", { a: 1 }, [{ op: "remove", path: "/a~2" }], "invalid escape"],
    ["move into own child", { a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a/b/c" }], "own child"],
  ])("%s is 422 Invalid", (_name, doc, ops, detail) => {
    const err = failure(doc, ops);
    expect(err.code).toBe(422);
    expect(err.reason).toBe("Invalid");
    expect(err.message).toStartWith("the server rejected our request due to an error in our request: ");
    expect(err.message).toContain(detail);
  });

  test("a failure leaves the input untouched (no partial application)", () => {
    const doc = { a: 1 };
    failure(doc, [{ op: "add", path: "/b", value: 2 }, { op: "test", path: "/a", value: 3 }]);
    expect(doc).toEqual({ a: 1 });
  });

  test("more operations than the apiserver allows is 413", () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: "test", path: "", value: {} }));
    expect(failure({}, ops).code).toBe(413);
  });
});
