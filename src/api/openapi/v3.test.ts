import { describe, expect, test } from "bun:test";
import { RESOURCES } from "../../apis/registry.ts";
import { openapiV3GroupVersion, openapiV3Hash, openapiV3Index } from "./v3.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; [k: string]: unknown }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};
const doc = (gv: string) => openapiV3GroupVersion(gv) as Doc;
const GROUP_VERSIONS = [
  "api/v1", "apis/admissionregistration.k8s.io/v1", "apis/apiextensions.k8s.io/v1", "apis/apps/v1", "apis/authentication.k8s.io/v1", "apis/authorization.k8s.io/v1", "apis/autoscaling/v1", "apis/batch/v1",
  "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1", "apis/rbac.authorization.k8s.io/v1", "apis/storage.k8s.io/v1",
];

describe("openapiV3Index", () => {
  test("lists every served group-version and nothing else", () => {
    expect(Object.keys(openapiV3Index().paths).sort()).toEqual(GROUP_VERSIONS);
  });

  test.each(GROUP_VERSIONS)("%s links its document by content hash", (gv) => {
    const url = openapiV3Index().paths[gv]!.serverRelativeURL;
    expect(url).toBe(`/openapi/v3/${gv}?hash=${openapiV3Hash(gv)}`);
    expect(openapiV3Hash(gv)).toMatch(/^[0-9A-F]{128}$/);
  });

  test("hashes differ between documents", () => {
    expect(new Set(GROUP_VERSIONS.map(openapiV3Hash)).size).toBe(GROUP_VERSIONS.length);
  });
});

describe("openapiV3GroupVersion", () => {
  test("is undefined for a group-version kubun does not serve", () => {
    expect(openapiV3GroupVersion("apis/node.k8s.io/v1")).toBeUndefined();
  });

  test("is computed once", () => {
    expect(openapiV3GroupVersion("apis/apps/v1")).toBe(openapiV3GroupVersion("apis/apps/v1"));
  });

  test("the deployments patch operation lists fieldValidation and the Deployment kind", () => {
    const patch = doc("apis/apps/v1").paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!.patch as Record<string, unknown>;
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
    expect(patch["x-kubernetes-action"]).toBe("patch");
    expect((patch.parameters as { name: string; in: string }[]).filter((p) => p.in === "query").map((p) => p.name)).toContain("fieldValidation");
    const content = (patch.requestBody as { content: Record<string, unknown> }).content;
    expect(Object.keys(content)).toEqual([
      "application/json-patch+json",
      "application/merge-patch+json",
      "application/strategic-merge-patch+json",
      "application/apply-patch+yaml",
    ]);
  });

  // kubectl decides per kind whether the server validates fields from exactly this.
  test.each(RESOURCES.filter((r) => r.verbs.includes("patch")).map((r) => [r.resource, r] as const))(
    "every patchable kind (%s) has a patch operation with fieldValidation",
    (_, r) => {
      const gv = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
      const patches = Object.values(doc(gv).paths)
        .map((item) => item.patch as { parameters: { name: string }[]; [k: string]: unknown } | undefined)
        .filter((op) => op && (op["x-kubernetes-group-version-kind"] as { kind: string }).kind === r.kind);
      expect(patches.length).toBeGreaterThan(0);
      for (const op of patches) expect(op!.parameters.map((p) => p.name)).toContain("fieldValidation");
    },
  );

  test.each([
    ["api/v1", "/api/v1/namespaces/{namespace}/pods", ["get", "post", "delete"]],
    ["api/v1", "/api/v1/namespaces/{namespace}/pods/{name}", ["get", "put", "patch", "delete"]],
    ["api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/binding", ["post"]],
    ["api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/log", ["get"]],
    ["api/v1", "/api/v1/pods", ["get"]],
    ["api/v1", "/api/v1/nodes/{name}", ["get", "put", "patch", "delete"]],
    ["api/v1", "/api/v1/namespaces/{name}", ["get", "put", "patch", "delete"]],
    ["api/v1", "/api/v1/watch/namespaces/{namespace}/pods", ["get"]],
    ["apis/apps/v1", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", ["get", "put", "patch"]],
    ["apis/apps/v1", "/apis/apps/v1/namespaces/{namespace}/replicasets/{name}/status", ["get", "put", "patch"]],
  ])("%s has %s with %p", (gv, path, methods) => {
    const item = doc(gv).paths[path];
    expect(item).toBeDefined();
    expect(Object.keys(item!).filter((k) => k !== "parameters")).toEqual(methods);
  });

  test("namespaces are cluster-scoped: no namespaced path and no deletecollection", () => {
    const paths = Object.keys(doc("api/v1").paths);
    expect(paths).not.toContain("/api/v1/namespaces/{namespace}/namespaces");
    expect(doc("api/v1").paths["/api/v1/namespaces"]!.delete).toBeUndefined();
  });

  test("scale operations carry the autoscaling/v1 Scale kind and schema", () => {
    const d = doc("apis/apps/v1");
    const get = d.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]!.get as Record<string, unknown>;
    expect(get["x-kubernetes-group-version-kind"]).toEqual({ group: "autoscaling", version: "v1", kind: "Scale" });
    expect(d.components.schemas["io.k8s.api.autoscaling.v1.Scale"]).toBeDefined();
  });

  test.each(GROUP_VERSIONS)("%s: every $ref points into its own components.schemas", (gv) => {
    const d = doc(gv);
    const refs = JSON.stringify(d).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const target = /#\/components\/schemas\/(.+)"$/.exec(ref)?.[1];
      expect(target && d.components.schemas[target] ? ref : `dangling ${ref}`).toBe(ref);
    }
  });

  test("int-or-string is either type in v3", () => {
    const schema = doc("api/v1").components.schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    expect(schema).toMatchObject({ format: "int-or-string", "x-kubernetes-int-or-string": true, oneOf: [{ type: "integer" }, { type: "string" }] });
  });
});
