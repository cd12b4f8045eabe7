import { describe, expect, test } from "bun:test";
import { StatusError } from "../../apis/errors.ts";
import { decodeBody } from "../content.ts";
import { decodeKubeProtobuf, messageType, PROTOBUF_MAGIC } from "./index.ts";
import { bodyBytes, KUBECTL_BODIES } from "./kubectl-bodies.fixture.ts";

/** Builds an envelope the way client-go does: magic + runtime.Unknown{typeMeta, raw}. */
function envelope(apiVersion: string, kind: string, messageName: string, value: object, extra: object = {}): Uint8Array {
  const type = messageType(messageName);
  const raw = type.encode(type.fromObject(value)).finish();
  const unknown = messageType("k8s.io.apimachinery.pkg.runtime.Unknown");
  const bytes = unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw, ...extra })).finish();
  return Uint8Array.from([...PROTOBUF_MAGIC, ...bytes]);
}

function badRequestOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status.code).toBe(400);
    expect((err as StatusError).status.reason).toBe("BadRequest");
    return err as StatusError;
  }
  throw new Error("expected a 400 BadRequest");
}

describe("bodies captured from kubectl 1.32", () => {
  // The expected objects are what `kubectl create ... --dry-run=client -o json` prints (minus the
  // null creationTimestamp), i.e. the JSON encoding of the same Go objects.
  test.each([
    ["namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns1" }, spec: {}, status: {} }],
    ["configmap", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm1", namespace: "ns1" }, data: { a: "b" } }],
    ["secret", { apiVersion: "v1", kind: "Secret", metadata: { name: "s1" }, data: { pw: Buffer.from("hunter2").toString("base64") } }],
    ["serviceaccount", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa1" } }],
    [
      "service",
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "svc1", labels: { app: "svc1" } },
        spec: { ports: [{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 }], selector: { app: "svc1" }, type: "ClusterIP" },
        status: { loadBalancer: {} },
      },
    ],
    [
      "deployment",
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", labels: { app: "web" } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "busybox", image: "busybox", ports: [{ containerPort: 8080 }], resources: {} }] },
          },
          strategy: {},
        },
        status: {},
      },
    ],
  ] as const)("%s", (name, want) => {
    const decoded = decodeKubeProtobuf(bodyBytes(KUBECTL_BODIES[name]));
    expect(decoded.apiVersion).toBe(want.apiVersion);
    expect(decoded.kind).toBe(want.kind);
    expect(decoded.object).toEqual(want as never);
  });

  test("decodeBody routes application/vnd.kubernetes.protobuf to the decoder", () => {
    const value = decodeBody(bodyBytes(KUBECTL_BODIES.configmap), "application/vnd.kubernetes.protobuf");
    expect(value).toMatchObject({ kind: "ConfigMap", data: { a: "b" } });
  });
});

