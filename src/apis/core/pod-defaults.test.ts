import { describe, expect, test } from "bun:test";
import { applyDefaults } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";
import { imageTag, qosClass } from "./pod-defaults.ts";
import type { Pod } from "./pod.ts";

const pods = findResource("", "v1", "pods")!;
const deployments = findResource("apps", "v1", "deployments")!;

function defaulted(spec: Record<string, unknown>): Pod {
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec } as KubeObject;
  applyDefaults(pods, pod);
  return pod as Pod;
}

describe("pod defaults", () => {
  const pod = defaulted({ containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80 }] }] });
  const spec = pod.spec!;
  const c = spec.containers[0]!;

  test.each<[string, unknown, unknown]>([
    ["restartPolicy", spec.restartPolicy, "Always"],
    ["terminationGracePeriodSeconds", spec.terminationGracePeriodSeconds, 30],
    ["dnsPolicy", spec.dnsPolicy, "ClusterFirst"],
    ["schedulerName", spec.schedulerName, "default-scheduler"],
    ["securityContext", spec.securityContext, {}],
    ["enableServiceLinks", spec.enableServiceLinks, true],
    ["priority", spec.priority, 0],
    ["preemptionPolicy", spec.preemptionPolicy, "PreemptLowerPriority"],
    ["serviceAccountName", spec.serviceAccountName, "default"],
    ["imagePullPolicy", c.imagePullPolicy, "Always"],
    ["terminationMessagePath", c.terminationMessagePath, "/dev/termination-log"],
    ["terminationMessagePolicy", c.terminationMessagePolicy, "File"],
    ["port protocol", c.ports![0]!.protocol, "TCP"],
    ["status.phase", pod.status?.phase, "Pending"],
    ["status.qosClass", pod.status?.qosClass, "BestEffort"],
  ])("%s", (_, got, want) => {
    expect(got).toEqual(want);
  });

  test("adds the not-ready and unreachable tolerations once", () => {
    const again = structuredClone(pod);
    applyDefaults(pods, again);
    expect(again.spec!.tolerations).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ]);
  });

  test("keeps what the user set", () => {
    const p = defaulted({
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 0,
      enableServiceLinks: false,
      containers: [{ name: "c", image: "busybox:1.36", imagePullPolicy: "Never" }],
    });
    expect(p.spec!.restartPolicy).toBe("Never");
    expect(p.spec!.terminationGracePeriodSeconds).toBe(0);
    expect(p.spec!.enableServiceLinks).toBe(false);
    expect(p.spec!.containers[0]!.imagePullPolicy).toBe("Never");
  });

  test("requests default to limits on pods", () => {
    const p = defaulted({ containers: [{ name: "c", image: "x:1", resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m" } } }] });
    expect(p.spec!.containers[0]!.resources).toEqual({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m", memory: "1Gi" } });
    expect(p.status!.qosClass).toBe("Burstable");
  });

  test("probes, volumes and env references get their defaults", () => {
    const p = defaulted({
      volumes: [{ name: "cfg", configMap: { name: "c" } }, { name: "scratch" }],
      containers: [
        {
          name: "c",
          image: "x:1",
          readinessProbe: { httpGet: { port: 80 } },
          env: [{ name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
        },
      ],
    });
    expect(p.spec!.containers[0]!.readinessProbe).toEqual({
      httpGet: { port: 80, path: "/", scheme: "HTTP" },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(p.spec!.containers[0]!.env![0]!.valueFrom!.fieldRef!.apiVersion).toBe("v1");
    expect(p.spec!.volumes).toEqual([
      { name: "cfg", configMap: { name: "c", defaultMode: 420 } },
      { name: "scratch", emptyDir: {} },
    ]);
  });

  test("host network pods publish container ports on the host", () => {
    const p = defaulted({ hostNetwork: true, containers: [{ name: "c", image: "x:1", ports: [{ containerPort: 8080 }] }] });
    expect(p.spec!.containers[0]!.ports![0]!.hostPort).toBe(8080);
  });

  test("pod templates get pod spec defaults but not pod-only ones", () => {
    const d = {
      metadata: { name: "d", namespace: "default" },
      spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "x:1", resources: { limits: { cpu: "1" } } }] } } },
    } as KubeObject;
    applyDefaults(deployments, d);
    const spec = (d.spec as { template: { spec: Pod["spec"] } }).template.spec!;
    expect(spec.restartPolicy).toBe("Always");
    expect(spec.containers[0]!.imagePullPolicy).toBe("IfNotPresent");
    expect(spec.enableServiceLinks).toBeUndefined();
    expect(spec.tolerations).toBeUndefined();
    expect(spec.containers[0]!.resources!.requests).toBeUndefined();
  });

  test("tolerating everything means no default tolerations are added", () => {
    const p = defaulted({ tolerations: [{ operator: "Exists" }], containers: [{ name: "c", image: "x:1" }] });
    expect(p.spec!.tolerations).toEqual([{ operator: "Exists" }]);
  });
});

test.each([
  ["nginx", "latest"],
  ["nginx:1.25", "1.25"],
  ["registry.local:5000/team/app", "latest"],
  ["registry.local:5000/team/app:v2", "v2"],
  ["nginx@sha256:abc", ""],
  ["nginx:latest", "latest"],
])("imageTag(%p) is %p", (image, tag) => {
  expect(imageTag(image)).toBe(tag);
});

test.each<[string, Record<string, unknown>[], string]>([
  ["no resources", [{}], "BestEffort"],
  ["requests only", [{ requests: { cpu: "100m" } }], "Burstable"],
  ["equal cpu and memory", [{ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1000m", memory: "1Gi" } }], "Guaranteed"],
  ["limits without memory", [{ requests: { cpu: "1" }, limits: { cpu: "1" } }], "Burstable"],
  ["one of two containers unbounded", [{ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } }, {}], "Burstable"],
  ["only other resources", [{ requests: { "example.com/gpu": "1" }, limits: { "example.com/gpu": "1" } }], "BestEffort"],
])("qosClass: %s", (_, resources, want) => {
  const pod = { metadata: {}, spec: { containers: resources.map((r, i) => ({ name: `c${i}`, resources: r })) } } as Pod;
  expect(qosClass(pod)).toBe(want as "Guaranteed");
});
