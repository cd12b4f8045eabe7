import { describe, expect, test } from "bun:test";
import { FieldSet, fieldsOf, pathString, removeAt, valueAt } from "./field-set.ts";
import { rootType } from "./merge-keys.ts";

const deployment = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" }, finalizers: ["a/b"] },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80 }], args: ["-v"] }],
        tolerations: [{ key: "k" }],
      },
    },
  },
});

describe("fieldsOf", () => {
  test("encodes a Deployment as kubectl apply --server-side records it", () => {
    expect(fieldsOf(deployment(), rootType("Deployment")).toFieldsV1()).toEqual({
      "f:apiVersion": {},
      "f:kind": {},
      "f:metadata": { "f:finalizers": { 'v:"a/b"': {} }, "f:labels": { "f:app": {} }, "f:name": {} },
      "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
          "f:metadata": { "f:labels": { "f:app": {} } },
          "f:spec": {
            "f:containers": {
              'k:{"name":"web"}': {
                ".": {},
                "f:args": {},
                "f:image": {},
                "f:name": {},
                "f:ports": { 'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} } },
              },
            },
            "f:tolerations": {},
          },
        },
      },
    });
  });

  test("without a schema every list is atomic and empty values are leaves", () => {
    const set = fieldsOf({ data: { a: "1" }, list: [{ name: "x" }], empty: {}, none: [] }, undefined);
    expect([...set].map(pathString).sort()).toEqual([".data.a", ".empty", ".list", ".none"]);
  });
});

describe("FieldSet", () => {
  test("FieldsV1 round-trips", () => {
    const tree = fieldsOf(deployment(), rootType("Deployment")).toFieldsV1();
    expect(FieldSet.fromFieldsV1(tree).toFieldsV1()).toEqual(tree);
  });

  test("a member with members below it is marked with '.'", () => {
    const set = new FieldSet([["f:a"], ["f:a", "f:b"]]);
    expect(set.toFieldsV1()).toEqual({ "f:a": { ".": {}, "f:b": {} } });
    expect(FieldSet.fromFieldsV1(set.toFieldsV1()).has(["f:a"])).toBe(true);
  });

  test("minus, filter and hasAtOrBelow", () => {
    const set = new FieldSet([["f:a", "f:b"], ["f:c"]]);
    expect([...set.minus(new FieldSet([["f:c"]]))]).toEqual([["f:a", "f:b"]]);
    expect(set.filter((p) => p[0] === "f:c").size).toBe(1);
    expect(set.hasAtOrBelow(["f:a"])).toBe(true);
    expect(set.hasAtOrBelow(["f:a", "f:b", "f:x"])).toBe(false);
  });
});

