// CustomResourceDefinitions end to end on a real server: stock kubectl (apply the CRD and a
// custom resource, get with printer columns, explain, scale, patch --subresource=status, field
// selectors, watch, delete crd cascading) and @kubernetes/client-node's CustomObjectsApi.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const CRD = join(import.meta.dir, "crd", "website-crd.yaml");
const website = (name: string, spec: string) => `apiVersion: example.com/v1\nkind: Website\nmetadata:\n  name: ${name}\nspec: ${spec}\n`;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  const r = await s.kubectl(["apply", "-f", CRD]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toContain("customresourcedefinition.apiextensions.k8s.io/websites.example.com created");
});
afterAll(async () => {
  await s.close();
});

const ok = (args: string[], stdin?: string) => s.kubectlOk(args, stdin);

describe("kubectl", () => {
  test("the CRD is Established with its names accepted, and served at once", async () => {
    const status = JSON.parse(await ok(["get", "crd", "websites.example.com", "-o", "jsonpath={.status}"]));
    const cond = Object.fromEntries(status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]));
    expect(cond).toEqual({ NamesAccepted: "True", Established: "True" });
    expect(status.storedVersions).toEqual(["v1"]);
    expect(await ok(["api-resources", "--api-group=example.com", "--no-headers"])).toMatch(/^websites\s+ws\s+example.com\/v1\s+true\s+Website\n$/);
    // Aggregated discovery, as kubectl asks for it first.
    const res = await s.api("/apis", { headers: { accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json" } });
    expect(res.headers.get("content-type")).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    const group = ((await res.json()) as { items: { metadata: { name: string }; versions: { version: string; resources: any[] }[] }[] }).items.find((g) => g.metadata.name === "example.com")!;
    expect(group.versions[0]!.resources[0]).toMatchObject({
      resource: "websites",
      responseKind: { group: "example.com", version: "v1", kind: "Website" },
      scope: "Namespaced",
      singularResource: "website",
      shortNames: ["ws"],
      categories: ["all"],
      subresources: [{ subresource: "status" }, { subresource: "scale", responseKind: { group: "autoscaling", version: "v1", kind: "Scale" } }],
    });
  });

  test("apply a custom resource: defaulted, printed with its columns, in `get all`", async () => {
    expect(await ok(["apply", "-f", "-"], website("home", "{image: 'nginx:1', replicas: 2}"))).toBe("website.example.com/home created\n");
    expect(await ok(["get", "ws", "home", "-o", "jsonpath={.spec}"])).toBe('{"color":"green","image":"nginx:1","replicas":2}');
    const table = await ok(["get", "websites"]);
    expect(table.split("\n")[0]).toMatch(/^NAME\s+IMAGE\s+REPLICAS\s+READY\s+AGE$/);
    expect(table.split("\n")[1]).toMatch(/^home\s+nginx:1\s+2\s+\S+$/);
    expect(await ok(["get", "all"])).toContain("website.example.com/home");
  });

  test("invalid objects are refused naming the field; unknown fields under Strict too", async () => {
    const bad = await s.kubectl(["apply", "-f", "-"], { stdin: website("bad", "{image: x, replicas: 20, color: pink}") });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('The Website "bad" is invalid');
    expect(bad.stderr).toContain("spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10");
    expect(bad.stderr).toContain('spec.color: Unsupported value: "pink": supported values: "red", "green", "blue"');
    const unknown = await s.kubectl(["apply", "-f", "-"], { stdin: website("bad", "{image: x, extra: 1}") });
    expect(unknown.stderr).toContain('strict decoding error: unknown field "spec.extra"');
    // Without validation the unknown field is pruned, as kube-apiserver does.
    await ok(["apply", "--validate=false", "-f", "-"], website("pruned", "{image: x, extra: 1}"));
    expect(await ok(["get", "ws", "pruned", "-o", "jsonpath={.spec}"])).toBe('{"color":"green","image":"x","replicas":1}');
  });

  test("CEL rules: messageExpression and fieldPath on create, a transition rule on update", async () => {
    const untagged = await s.kubectl(["apply", "-f", "-"], { stdin: website("untagged", "{image: 'nginx:latest'}") });
    expect(untagged.stderr).toContain('spec.image: Invalid value: "object": image nginx:latest must not use the latest tag');
    const recolor = await s.kubectl(["patch", "ws", "home", "--type=merge", "-p", '{"spec":{"color":"blue"}}']);
    expect(recolor.stderr).toContain('spec: Invalid value: "object": color is immutable');
    const bad = await s.kubectl(["apply", "-f", "-"], { stdin: gadgetsLike("self.size >") });
    expect(bad.stderr).toContain("compilation failed");
  });

  test("apply again (kubectl merges a custom resource with a JSON merge patch); strategic merge is refused", async () => {
    expect(await ok(["apply", "-f", "-"], website("home", "{image: 'nginx:1', replicas: 2, port: 8080}"))).toBe("website.example.com/home configured\n");
    expect(await ok(["get", "ws", "home", "-o", "jsonpath={.spec.port}"])).toBe("8080");
    const smp = await s.kubectl(["patch", "ws", "home", "-p", '{"spec":{"replicas":2}}']);
    expect(smp.stderr).toContain("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  });

  test("scale and patch --subresource=status", async () => {
    expect(await ok(["scale", "ws", "home", "--replicas=3"])).toBe("website.example.com/home scaled\n");
    expect(await ok(["get", "ws", "home", "-o", "jsonpath={.spec.replicas}"])).toBe("3");
    await ok(["patch", "ws", "home", "--subresource=status", "--type=merge", "-p", '{"status":{"replicas":3,"readyReplicas":2,"selector":"app=home"}}']);
    expect((await ok(["get", "ws", "home", "--no-headers"])).split(/\s+/).slice(0, 4)).toEqual(["home", "nginx:1", "3", "2"]);
    const scale = JSON.parse(await ok(["get", "--raw", "/apis/example.com/v1/namespaces/default/websites/home/scale"]));
    expect(scale).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 3 }, status: { replicas: 3, selector: "app=home" } });
    // A write to the main resource keeps the status.
    await ok(["patch", "ws", "home", "--type=merge", "-p", '{"spec":{"image":"nginx:2"},"status":{"readyReplicas":0}}']);
    expect(await ok(["get", "ws", "home", "-o", "jsonpath={.status.readyReplicas}"])).toBe("2");
  });

  test("field selectors: metadata.name and the CRD's selectableFields; others are refused", async () => {
    await ok(["apply", "-f", "-"], website("red", "{image: x, color: red}"));
    expect(await ok(["get", "ws", "--field-selector", "spec.color=red", "-o", "name"])).toBe("website.example.com/red\n");
    expect(await ok(["get", "ws", "--field-selector", "metadata.name=home", "-o", "name"])).toBe("website.example.com/home\n");
    const bad = await s.kubectl(["get", "ws", "--field-selector", "spec.image=x"]);
    expect(bad.stderr).toContain("field label not supported: spec.image");
  });

  test("explain reads the CRD's schema", async () => {
    const out = await ok(["explain", "websites.spec"]);
    expect(out).toContain("KIND:       Website");
    expect(out).toMatch(/image\s+<string> -required-/);
    expect(out).toMatch(/replicas\s+<integer>/);
  });

  test("server-side apply creates and records managedFields", async () => {
    await ok(["apply", "--server-side", "-f", "-"], website("ssa", "{image: x}"));
    const managers = JSON.parse(await ok(["get", "ws", "ssa", "-o", "jsonpath={.metadata.managedFields}"])).map((m: { manager: string }) => m.manager);
    expect(managers).toContain("kubectl");
  });

  test("a file with a kind the server lacks: that object fails, the others apply", async () => {
    const r = await s.kubectl(["apply", "-f", "-"], {
      stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n---\napiVersion: nope.io/v1\nkind: Nope\nmetadata: {name: nope}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}\n",
    });
    expect(r.stdout).toContain("configmap/first created");
    expect(r.stdout).toContain("configmap/second created");
    expect(r.stderr).toContain('no matches for kind "Nope" in version "nope.io/v1"');
  });
});

