import { describe, expect, test } from "bun:test";
import { unschedulableCondition, unschedulableMessage } from "./reasons.ts";
import type { Rejections } from "./types.ts";

describe("unschedulableMessage", () => {
  test.each<{ name: string; total: number; rejections: Rejections; want: string }>([
    {
      name: "entries sorted as strings, like Go's sort.Strings over \"<count> <reason>\"",
      total: 3,
      rejections: { "Insufficient cpu": 2, "node(s) didn't match Pod's node affinity/selector": 1 },
      want: "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.",
    },
    {
      name: "taint reason names the taint",
      total: 3,
      rejections: { "Insufficient cpu": 2, "node(s) had untolerated taint {node-role: master}": 1 },
      want: "0/3 nodes are available: 1 node(s) had untolerated taint {node-role: master}, 2 Insufficient cpu.",
    },
    {
      name: "counts compare as text: 10 sorts before 9",
      total: 19,
      rejections: { "Too many pods": 9, "node(s) were unschedulable": 10 },
      want: "0/19 nodes are available: 10 node(s) were unschedulable, 9 Too many pods.",
    },
    {
      name: "zero counts are left out",
      total: 1,
      rejections: { "Insufficient memory": 1, "Insufficient cpu": 0 },
      want: "0/1 nodes are available: 1 Insufficient memory.",
    },
    { name: "no nodes at all", total: 0, rejections: {}, want: "no nodes available to schedule pods" },
  ])("$name", ({ total, rejections, want }) => {
    expect(unschedulableMessage(total, rejections)).toBe(want);
  });
});

test("unschedulableCondition is PodScheduled=False reason Unschedulable", () => {
  const c = unschedulableCondition(2, { "Insufficient cpu": 2 }, new Date("2024-01-02T03:04:05.678Z"));
  expect(c).toEqual({
    type: "PodScheduled",
    status: "False",
    reason: "Unschedulable",
    message: "0/2 nodes are available: 2 Insufficient cpu.",
    lastProbeTime: null,
    lastTransitionTime: "2024-01-02T03:04:05Z",
  });
});
