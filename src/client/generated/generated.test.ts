import { expect, test } from "bun:test";
import { OPENAPI_FILE, TYPES_FILE, generateTypes, mergedDocument, serializeDocument } from "../../../scripts/gen-client.ts";

// The generated files are committed; these fail when they drift from the server's OpenAPI.
// Fix: bun scripts/gen-client.ts
test("openapi.json matches the server's v3 documents", async () => {
  expect(serializeDocument(mergedDocument()) === (await Bun.file(OPENAPI_FILE).text())).toBe(true);
});

test("kube.d.ts matches openapi-typescript's output for openapi.json", async () => {
  expect((await generateTypes(OPENAPI_FILE)) === (await Bun.file(TYPES_FILE).text())).toBe(true);
});

test("the merged document covers every group-version's paths", () => {
  const paths = Object.keys((mergedDocument() as { paths: object }).paths);
  for (const p of ["/api/v1/namespaces/{namespace}/pods/{name}/log", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}", "/apis/discovery.k8s.io/v1/endpointslices"]) {
    expect(paths).toContain(p);
  }
});
