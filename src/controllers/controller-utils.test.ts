import { expect, test } from "bun:test";
import type { KubeObject } from "../apis/meta.ts";
import { claimAction, isPodAvailable } from "./controller-utils.ts";

const owner: KubeObject = { metadata: { name: "rs", uid: "owner" } };
const selector = { matchLabels: { app: "web" } };
const obj = (labels: Record<string, string>, ownerUid?: string, deleting = false): KubeObject => ({
  metadata: {
    name: "p",
    labels,
    ...(ownerUid ? { ownerReferences: [{ apiVersion: "v1", kind: "X", name: "o", uid: ownerUid, controller: true }] } : {}),
    ...(deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
  },
});

test.each([
  ["owned and matching", obj({ app: "web" }, "owner"), "keep"],
  ["owned, stopped matching", obj({ app: "api" }, "owner"), "release"],
  ["orphan matching", obj({ app: "web" }), "adopt"],
  ["orphan being deleted", obj({ app: "web" }, undefined, true), "ignore"],
  ["orphan not matching", obj({ app: "api" }), "ignore"],
  ["another controller's", obj({ app: "web" }, "other"), "ignore"],
])("claimAction: %s → %s", (_name, o, want) => expect(claimAction(owner, selector, o)).toBe(want as ReturnType<typeof claimAction>));

test.each([
  [0, undefined, false],
  [0, "2025-01-01T00:00:59Z", true],
  [10, "2025-01-01T00:00:55Z", false],
  [10, "2025-01-01T00:00:50Z", true],
])("isPodAvailable(minReady=%p, ready since %p) = %p", (minReady, since, want) => {
  const pod = { metadata: {}, status: { conditions: since ? [{ type: "Ready", status: "True" as const, lastTransitionTime: since }] : [] } };
  expect(isPodAvailable(pod, minReady, new Date("2025-01-01T00:01:00Z"))).toBe(want);
});
