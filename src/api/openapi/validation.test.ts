import { describe, expect, test } from "bun:test";
import { fieldValidationWarnings, strictDecodingError, unknownFields } from "./validation.ts";

const deployment = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: "web" }) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata,
  spec,
});
const podSpec = (container: Record<string, unknown>) => ({
  selector: { matchLabels: { app: "web" } },
  template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "busybox" }, container] } },
});

describe("unknownFields", () => {
  test.each([
    ["a valid object", deployment(podSpec({ name: "b", image: "x", ports: [{ containerPort: 80 }] })), []],
    ["a top-level spec field", deployment({ foo: 1, replicas: 2 }), ['unknown field "spec.foo"']],
    [
      "a misspelt container field",
      deployment(podSpec({ name: "b", imagee: "x" })),
      ['unknown field "spec.template.spec.containers[1].imagee"'],
    ],
    [
      "fields deep in lists, in document order",
      deployment(podSpec({ name: "b", ports: [{ containerPort: 80, hostPortt: 1 }], env: [{ name: "A", valeu: "1" }] })),
      ['unknown field "spec.template.spec.containers[1].ports[0].hostPortt"', 'unknown field "spec.template.spec.containers[1].env[0].valeu"'],
    ],
    ["an unknown metadata field", deployment({}, { name: "web", labelz: {} }), ['unknown field "metadata.labelz"']],
    [
      "any label and annotation keys",
      deployment({}, { name: "web", labels: { "app.kubernetes.io/name": "web" }, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } }),
      [],
    ],
    ["any resource names in quantity maps", deployment(podSpec({ name: "b", resources: { limits: { cpu: "1", "nvidia.com/gpu": 1 } } })), []],
    ["an int-or-string either way", deployment({ strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } } }), []],
    ["a value of the wrong type (a decode error, not an unknown field)", deployment({ replicas: "three", template: "x" }), []],
  ])("%s", (_, obj, want) => {
    expect(unknownFields("apps", "v1", "Deployment", obj)).toEqual(want);
  });

  test("free-form fields take anything", () => {
    const obj = {
      metadata: { name: "x", managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": { "f:replicas": {} } } }] },
      data: { anyKey: "v" },
    };
    expect(unknownFields("", "v1", "ConfigMap", obj)).toEqual([]);
  });

  test("a kind without a schema yields nothing", () => {
    expect(unknownFields("node.k8s.io", "v1", "RuntimeClass", { spec: { foo: 1 } })).toEqual([]);
  });

  test("each served group-version knows DeleteOptions", () => {
    expect(unknownFields("apps", "v1", "DeleteOptions", { propagationPolicy: "Background", orphan: true })).toEqual([
      'unknown field "orphan"',
    ]);
  });
});

test("strictDecodingError reads as kube-apiserver's", () => {
  const err = strictDecodingError("Deployment", "v1", ['unknown field "spec.foo"', 'unknown field "spec.bar"']);
  expect(err.code).toBe(400);
  expect(err.reason).toBe("BadRequest");
  expect(err.message).toBe(
    'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"',
  );
});

test("fieldValidationWarnings quotes each finding as a 299 warning", () => {
  expect(fieldValidationWarnings(['unknown field "spec.foo"'])).toEqual(['299 - "unknown field \\"spec.foo\\""']);
});