describe("conversion to the JSON shape", () => {
  test("Time and MicroTime become RFC 3339, int64 becomes a number", () => {
    const { object } = decodeKubeProtobuf(
      envelope("v1", "Event", "k8s.io.api.core.v1.Event", {
        metadata: { name: "e", generation: 7, creationTimestamp: { seconds: 1700000000 } },
        firstTimestamp: { seconds: 1700000001 },
        eventTime: { seconds: 1700000002, nanos: 123456789 },
        count: 3,
      }),
    );
    expect(object).toMatchObject({
      metadata: { name: "e", generation: 7, creationTimestamp: "2023-11-14T22:13:20Z" },
      firstTimestamp: "2023-11-14T22:13:21Z",
      eventTime: "2023-11-14T22:13:22.123456Z",
      count: 3,
    });
  });

  test("IntOrString, Quantity maps, inline probe handler, volume source and key selector", () => {
    const { object } = decodeKubeProtobuf(
      envelope("v1", "Pod", "k8s.io.api.core.v1.Pod", {
        metadata: { name: "p" },
        spec: {
          containers: [
            {
              name: "c",
              image: "busybox",
              resources: { limits: { cpu: { string: "500m" } }, requests: { memory: { string: "64Mi" } } },
              readinessProbe: { handler: { httpGet: { path: "/", port: { type: 1, strVal: "http" } } }, periodSeconds: 5 },
              env: [{ name: "K", valueFrom: { configMapKeyRef: { localObjectReference: { name: "cm" }, key: "k" } } }],
            },
          ],
          volumes: [{ name: "v", volumeSource: { emptyDir: {} } }, { name: "s", volumeSource: { secret: { secretName: "s", defaultMode: 0 } } }],
          securityContext: { runAsUser: 0 },
          automountServiceAccountToken: false,
        },
      }),
    );
    expect(object).toMatchObject({
      spec: {
        containers: [
          {
            resources: { limits: { cpu: "500m" }, requests: { memory: "64Mi" } },
            readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 5 },
            env: [{ name: "K", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } }],
          },
        ],
        // Pointer fields keep their zero value; emptyDir: {} stays an (empty) object.
        volumes: [{ name: "v", emptyDir: {} }, { name: "s", secret: { secretName: "s", defaultMode: 0 } }],
        securityContext: { runAsUser: 0 },
        automountServiceAccountToken: false,
      },
    });
  });

  test("plain Go fields that gogo-protobuf always writes are dropped when zero", () => {
    const { object } = decodeKubeProtobuf(
      envelope("v1", "Pod", "k8s.io.api.core.v1.Pod", {
        metadata: { name: "p", namespace: "", creationTimestamp: {} },
        spec: { containers: [{ name: "c", image: "i", workingDir: "", stdin: false, tty: false }], hostNetwork: false },
      }),
    );
    expect(object).toEqual({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "i" }] } } as never);
  });

  test("a zero replica count survives (a pointer in Go)", () => {
    const { object } = decodeKubeProtobuf(envelope("apps/v1", "Deployment", "k8s.io.api.apps.v1.Deployment", { metadata: { name: "d" }, spec: { replicas: 0 } }));
    expect(object).toMatchObject({ spec: { replicas: 0 } });
  });

  test("batch and apps kinds: a Job's zero pointers survive, a DaemonSet's strategy and a ControllerRevision's data decode", () => {
    const job = decodeKubeProtobuf(envelope("batch/v1", "Job", "k8s.io.api.batch.v1.Job", { metadata: { name: "j" }, spec: { backoffLimit: 0, suspend: false, completionMode: "Indexed", completions: 3 } }));
    expect(job.object).toMatchObject({ spec: { backoffLimit: 0, suspend: false, completionMode: "Indexed", completions: 3 } });
    const cj = decodeKubeProtobuf(envelope("batch/v1", "CronJob", "k8s.io.api.batch.v1.CronJob", { metadata: { name: "c" }, spec: { schedule: "@hourly", timeZone: "UTC", jobTemplate: { spec: { parallelism: 2 } } } }));
    expect(cj.object).toMatchObject({ spec: { schedule: "@hourly", timeZone: "UTC", jobTemplate: { spec: { parallelism: 2 } } } });
    const ds = decodeKubeProtobuf(
      envelope("apps/v1", "DaemonSet", "k8s.io.api.apps.v1.DaemonSet", { metadata: { name: "d" }, spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: { type: 1, strVal: "10%" } } } } }),
    );
    expect(ds.object).toMatchObject({ spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "10%" } } } });
    const cr = decodeKubeProtobuf(
      envelope("apps/v1", "ControllerRevision", "k8s.io.api.apps.v1.ControllerRevision", { metadata: { name: "r" }, data: { raw: Buffer.from('{"spec":{"template":{"$patch":"replace"}}}') }, revision: 4 }),
    );
    expect(cr.object).toMatchObject({ data: { spec: { template: { $patch: "replace" } } }, revision: 4 });
  });

  test("managedFields' FieldsV1 becomes the JSON object it carries", () => {
    const { object } = decodeKubeProtobuf(
      envelope("v1", "ConfigMap", "k8s.io.api.core.v1.ConfigMap", {
        metadata: { name: "c", managedFields: [{ manager: "m", operation: "Apply", fieldsType: "FieldsV1", fieldsV1: { Raw: Buffer.from('{"f:data":{}}') } }] },
      }),
    );
    expect(object.metadata.managedFields).toEqual([{ manager: "m", operation: "Apply", fieldsType: "FieldsV1", fieldsV1: { "f:data": {} } }] as never);
  });

  test("ResourceQuota and LimitRange quantities decode to their strings", () => {
    const rq = decodeKubeProtobuf(
      envelope("v1", "ResourceQuota", "k8s.io.api.core.v1.ResourceQuota", {
        metadata: { name: "q" },
        spec: { hard: { "requests.cpu": { string: "1" }, pods: { string: "2" } }, scopes: ["NotBestEffort"] },
      }),
    ).object;
    expect(rq).toMatchObject({ kind: "ResourceQuota", spec: { hard: { "requests.cpu": "1", pods: "2" }, scopes: ["NotBestEffort"] } });
    const lr = decodeKubeProtobuf(
      envelope("v1", "LimitRange", "k8s.io.api.core.v1.LimitRange", {
        metadata: { name: "l" },
        spec: { limits: [{ type: "Container", default: { cpu: { string: "500m" } }, max: { memory: { string: "1Gi" } } }] },
      }),
    ).object;
    expect(lr).toMatchObject({ spec: { limits: [{ type: "Container", default: { cpu: "500m" }, max: { memory: "1Gi" } }] } });
  });

  test("DeleteOptions decode in any group version", () => {
    const { object } = decodeKubeProtobuf(
      envelope("meta.k8s.io/v1", "DeleteOptions", "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions", { propagationPolicy: "Foreground", gracePeriodSeconds: 0 }),
    );
    expect(object).toMatchObject({ propagationPolicy: "Foreground", gracePeriodSeconds: 0 });
  });
});

