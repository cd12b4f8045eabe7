import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import { StatusError } from "../apis/errors.ts";
import { admitNodeRequest, modifiedRestrictedLabels, nodeRestriction } from "./node-restriction.ts";

const NODES = { group: "", resource: "nodes" };
const n1 = { name: "system:node:n1", groups: ["system:nodes"] };
const L = "node-restriction.kubernetes.io/x";
const node = (name: string, labels?: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "Node", metadata: { name, labels } });

/** The Status message a write is refused with, or "" when it is admitted. */
function refusal(fn: () => void): string {
  try {
    fn();
    return "";
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    expect(err.code).toBe(403);
    return err.status.message ?? "";
  }
}

test.each([
  [{}, {}, []],
  [{ [L]: "a", zone: "z" }, {}, [L]],
  [{ [L]: "a" }, { [L]: "a" }, []],
  [{ [L]: "b" }, { [L]: "a" }, [L]],
  [{}, { [L]: "a" }, [L]],
  [{ zone: "y" }, { zone: "z" }, []],
])("modifiedRestrictedLabels(%p, %p) = %p", (labels, old, want) => {
  expect(modifiedRestrictedLabels(labels, old)).toEqual(want);
});

describe("nodeRestriction", () => {
  const admit = nodeRestriction(n1, NODES)!;
  test.each([
    ["registering itself", node("n1"), undefined, ""],
    ["registering another node", node("n2"), undefined, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"'],
    ["registering with a restricted label", node("n1", { [L]: "a" }), undefined, `nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: ${L}`],
    ["updating another node", node("n2"), node("n2"), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"'],
    ["keeping a restricted label", node("n1", { [L]: "a", zone: "z" }), node("n1", { [L]: "a" }), ""],
    ["changing a restricted label", node("n1", { [L]: "b" }), node("n1", { [L]: "a" }), `nodes "n1" is forbidden: is not allowed to modify labels: ${L}`],
  ])("%s", (_, obj, old, want) => {
    expect(refusal(() => admit(obj, old))).toBe(want);
  });

  test("applies to node credentials writing Nodes only", () => {
    expect(nodeRestriction({ name: "admin", groups: ["system:masters"] }, NODES)).toBeUndefined();
    expect(nodeRestriction(n1, { group: "", resource: "pods" })).toBeUndefined();
    expect(nodeRestriction(undefined, NODES)).toBeUndefined();
  });
});

test.each([
  [n1, "n1", ""],
  [n1, "n2", 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"'],
  [{ name: "admin", groups: ["system:masters"] }, "n2", ""],
])("admitNodeRequest(%p, %p)", (user, name, want) => {
  expect(refusal(() => admitNodeRequest(user, NODES, name))).toBe(want);
});