/** A CRD whose one CEL rule is `rule`. */
function gadgetsLike(rule: string): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: things, kind: Thing}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-validations: [{rule: "${rule}"}]}}}
`;
}

const gadgets = (extra = "") => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: gadgets, kind: Gadget}
${extra}  versions:
  - {name: v1beta1, served: true, storage: false, deprecated: true, schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: integer}}}}}}}
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: integer}}}}}}}
`;

describe("CRD lifecycle", () => {
  test("a Webhook conversion is refused with a 422 naming the field", async () => {
    const r = await s.kubectl(["apply", "-f", "-"], { stdin: gadgets("  conversion:\n    strategy: Webhook\n    webhook: {conversionReviewVersions: [v1], clientConfig: {url: 'https://x'}}\n") });
    expect(r.stderr).toContain('spec.conversion.strategy: Unsupported value: "Webhook": supported values: "None"');
  });

  test("several versions, conversion None: written in one, stored in the storage version, read in any", async () => {
    await ok(["apply", "-f", "-"], gadgets());
    const created = await s.api("/apis/example.com/v1beta1/gadgets", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ apiVersion: "example.com/v1beta1", kind: "Gadget", metadata: { name: "g" }, spec: { size: 2 } }) });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { apiVersion: string }).apiVersion).toBe("example.com/v1beta1");
    expect(s.store.get("/example.com/gadgets/g")!.object.apiVersion).toBe("example.com/v1");
    expect(JSON.parse(await ok(["get", "--raw", "/apis/example.com/v1beta1/gadgets/g"])).apiVersion).toBe("example.com/v1beta1");
    // The deprecated version warns, as kubectl shows it.
    expect((await s.kubectl(["get", "gadgets.v1beta1.example.com"])).stderr).toContain("Warning: example.com/v1beta1 Gadget is deprecated");
    expect(JSON.parse(await ok(["get", "--raw", "/apis/example.com/v1/gadgets"])).items[0].apiVersion).toBe("example.com/v1");
    const group = JSON.parse(await ok(["get", "--raw", "/apis/example.com"]));
    expect(group.versions.map((v: { version: string }) => v.version)).toEqual(["v1", "v1beta1"]);
    expect(group.preferredVersion.version).toBe("v1");
  });

  test("a second CRD with names in use is not accepted, not established and not served", async () => {
    await ok(["apply", "-f", "-"], gadgets().replace("gadgets.example.com", "widgets.example.com").replace("plural: gadgets", "plural: widgets"));
    let status: { conditions: { type: string; status: string; reason: string; message: string }[] } | undefined;
    for (let i = 0; i < 50 && !status?.conditions?.length; i++) {
      status = JSON.parse((await ok(["get", "crd", "widgets.example.com", "-o", "jsonpath={.status}"])) || "{}");
      if (!status?.conditions?.length) await Bun.sleep(50);
    }
    const names = status!.conditions.find((c) => c.type === "NamesAccepted")!;
    expect([names.status, names.reason, names.message]).toEqual(["False", "SingularConflict", '"gadget" is already in use']);
    expect(status!.conditions.find((c) => c.type === "Established")!.status).toBe("False");
    expect((await s.api("/apis/example.com/v1/widgets")).status).toBe(404);
    await ok(["delete", "crd", "widgets.example.com"]);
  });

  test("a custom resource's own finalizer holds the CRD's deletion until it is removed", async () => {
    await ok(["patch", "gadget", "g", "--type=merge", "-p", '{"metadata":{"finalizers":["example.com/hold"]}}']);
    await ok(["delete", "crd", "gadgets.example.com", "--wait=false"]);
    await Bun.sleep(300);
    const crd = JSON.parse(await ok(["get", "crd", "gadgets.example.com", "-o", "json"]));
    expect(crd.metadata.finalizers).toEqual(["customresourcecleanup.apiextensions.k8s.io"]);
    expect(crd.status.conditions.find((c: { type: string }) => c.type === "Terminating")).toMatchObject({ status: "True", reason: "InstanceDeletionInProgress" });
    expect(JSON.parse(await ok(["get", "--raw", "/apis/example.com/v1/gadgets/g"])).metadata.deletionTimestamp).toBeString();
    // While terminating, no new objects.
    const create = await s.api("/apis/example.com/v1/gadgets", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "late" } }) });
    expect(create.status).toBe(405);
    await ok(["patch", "gadget", "g", "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    await ok(["wait", "--for=delete", "crd/gadgets.example.com", "--timeout=20s"]);
    expect(s.store.list("/example.com/gadgets/").items).toEqual([]);
  });
});

