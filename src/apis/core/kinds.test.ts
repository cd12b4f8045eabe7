// The small core kinds: Namespace, ConfigMap, Secret, ServiceAccount, Endpoints, Event.
import { describe, expect, test } from "bun:test";
import { applyDefaults, toTable, validateObject } from "../index.ts";
import type { KubeObject } from "../meta.ts";
import { findResource } from "../registry.ts";

const r = (resource: string) => findResource("", "v1", resource)!;
const now = new Date("2026-01-01T00:00:45Z");
const created = "2026-01-01T00:00:00Z";

function defaulted(resource: string, obj: Record<string, any>): Record<string, any> {
  applyDefaults(r(resource), obj as KubeObject);
  return obj;
}

function expectCause(resource: string, obj: Record<string, any>, field: string, message: string, old?: Record<string, any>) {
  const causes = validateObject(r(resource), obj as KubeObject, old as KubeObject | undefined);
  const cause = causes.find((c) => c.field === field);
  expect(cause, JSON.stringify(causes)).toBeDefined();
  expect(cause!.message).toContain(message);
}

describe("namespaces", () => {
  const ns = () => defaulted("namespaces", { metadata: { name: "team-a", creationTimestamp: created } });

  test("defaults", () => {
    expect(ns()).toEqual({
      metadata: { name: "team-a", creationTimestamp: created, labels: { "kubernetes.io/metadata.name": "team-a" } },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
    expect(validateObject(r("namespaces"), ns() as KubeObject)).toEqual([]);
  });

  test.each<[string, (n: Record<string, any>) => void, string, string]>([
    ["dotted name", (n) => (n.metadata.name = "team.a"), "metadata.name", "must not contain dots"],
    ["bad finalizer", (n) => (n.spec.finalizers = ["nope"]), "spec.finalizers[0]", "neither a standard finalizer name"],
    ["bad phase", (n) => (n.status.phase = "Gone"), "status.phase", "Unsupported value"],
  ])("%s", (_, breakIt, field, message) => {
    const n = ns();
    breakIt(n);
    expectCause("namespaces", n, field, message);
  });

  test("table", () => {
    expect(toTable(r("namespaces"), [ns() as KubeObject], { now }).rows[0]!.cells).toEqual(["team-a", "Active", "45s"]);
  });
});

describe("configmaps", () => {
  const cm = (extra: Record<string, unknown> = {}) => ({ metadata: { name: "cfg", namespace: "default", creationTimestamp: created }, data: { "app.yaml": "a: 1" }, ...extra });

  test("valid, and printed with its key count", () => {
    expect(validateObject(r("configmaps"), cm() as KubeObject)).toEqual([]);
    const row = toTable(r("configmaps"), [cm({ binaryData: { logo: "AAEC" } }) as KubeObject], { now }).rows[0]!;
    expect(row.cells).toEqual(["cfg", 2, "45s"]);
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ["bad key", { data: { "a/b": "x" } }, "data[a/b]", "a valid config key must consist of"],
    ["value not a string", { data: { a: 1 } }, "data[a]", "must be a string"],
    ["key in both bags", { binaryData: { "app.yaml": "AA==" } }, "data[app.yaml]", "duplicate of key present in binaryData"],
    ["too big", { data: { big: "x".repeat(1024 * 1024 + 1) } }, "", "Too long"],
  ])("%s", (_, extra, field, message) => {
    expectCause("configmaps", cm(extra), field, message);
  });

  test("immutable configmaps keep their data", () => {
    const old = cm({ immutable: true });
    expectCause("configmaps", cm({ immutable: true, data: { "app.yaml": "a: 2" } }), "data", "field is immutable when `immutable` is set", old);
    expectCause("configmaps", cm({ immutable: false }), "immutable", "field is immutable when `immutable` is set", old);
  });
});

describe("secrets", () => {
  const secret = (extra: Record<string, unknown> = {}) => defaulted("secrets", { metadata: { name: "s", namespace: "default", creationTimestamp: created }, ...extra });

  test("defaults: type Opaque, stringData folded into data", () => {
    const s = secret({ stringData: { password: "hunter2" }, data: { user: "YWRtaW4=" } });
    expect(s.type).toBe("Opaque");
    expect(s.data).toEqual({ user: "YWRtaW4=", password: Buffer.from("hunter2").toString("base64") });
    expect(s.stringData).toBeUndefined();
    expect(validateObject(r("secrets"), s as KubeObject)).toEqual([]);
    expect(toTable(r("secrets"), [s as KubeObject], { now }).rows[0]!.cells).toEqual(["s", "Opaque", 2, "45s"]);
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ["not base64", { data: { a: "not base64!" } }, "data[a]", "illegal base64 data"],
    ["tls without key", { type: "kubernetes.io/tls", data: { "tls.crt": "AA==" } }, "data[tls.key]", "Required value"],
    ["service account token without account", { type: "kubernetes.io/service-account-token" }, "metadata.annotations[kubernetes.io/service-account.name]", "Required value"],
    ["dockerconfigjson not json", { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": Buffer.from("{nope").toString("base64") } }, "data[.dockerconfigjson]", "<secret contents redacted>"],
  ])("%s", (_, extra, field, message) => {
    expectCause("secrets", secret(extra), field, message);
  });

  test("the type can't change", () => {
    expectCause("secrets", secret({ type: "kubernetes.io/basic-auth", data: { username: "YQ==" } }), "type", "field is immutable", secret());
  });
});

describe("serviceaccounts", () => {
  test("valid and printed with its secret count", () => {
    const sa = { metadata: { name: "default", namespace: "default", creationTimestamp: created }, secrets: [{ name: "tok" }] };
    expect(validateObject(r("serviceaccounts"), sa as KubeObject)).toEqual([]);
    expect(toTable(r("serviceaccounts"), [sa as KubeObject], { now }).rows[0]!.cells).toEqual(["default", 1, "45s"]);
  });

  test("imagePullSecrets need names", () => {
    expectCause("serviceaccounts", { metadata: { name: "sa", namespace: "default" }, imagePullSecrets: [{}] }, "imagePullSecrets[0].name", "Required value");
  });
});

describe("endpoints", () => {
  const ep = (subsets: unknown) => defaulted("endpoints", { metadata: { name: "web", namespace: "default", creationTimestamp: created }, subsets });

  test("defaults port protocols; valid", () => {
    const e = ep([{ addresses: [{ ip: "10.42.0.5" }], ports: [{ port: 80 }] }]);
    expect(e.subsets[0].ports[0].protocol).toBe("TCP");
    expect(validateObject(r("endpoints"), e as KubeObject)).toEqual([]);
  });

  test.each<[string, unknown, string, string]>([
    ["no addresses", [{ ports: [{ port: 80 }] }], "subsets[0]", "must specify `addresses` or `notReadyAddresses`"],
    ["bad ip", [{ addresses: [{ ip: "10.42.0" }] }], "subsets[0].addresses[0].ip", "must be a valid IP address"],
    ["loopback ip", [{ notReadyAddresses: [{ ip: "127.0.0.1" }] }], "subsets[0].notReadyAddresses[0].ip", "loopback"],
    ["unnamed ports", [{ addresses: [{ ip: "10.42.0.5" }], ports: [{ port: 80 }, { port: 81, name: "b" }] }], "subsets[0].ports[0].name", "Required value"],
    ["bad port", [{ addresses: [{ ip: "10.42.0.5" }], ports: [{ port: 0 }] }], "subsets[0].ports[0].port", "must be between 1 and 65535"],
  ])("%s", (_, subsets, field, message) => {
    expectCause("endpoints", ep(subsets), field, message);
  });

  test.each<[string, unknown, string]>([
    ["none", undefined, "<none>"],
    ["two", [{ addresses: [{ ip: "10.42.0.5" }, { ip: "10.42.0.6" }], ports: [{ port: 80 }] }], "10.42.0.5:80,10.42.0.6:80"],
    ["headless without ports", [{ addresses: [{ ip: "10.42.0.5" }] }], "10.42.0.5"],
    ["more than three", [{ addresses: [1, 2, 3, 4, 5].map((i) => ({ ip: `10.42.0.${i}` })), ports: [{ port: 80 }] }], "10.42.0.1:80,10.42.0.2:80,10.42.0.3:80 + 2 more..."],
  ])("table: %s", (_, subsets, want) => {
    expect(toTable(r("endpoints"), [ep(subsets) as KubeObject], { now }).rows[0]!.cells).toEqual(["web", want, "45s"]);
  });
});

describe("events", () => {
  const event = (extra: Record<string, unknown> = {}) => ({
    metadata: { name: "web.17a", namespace: "default", creationTimestamp: created },
    involvedObject: { kind: "Pod", name: "web", namespace: "default", fieldPath: "spec.containers{web}" },
    reason: "Pulled",
    message: "Container image already present on machine ",
    source: { component: "kubelet", host: "n1" },
    firstTimestamp: "2026-01-01T00:00:00Z",
    lastTimestamp: "2026-01-01T00:00:40Z",
    count: 3,
    type: "Normal",
    ...extra,
  });

  test("valid, and printed as kubectl get events shows it", () => {
    expect(validateObject(r("events"), event() as KubeObject)).toEqual([]);
    const table = toTable(r("events"), [event() as KubeObject], { now });
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(["Last Seen", "Type", "Reason", "Object", "Message"]);
    expect(table.rows[0]!.cells).toEqual(["5s", "Normal", "Pulled", "pod/web", "spec.containers{web}", "kubelet, n1", "Container image already present on machine", "45s", 3, "web.17a"]);
  });

  test("new-style events use eventTime, series and the reporting fields", () => {
    const e = event({ firstTimestamp: null, lastTimestamp: null, count: undefined, eventTime: "2026-01-01T00:00:30.000000Z", series: { count: 7, lastObservedTime: "2026-01-01T00:00:44.000000Z" }, source: undefined, reportingComponent: "kubun-scheduler", reportingInstance: "s1", action: "Binding" });
    expect(validateObject(r("events"), e as KubeObject)).toEqual([]);
    const cells = toTable(r("events"), [e as KubeObject], { now }).rows[0]!.cells;
    expect([cells[0], cells[5], cells[7], cells[8]]).toEqual(["1s", "kubun-scheduler, s1", "15s", 7]);
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ["namespace mismatch", { involvedObject: { kind: "Pod", name: "web", namespace: "other" } }, "involvedObject.namespace", "does not match event.namespace"],
    ["new-style without action", { eventTime: "2026-01-01T00:00:30.000000Z", reportingComponent: "x", reportingInstance: "y" }, "action", "Required value"],
  ])("%s", (_, extra, field, message) => {
    expectCause("events", event(extra), field, message);
  });
});