describe("malformed bodies are 400 BadRequest", () => {
  const ns = { metadata: { name: "x" } };
  test.each([
    ["empty body", new Uint8Array()],
    ["JSON sent as protobuf", new TextEncoder().encode('{"kind":"Namespace"}')],
    ["magic only", PROTOBUF_MAGIC],
    ["truncated envelope", bodyBytes(KUBECTL_BODIES.deployment).subarray(0, 40)],
    ["a kind kubun does not serve", envelope("node.k8s.io/v1", "RuntimeClass", "k8s.io.api.core.v1.Namespace", ns)],
    ["no kind", envelope("v1", "", "k8s.io.api.core.v1.Namespace", ns)],
    ["gzip content encoding", envelope("v1", "Namespace", "k8s.io.api.core.v1.Namespace", ns, { contentEncoding: "gzip" })],
    ["a JSON payload in the envelope", envelope("v1", "Namespace", "k8s.io.api.core.v1.Namespace", ns, { contentType: "application/json" })],
    [
      "FieldsV1 that is not JSON",
      envelope("v1", "ConfigMap", "k8s.io.api.core.v1.ConfigMap", { metadata: { managedFields: [{ fieldsV1: { Raw: Buffer.from("{nope") } }] } }),
    ],
    ["a time beyond year 9999", envelope("v1", "Namespace", "k8s.io.api.core.v1.Namespace", { metadata: { creationTimestamp: { seconds: 9e15 } } })],
  ])("%s", (_, bytes) => {
    badRequestOf(() => decodeKubeProtobuf(bytes));
  });
});

describe("policy/v1", () => {
  test("an Eviction as kubectl drain sends it, with its DeleteOptions", () => {
    const body = envelope("policy/v1", "Eviction", "k8s.io.api.policy.v1.Eviction", {
      metadata: { name: "web-1", namespace: "default" },
      deleteOptions: { gracePeriodSeconds: 30 },
    });
    expect(decodeKubeProtobuf(body).object).toMatchObject({
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name: "web-1", namespace: "default" },
      deleteOptions: { gracePeriodSeconds: 30 },
    });
  });

  test("a PodDisruptionBudget with an int and a percent", () => {
    const body = envelope("policy/v1", "PodDisruptionBudget", "k8s.io.api.policy.v1.PodDisruptionBudget", {
      metadata: { name: "web" },
      spec: { minAvailable: { type: 1, strVal: "50%" }, selector: { matchLabels: { app: "web" } } },
    });
    expect(decodeKubeProtobuf(body).object).toMatchObject({ kind: "PodDisruptionBudget", spec: { minAvailable: "50%", selector: { matchLabels: { app: "web" } } } });
  });
});
