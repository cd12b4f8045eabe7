// `kind: List` files with stock kubectl 1.32. kubectl never leaves a List's validation to the
// server: it validates each item itself against /openapi/v2, which it fetches as gnostic protobuf.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openapiV2Schema } from "../src/api/openapi/v2-protobuf.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

const KUBECTL_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

const configMap = (ns: string, extra = "") => `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${ns}}
data: {mode: fast}
${extra}`;

const deployment = (ns: string, image = "busybox:1") => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
`;

const service = (ns: string) => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
`;

/** A v1 List of the three, each item indented under `items:`. */
const list = (...items: string[]) =>
  `apiVersion: v1\nkind: List\nitems:\n${items.map((i) => "- " + i.trimEnd().replace(/\n/g, "\n  ")).join("\n")}\n`;
const threeOf = (ns: string, image?: string) => list(configMap(ns), deployment(ns, image), service(ns));

const ok = (args: string[], stdin?: string) => s.kubectlOk(args, stdin);

async function namespace(name: string): Promise<string> {
  await ok(["create", "namespace", name]);
  return name;
}

describe("/openapi/v2", () => {
  test("answers kubectl's protobuf Accept with a gnostic Document under the Content-Type Go can parse", async () => {
    const res = await s.api("/openapi/v2", { headers: { accept: KUBECTL_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    const type = openapiV2Schema().lookupType("openapi.v2.Document");
    const doc = type.toObject(type.decode(new Uint8Array(await res.arrayBuffer()))) as { swagger: string; definitions: { additional_properties: { name: string }[] } };
    expect(doc.swagger).toBe("2.0");
    expect(doc.definitions.additional_properties.map((d) => d.name)).toContain("io.k8s.api.apps.v1.Deployment");
  });

  test("still answers JSON, and 406 for what it cannot produce", async () => {
    const json = await s.api("/openapi/v2", { headers: { accept: "application/json" } });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { swagger: string }).swagger).toBe("2.0");
    const yaml = await s.api("/openapi/v2", { headers: { accept: "application/yaml" } });
    expect(yaml.status).toBe(406);
  });
});

describe("kubectl with kind: List", () => {
  test("apply -f of a List creates each item, and re-applying it configures them by strategic merge", async () => {
    const ns = await namespace("list-apply");
    const out = await ok(["apply", "-f", "-"], threeOf(ns));
    expect(out.trim().split("\n")).toEqual(["configmap/settings created", "deployment.apps/web created", "service/web created"]);
    const again = await ok(["apply", "-f", "-"], threeOf(ns, "busybox:2"));
    expect(again).toContain("deployment.apps/web configured");
    const d = JSON.parse(await ok(["get", "deploy", "web", "-n", ns, "-o", "json"]));
    expect(d.spec.template.spec.containers[0]).toMatchObject({ name: "web", image: "busybox:2", ports: [{ containerPort: 80, protocol: "TCP" }] });
  });

  test("an item with an unknown field is refused by kubectl itself, and nothing of the List is written", async () => {
    const ns = await namespace("list-invalid");
    const r = await s.kubectl(["apply", "-f", "-"], { stdin: list(configMap(ns, "bogus: 1"), deployment(ns), service(ns)) });
    expect(r.code).not.toBe(0);
    // ValidationError(<Kind>) is kubectl's client-side validator speaking, not the server's strict decoding.
    expect(r.stderr).toContain('ValidationError(ConfigMap): unknown field "bogus" in io.k8s.api.core.v1.ConfigMap');
    expect(r.stderr).toContain("--validate=false");
    const left = await ok(["get", "cm,deploy,svc", "-n", ns, "-o", "name"]);
    expect(left).not.toContain("web");
    expect(left).not.toContain("settings");
  });

  test("a List of a wrongly typed field is refused too", async () => {
    const ns = await namespace("list-type");
    const r = await s.kubectl(["apply", "-f", "-"], { stdin: list(configMap(ns), deployment(ns).replace("replicas: 1", "replicas: many")) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("ValidationError(Deployment.spec.replicas)");
  });

  test("create -f of a List creates each item", async () => {
    const ns = await namespace("list-create");
    const out = await ok(["create", "-f", "-"], threeOf(ns));
    expect(out.trim().split("\n")).toEqual(["configmap/settings created", "deployment.apps/web created", "service/web created"]);
  });

  test("get deploy,svc -o yaml > x.yaml, then apply -f x.yaml", async () => {
    const ns = await namespace("list-roundtrip");
    await ok(["apply", "-f", "-"], threeOf(ns));
    const file = join(s.tmp, "x.yaml");
    writeFileSync(file, await ok(["get", "deploy,svc", "-n", ns, "-o", "yaml"]));
    const out = await ok(["apply", "-f", file]);
    expect(out).toContain("deployment.apps/web");
    expect(out).toContain("service/web");
  });
});

describe("kubectl on ordinary files, now that /openapi/v2 is served", () => {
  test("client-side apply of one object, then diff of a change (exit 1) and of no change (exit 0)", async () => {
    const ns = await namespace("plain-apply");
    expect((await ok(["apply", "-f", "-"], deployment(ns, "busybox:1"))).trim()).toBe("deployment.apps/web created");
    const changed = await s.kubectl(["diff", "-f", "-"], { stdin: deployment(ns, "busybox:3") });
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("+      - image: busybox:3");
    const same = await s.kubectl(["diff", "-f", "-"], { stdin: deployment(ns, "busybox:1") });
    expect({ code: same.code, stderr: same.stderr }).toEqual({ code: 0, stderr: "" });
  });

  test("an unknown field in a single object is still refused by the server's strict validation", async () => {
    const ns = await namespace("plain-invalid");
    const r = await s.kubectl(["apply", "-f", "-"], { stdin: deployment(ns, "busybox:1").replace("replicas: 1", "replicas: 1\n  bogus: 1") });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "spec.bogus"');
  });

  test("explain still works", async () => {
    const out = await ok(["explain", "deployment.spec.replicas"]);
    expect(out).toContain("FIELD: replicas <integer>");
  });
});
