import { describe, expect, test } from "bun:test";
import type { Deployment, DeploymentStatus } from "../apis/apps/deployment.ts";
import type { ReplicaSet } from "../apis/apps/replicaset.ts";
import { statusChanged, syncRolloutStatus, withPausedCondition } from "./deployment-status.ts";

const now = new Date("2025-01-01T00:10:00Z");
const newRS: ReplicaSet = { metadata: { name: "web-abc" } };
const progressing = (reason: string, lastUpdate = "2025-01-01T00:09:00Z") => ({ type: "Progressing", status: "True" as const, reason, message: "", lastUpdateTime: lastUpdate, lastTransitionTime: lastUpdate });

const dep = (stored: DeploymentStatus, deadline = 600, paused = false): Deployment => ({
  metadata: { name: "web", generation: 2 },
  spec: { replicas: 3, paused, progressDeadlineSeconds: deadline, selector: {}, template: {} },
  status: stored,
});

describe("syncRolloutStatus", () => {
  test.each([
    [
      "complete",
      dep({ replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
      { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3, conditions: [progressing("ReplicaSetUpdated")] },
      { status: "True", reason: "NewReplicaSetAvailable", message: 'ReplicaSet "web-abc" has successfully progressed.' },
    ],
    [
      "progress since the last status",
      dep({ replicas: 4, updatedReplicas: 1 }),
      { observedGeneration: 2, replicas: 4, updatedReplicas: 2, availableReplicas: 2, conditions: [progressing("NewReplicaSetCreated")] },
      { status: "True", reason: "ReplicaSetUpdated", message: 'ReplicaSet "web-abc" is progressing.', lastUpdateTime: "2025-01-01T00:10:00Z", lastTransitionTime: "2025-01-01T00:09:00Z" },
    ],
    [
      "no progress past the deadline",
      dep({ replicas: 4, updatedReplicas: 1 }, 30),
      { observedGeneration: 2, replicas: 4, updatedReplicas: 1, conditions: [progressing("ReplicaSetUpdated")] },
      { status: "False", reason: "ProgressDeadlineExceeded", message: 'ReplicaSet "web-abc" has timed out progressing.' },
    ],
    [
      "no progress within the deadline",
      dep({ replicas: 4, updatedReplicas: 1 }, 600),
      { observedGeneration: 2, replicas: 4, updatedReplicas: 1, conditions: [progressing("ReplicaSetUpdated")] },
      { status: "True", reason: "ReplicaSetUpdated" },
    ],
  ] as const)("%s", (_name, d, counted, want) => {
    const { status } = syncRolloutStatus(d, counted as unknown as DeploymentStatus, newRS, now);
    expect(status.conditions?.find((c) => c.type === "Progressing")).toMatchObject(want);
  });

  test("asks to be requeued when the deadline passes", () => {
    const { requeueIn } = syncRolloutStatus(dep({}, 600), { replicas: 1, updatedReplicas: 0, conditions: [progressing("NewReplicaSetCreated")] }, newRS, now);
    expect(requeueIn).toBe(540_000);
  });
});

test.each([
  [true, undefined, "DeploymentPaused", "Unknown"],
  [false, "DeploymentPaused", "DeploymentResumed", "Unknown"],
  [false, "ReplicaSetUpdated", "ReplicaSetUpdated", "True"],
])("withPausedCondition(paused=%p, was %p) → %p", (paused, was, reason, status) => {
  const stored: DeploymentStatus = was ? { conditions: [progressing(was)] } : {};
  const next = withPausedCondition(dep(stored, 600, paused), stored, now);
  expect(next.conditions?.find((c) => c.type === "Progressing")).toMatchObject({ reason, status });
});

test("statusChanged ignores zero counts and condition order", () => {
  const a: DeploymentStatus = { replicas: 0, conditions: [progressing("x"), { type: "Available", status: "True" }] };
  expect(statusChanged({ conditions: [{ type: "Available", status: "True" }, progressing("x")] }, a)).toBe(false);
  expect(statusChanged(a, { ...a, replicas: 1 })).toBe(true);
});