describe("paths", () => {
  const containers = ["f:spec", "f:template", "f:spec", "f:containers"];

  test.each([
    [["f:spec", "f:replicas"], true, 2],
    [[...containers, 'k:{"name":"web"}', "f:image"], true, "nginx"],
    [[...containers, 'k:{"name":"web"}', "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}', "f:containerPort"], true, 80],
    [[...containers, 'k:{"name":"nope"}', "f:image"], false, undefined],
    [["f:metadata", "f:finalizers", 'v:"a/b"'], true, "a/b"],
    [[...containers, "i:0", "f:name"], true, "web"],
    [["f:spec", "f:missing"], false, undefined],
  ])("valueAt %j", (path, found, value) => {
    expect(valueAt(deployment(), path)).toEqual(found ? { found, value } : { found });
  });

  test("removeAt deletes fields, keyed items and set values", () => {
    const obj = deployment();
    removeAt(obj, [...containers, 'k:{"name":"web"}', "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}']);
    removeAt(obj, ["f:metadata", "f:finalizers", 'v:"a/b"']);
    removeAt(obj, ["f:spec", "f:replicas"]);
    removeAt(obj, ["f:spec", "f:absent", "f:deeper"]);
    expect(obj.spec.template.spec.containers[0]!.ports).toEqual([]);
    expect(obj.metadata.finalizers).toEqual([]);
    expect("replicas" in obj.spec).toBe(false);
  });

  test.each([
    [["f:spec", "f:replicas"], ".spec.replicas"],
    [["f:spec", "f:containers", 'k:{"name":"web"}', "f:image"], '.spec.containers[name="web"].image'],
    [["f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'], '.ports[containerPort=80,protocol="TCP"]'],
    [["f:metadata", "f:finalizers", 'v:"x"'], '.metadata.finalizers[="x"]'],
    [["f:items", "i:3"], ".items[3]"],
  ])("pathString %j", (path, want) => {
    expect(pathString(path)).toBe(want);
  });
});

describe("FieldSet.fromFieldsV1 → toFieldsV1", () => {
  const canonical = () => fieldsOf(deployment(), rootType("Deployment")).toFieldsV1();

  test("an unchanged set read from toFieldsV1's form is written as the tree it was read from", () => {
    const tree = canonical();
    expect(FieldSet.fromFieldsV1(tree).toFieldsV1()).toBe(tree);
  });

  test("a set changed after reading is encoded anew, and says what it now holds", () => {
    const tree = canonical();
    const added = FieldSet.fromFieldsV1(tree);
    added.add(["f:spec", "f:paused"]);
    expect(added.toFieldsV1()).not.toBe(tree);
    expect(added.toFieldsV1()).toEqual({ ...tree, "f:spec": { ...(tree["f:spec"] as object), "f:paused": {} } });
    const removed = FieldSet.fromFieldsV1(tree);
    removed.delete(["f:spec", "f:replicas"]);
    expect(Object.keys(removed.toFieldsV1()["f:spec"] as object)).toEqual(["f:selector", "f:template"]);
    // Adding a path it holds already, or deleting one it lacks, changes nothing.
    const same = FieldSet.fromFieldsV1(tree);
    same.add(["f:spec", "f:replicas"]);
    same.delete(["f:spec", "f:nothing"]);
    expect(same.toFieldsV1()).toBe(tree);
  });

  test.each([
    ["tokens out of order", { "f:spec": {}, "f:metadata": {} }, { "f:metadata": {}, "f:spec": {} }],
    ['a "." with nothing beside it', { "f:spec": { ".": {} } }, { "f:spec": {} }],
    ['a "." that is not empty', { "f:spec": { ".": { "f:x": {} }, "f:a": {} } }, { "f:spec": { ".": {}, "f:a": {} } }],
    ["a value that is not a tree", { "f:spec": {}, "f:x": 1 }, { "f:spec": {} }],
  ])("a tree not in toFieldsV1's form (%s) is written in it", (_, tree, written) => {
    expect(FieldSet.fromFieldsV1(tree).toFieldsV1()).toEqual(written);
  });
});

describe("a FieldSet read from a tree answers as its decoding does, before it is decoded", () => {
  const trees: [string, Record<string, unknown>][] = [
    ["toFieldsV1's form", fieldsOf(deployment(), rootType("Deployment")).toFieldsV1()],
    ["out of order, a lone \".\", a value that is not a tree", { "f:spec": { ".": {} }, "f:b": { "f:y": {}, "f:x": 1 }, "f:a": {}, ".": {} }],
    ["empty", {}],
  ];
  test.each(trees)("%s", (_, tree) => {
    const paths = [...FieldSet.fromFieldsV1(tree)];
    expect(FieldSet.fromFieldsV1(tree).size).toBe(paths.length);
    const probes = [...paths, ["f:spec", "f:nothing"], ["f:b", "f:x"], ["f:b"], [], ["f:spec", "f:template"]];
    for (const probe of probes) {
      const lazy = FieldSet.fromFieldsV1(tree);
      expect(lazy.has(probe)).toBe(paths.some((p) => p.join("\0") === probe.join("\0")));
      lazy.delete(probe);
      expect(lazy.size).toBe(paths.filter((p) => p.join("\0") !== probe.join("\0")).length);
      lazy.add(["f:new"]);
      expect(lazy.has(["f:new"])).toBe(true);
    }
  });
});

describe("toFieldsV1's order", () => {
  /** The encoding by its definition: each node's tokens sorted, "." first on a member with members below it. */
  function byDefinition(paths: Iterable<readonly string[]>): Record<string, unknown> {
    type Node = { member: boolean; children: Map<string, Node> };
    const root: Node = { member: false, children: new Map() };
    for (const path of paths) {
      let node = root;
      for (const token of path) {
        let child = node.children.get(token);
        if (!child) node.children.set(token, (child = { member: false, children: new Map() }));
        node = child;
      }
      node.member = true;
    }
    const encode = (node: Node): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      if (node.member && node.children.size > 0) out["."] = {};
      for (const token of [...node.children.keys()].sort()) out[token] = encode(node.children.get(token)!);
      return out;
    };
    return encode(root);
  }
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", labels: { z: "1", a: "2" } },
    spec: { containers: [{ name: "b", image: "x", ports: [{ containerPort: 81 }, { containerPort: 80 }] }, { name: "a", image: "y" }], tolerations: [{ key: "k" }] },
    status: { conditions: [{ type: "Ready", status: "True" }, { type: "Initialized", status: "True" }], podIPs: [{ ip: "10.0.0.2" }, { ip: "10.0.0.1" }] },
  };
  test.each([
    ["a Deployment", fieldsOf(deployment(), rootType("Deployment"))],
    ["a Pod with keyed lists out of order", fieldsOf(pod, rootType("Pod"))],
    ["paths added in reverse, the root a member", new FieldSet([["f:b", "f:y"], ["f:b"], ["f:a"], []].reverse())],
    ["nothing", new FieldSet()],
  ])("%s: tokens sorted at every level, byte for byte", (_, set) => {
    expect(JSON.stringify(set.toFieldsV1())).toBe(JSON.stringify(byDefinition(set)));
  });
});
