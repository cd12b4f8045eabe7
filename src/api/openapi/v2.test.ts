import { describe, expect, test } from "bun:test";
import { definitions } from "./definitions.ts";
import { openapiV2 } from "./v2.ts";

type Swagger = {
  swagger: string;
  definitions: Record<string, unknown>;
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; type?: string }[]; consumes?: string[] }>>;
};
const v2 = () => openapiV2() as Swagger;

describe("openapiV2", () => {
  test("is Swagger 2.0 with every definition", () => {
    expect(v2().swagger).toBe("2.0");
    expect(Object.keys(v2().definitions).sort()).toEqual(Object.keys(definitions).sort());
  });

  test("spans every group-version", () => {
    const paths = Object.keys(v2().paths);
    for (const p of ["/api/v1/namespaces/{namespace}/pods", "/apis/apps/v1/namespaces/{namespace}/deployments", "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases", "/apis/discovery.k8s.io/v1/endpointslices"]) {
      expect(paths).toContain(p);
    }
  });

  test("patch takes a body in the patch media types and lists fieldValidation as a typed query parameter", () => {
    const patch = v2().paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!.patch!;
    expect(patch.consumes).toContain("application/strategic-merge-patch+json");
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: "body", in: "body" }));
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: "fieldValidation", in: "query", type: "string" }));
  });

  test("every $ref resolves to a definition", () => {
    const refs = JSON.stringify(v2()).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(v2().definitions[/#\/definitions\/(.+)"$/.exec(ref)![1]!]).toBeDefined();
  });

  test("is computed once", () => {
    expect(openapiV2()).toBe(openapiV2());
  });
});
