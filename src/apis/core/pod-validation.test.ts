import { describe, expect, test } from "bun:test";
import { applyDefaults, validateObject } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";

const pods = findResource("", "v1", "pods")!;

// A valid, defaulted pod for each case to break in one place.
function pod(): Record<string, any> {
  const p = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: {
      volumes: [{ name: "data", emptyDir: {} }],
      containers: [
        {
          name: "web",
          image: "nginx:1.25",
          ports: [{ name: "http", containerPort: 80 }],
          env: [{ name: "MODE", value: "prod" }],
          resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
          volumeMounts: [{ name: "data", mountPath: "/data" }],
          livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
        },
      ],
    },
  };
  applyDefaults(pods, p as KubeObject);
  return p;
}

const fields = (p: Record<string, any>) => validateObject(pods, p as KubeObject).map((c) => c.field);

test("a valid pod has no causes", () => {
  expect(validateObject(pods, pod() as KubeObject)).toEqual([]);
});

test("a name is not needed when generateName is set", () => {
  const p = pod();
  delete p.metadata.name;
  p.metadata.generateName = "web-";
  expect(fields(p)).toEqual([]);
});

describe("invalid pods name the field", () => {
  test.each<[string, (p: Record<string, any>) => void, string, string]>([
    ["missing name", (p) => delete p.metadata.name, "metadata.name", "name or generateName is required"],
    ["bad name", (p) => (p.metadata.name = "Web"), "metadata.name", "RFC 1123 subdomain"],
    ["missing namespace", (p) => delete p.metadata.namespace, "metadata.namespace", "Required value"],
    ["bad label key", (p) => (p.metadata.labels = { "-x": "y" }), "metadata.labels", "name part must consist"],
    ["bad label value", (p) => (p.metadata.labels = { x: "a b" }), "metadata.labels", "a valid label must be"],
    ["huge annotations", (p) => (p.metadata.annotations = { big: "x".repeat(256 * 1024) }), "metadata.annotations", "Too long: may not be more than 262144 bytes"],
    ["bad finalizer", (p) => (p.metadata.finalizers = ["custom"]), "metadata.finalizers[0]", "neither a standard finalizer name nor is it fully qualified"],
    ["no containers", (p) => (p.spec.containers = []), "spec.containers", "Required value"],
    ["containers not a list", (p) => (p.spec.containers = 3), "spec.containers", "must be an array"],
    ["spec a string", (p) => (p.spec = "oops"), "spec", "must be an object"],
    ["missing container name", (p) => delete p.spec.containers[0].name, "spec.containers[0].name", "Required value"],
    ["bad container name", (p) => (p.spec.containers[0].name = "Web_1"), "spec.containers[0].name", "RFC 1123 label"],
    ["duplicate container name", (p) => p.spec.containers.push({ ...p.spec.containers[0] }), "spec.containers[1].name", 'Duplicate value: "web"'],
    ["init container name clash", (p) => (p.spec.initContainers = [{ name: "web", image: "busybox" }]), "spec.containers[0].name", "Duplicate value"],
    ["missing image", (p) => delete p.spec.containers[0].image, "spec.containers[0].image", "Required value"],
    ["port 0", (p) => (p.spec.containers[0].ports[0].containerPort = 0), "spec.containers[0].ports[0].containerPort", "Required value"],
    ["port too high", (p) => (p.spec.containers[0].ports[0].containerPort = 70000), "spec.containers[0].ports[0].containerPort", "must be between 1 and 65535, inclusive"],
    ["bad protocol", (p) => (p.spec.containers[0].ports[0].protocol = "HTTP"), "spec.containers[0].ports[0].protocol", 'supported values: "SCTP", "TCP", "UDP"'],
    ["duplicate port name", (p) => p.spec.containers[0].ports.push({ name: "http", containerPort: 81, protocol: "TCP" }), "spec.containers[0].ports[1].name", "Duplicate value"],
    ["bad restartPolicy", (p) => (p.spec.restartPolicy = "Sometimes"), "spec.restartPolicy", 'Unsupported value: "Sometimes"'],
    ["bad pull policy", (p) => (p.spec.containers[0].imagePullPolicy = "Maybe"), "spec.containers[0].imagePullPolicy", "Unsupported value"],
    ["request above limit", (p) => (p.spec.containers[0].resources.requests.cpu = "1"), "spec.containers[0].resources.requests", "must be less than or equal to cpu limit of 500m"],
    ["bad quantity", (p) => (p.spec.containers[0].resources.limits.memory = "lots"), "spec.containers[0].resources.limits[memory]", "quantities must match the regular expression"],
    ["negative quantity", (p) => (p.spec.containers[0].resources.requests.memory = "-1Mi"), "spec.containers[0].resources.requests[memory]", "must be greater than or equal to 0"],
    ["unknown resource", (p) => (p.spec.containers[0].resources.limits.gpu = "1"), "spec.containers[0].resources.limits[gpu]", "must be a standard resource for containers"],
    ["extended resource without limit", (p) => (p.spec.containers[0].resources.requests["example.com/gpu"] = "1"), "spec.containers[0].resources.limits", "Limit must be set for non overcommitable resources"],
    ["mount of unknown volume", (p) => (p.spec.containers[0].volumeMounts[0].name = "nope"), "spec.containers[0].volumeMounts[0].name", 'Not found: "nope"'],
    ["missing mountPath", (p) => delete p.spec.containers[0].volumeMounts[0].mountPath, "spec.containers[0].volumeMounts[0].mountPath", "Required value"],
    ["duplicate volume", (p) => p.spec.volumes.push({ name: "data", emptyDir: {} }), "spec.volumes[1].name", "Duplicate value"],
    ["two volume sources", (p) => (p.spec.volumes[0].hostPath = { path: "/x" }), "spec.volumes[0].hostPath", "may not specify more than 1 volume type"],
    ["env name with =", (p) => (p.spec.containers[0].env[0].name = "A=B"), "spec.containers[0].env[0].name", "printable ASCII characters other than '='"],
    ["env value and valueFrom", (p) => (p.spec.containers[0].env[0].valueFrom = { fieldRef: { fieldPath: "metadata.name" } }), "spec.containers[0].env[0].valueFrom", "may not be specified when `value` is not empty"],
    ["probe without handler", (p) => (p.spec.containers[0].livenessProbe = { periodSeconds: 5 }), "spec.containers[0].livenessProbe", "must specify a handler type"],
    ["liveness successThreshold", (p) => (p.spec.containers[0].livenessProbe.successThreshold = 2), "spec.containers[0].livenessProbe.successThreshold", "must be 1"],
    ["negative probe period", (p) => (p.spec.containers[0].livenessProbe.periodSeconds = -1), "spec.containers[0].livenessProbe.periodSeconds", "must be greater than or equal to 0"],
    ["bad nodeName", (p) => (p.spec.nodeName = "Node_1"), "spec.nodeName", "RFC 1123 subdomain"],
    ["bad activeDeadlineSeconds", (p) => (p.spec.activeDeadlineSeconds = 0), "spec.activeDeadlineSeconds", "must be between 1 and 4294967295, inclusive"],
    ["bad dnsPolicy", (p) => (p.spec.dnsPolicy = "Google"), "spec.dnsPolicy", "Unsupported value"],
    ["toleration with value and Exists", (p) => (p.spec.tolerations = [{ key: "k", operator: "Exists", value: "v" }]), "spec.tolerations[0].operator", "value must be empty when `operator` is 'Exists'"],
    ["toleration without key", (p) => (p.spec.tolerations = [{ operator: "Equal", value: "v" }]), "spec.tolerations[0].operator", "operator must be Exists when `key` is empty"],
    ["tolerationSeconds without NoExecute", (p) => (p.spec.tolerations = [{ key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 5 }]), "spec.tolerations[0].effect", "effect must be 'NoExecute'"],
    ["bad toleration effect", (p) => (p.spec.tolerations = [{ key: "k", operator: "Exists", effect: "Never" }]), "spec.tolerations[0].effect", "Unsupported value"],
    ["empty node affinity", (p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }), "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", "must have at least one node selector term"],
    ["In without values", (p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In" }] }] } } }), "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'"],
    ["bad nodeSelector", (p) => (p.spec.nodeSelector = { "a/b/c": "x" }), "spec.nodeSelector", "a qualified name"],
    ["init container with probe", (p) => (p.spec.initContainers = [{ name: "init", image: "busybox", readinessProbe: { exec: { command: ["true"] } } }]), "spec.initContainers[0].readinessProbe", "may not be set for init containers"],
    ["restartPolicy on a regular container", (p) => (p.spec.containers[0].restartPolicy = "Always"), "spec.containers[0].restartPolicy", "may not be set for non-init containers"],
  ])("%s", (_, breakIt, field, message) => {
    const p = pod();
    breakIt(p);
    const causes = validateObject(pods, p as KubeObject);
    const cause = causes.find((c) => c.field === field);
    expect(cause, JSON.stringify(causes)).toBeDefined();
    expect(cause!.message).toContain(message);
  });
});

describe("garbage input never throws", () => {
  test.each<[string, unknown]>([
    ["null metadata", { metadata: null, spec: {} }],
    ["metadata a number", { metadata: 7 }],
    ["labels a list", { metadata: { name: "a", namespace: "b", labels: ["x"] } }],
    ["containers of strings", { metadata: { name: "a", namespace: "b" }, spec: { containers: ["x", 1, null] } }],
    ["ports an object", { metadata: { name: "a", namespace: "b" }, spec: { containers: [{ name: "c", image: "i", ports: { a: 1 }, env: "x", resources: 5 }] } }],
    ["resources of objects", { metadata: { name: "a", namespace: "b" }, spec: { containers: [{ name: "c", image: "i", resources: { limits: { cpu: {} } } }] } }],
    ["deep nulls", { metadata: { name: "a", namespace: "b" }, spec: { containers: [{ name: null, image: null, livenessProbe: null }], tolerations: [null], affinity: { nodeAffinity: 1 } } }],
    ["a string", "pod"],
  ])("%s", (_, input) => {
    applyDefaults(pods, input as KubeObject);
    const causes = validateObject(pods, input as KubeObject);
    expect(causes.length).toBeGreaterThan(0);
    for (const c of causes) expect(typeof c.field).toBe("string");
  });
});