test("server-side apply merges x-kubernetes-list-type map lists by key; other lists stay atomic", async () => {
  await ok(["apply", "-f", "-"], `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: services.ssa.example.com}
spec:
  group: ssa.example.com
  scope: Namespaced
  names: {plural: services, kind: Svc}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              ports: {type: array, x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [name], items: {type: object, required: [name], properties: {name: {type: string}, port: {type: integer}}}}
              tags: {type: array, items: {type: string}}
`);
  const apply = async (manager: string, spec: string) => {
    for (let i = 0; i < 50; i++) {
      const r = await s.kubectl(["apply", "--server-side", `--field-manager=${manager}`, "-f", "-"], { stdin: `apiVersion: ssa.example.com/v1\nkind: Svc\nmetadata: {name: x}\nspec: ${spec}\n` });
      if (!r.stderr.includes("ensure CRDs are installed first")) return r;
      await Bun.sleep(50);
    }
    throw new Error("the CRD was never served");
  };
  expect((await apply("a", "{ports: [{name: http, port: 80}], tags: [a]}")).code).toBe(0);
  expect((await apply("b", "{ports: [{name: https, port: 443}]}")).code).toBe(0);
  const ports = JSON.parse(await ok(["get", "svc.ssa.example.com", "x", "-o", "jsonpath={.spec.ports}"])).map((p: { name: string }) => p.name).sort();
  expect(ports).toEqual(["http", "https"]);
  expect((await apply("b", "{tags: [b]}")).stderr).toContain('conflict with "a": .spec.tags');
  await ok(["delete", "crd", "services.ssa.example.com"]);
});

