import { expect, test } from "bun:test";
import { nodeInfoFrom, podQueryFrom } from "./convert.ts";

test("nodeInfoFrom reads allocatable, taints, cordon and readiness", () => {
  const node = {
    metadata: { name: "n1", labels: { zone: "a" } },
    spec: { unschedulable: true, taints: [{ key: "k", effect: "NoSchedule" }] },
    status: {
      allocatable: { cpu: "3500m", memory: "8Gi", "ephemeral-storage": "100Gi", pods: "110" },
      conditions: [{ type: "MemoryPressure", status: "False" }, { type: "Ready", status: "True" }],
    },
  };
  expect(nodeInfoFrom(node)).toEqual({
    name: "n1",
    labels: { zone: "a" },
    taints: [{ key: "k", value: "", effect: "NoSchedule" }],
    unschedulable: true,
    ready: true,
    allocatable: { cpu: 3500, memory: 8 * 2 ** 30, ephemeralStorage: 100 * 2 ** 30, pods: 110 },
  });
  expect(nodeInfoFrom({ metadata: { name: "x" }, status: { conditions: [{ type: "Ready", status: "Unknown" }] } }).ready).toBe(false);
});

test("podQueryFrom sums containers, takes the largest init container, defaults non-zero requests", () => {
  const pod = {
    spec: {
      nodeSelector: { zone: "a" },
      tolerations: [{ key: "k", operator: "Exists" }],
      initContainers: [{ resources: { requests: { cpu: "2", memory: "64Mi" } } }],
      containers: [
        { resources: { requests: { cpu: "500m", memory: "1Gi" } }, ports: [{ containerPort: 80, hostPort: 8080 }] },
        { resources: { limits: { cpu: "250m" } } },
      ],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "a", operator: "Exists" }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: "b", operator: "Exists" }] } }],
        },
      },
    },
  };
  const q = podQueryFrom(pod);
  expect(q.requests).toEqual({ cpu: 2000, memory: 2 ** 30, ephemeralStorage: 0 });
  expect(q.nonZero).toEqual({ cpu: 2000, memory: 2 ** 30 + 200 * 2 ** 20 });
  expect(q.hostPorts).toEqual([{ port: 8080, protocol: "TCP", hostIP: "" }]);
  expect(q.nodeSelector).toEqual({ zone: "a" });
  expect(q.requiredTerms).toEqual([{ matchExpressions: [{ key: "a", operator: "Exists" }] }]);
  expect(q.preferredTerms).toEqual([{ weight: 5, preference: { matchExpressions: [{ key: "b", operator: "Exists" }] } }]);
  expect(q.tolerations).toEqual([{ key: "k", operator: "Exists" }]);
  expect(q.nodeName).toBeUndefined();
});

test("a pod without affinity has no required terms", () => {
  expect(podQueryFrom({ spec: { containers: [{}] } }).requiredTerms).toBeUndefined();
});