test("client-node CustomObjectsApi", async () => {
  const proc = Bun.spawn(["node", join(import.meta.dir, "crd", "custom-objects.mjs")], {
    env: { ...process.env, KUBECONFIG: s.kubeconfigPath, HOME: s.tmp },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  const out = JSON.parse(stdout.trim().split("\n").pop()!);
  expect(out.crdNames).toEqual(["websites.example.com"]);
  expect(out.defaulted).toEqual({ image: "web:1", replicas: 1, color: "green" });
  expect(out.listed).toContain("cn");
  expect(out.status).toEqual({ readyReplicas: 1 });
  expect(out.invalidCode).toBe(422);
  expect(out.invalidBody).toMatchObject({ kind: "Status", reason: "Invalid", details: { causes: [{ field: "spec.replicas" }] } });
  expect(out.afterDelete).not.toContain("cn");
}, 60_000);

test("deleting the CRD deletes its objects first, then stops serving", async () => {
  expect(await ok(["get", "ws", "-o", "name"])).not.toBe("");
  expect(await ok(["delete", "crd", "websites.example.com"])).toBe('customresourcedefinition.apiextensions.k8s.io "websites.example.com" deleted\n');
  expect(await ok(["get", "crd", "-o", "name"])).toBe("");
  expect(s.store.list("/example.com/websites/").items).toEqual([]);
  const gone = await s.kubectl(["get", "websites"]);
  expect(gone.stderr).toContain('the server doesn\'t have a resource type "websites"');
}, 60_000);
