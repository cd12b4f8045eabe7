import { describe, expect, test } from "bun:test";
import { StatusError } from "../../apis/errors.ts";
import { applyPatch } from "./index.ts";
import { statusErrorOf } from "../../apis/errors-testing.ts";

const live = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: { template: { spec: { containers: [{ name: "web", image: "a", ports: [{ containerPort: 80 }] }] } } },
});
const containers = (obj: any) => obj.spec.template.spec.containers;

const statusOf = statusErrorOf;

describe("applyPatch dispatches by media type", () => {
  const containerPatch = { spec: { template: { spec: { containers: [{ name: "web", image: "b" }] } } } };

  test.each([
    ["application/strategic-merge-patch+json", containerPatch, [{ name: "web", image: "b", ports: [{ containerPort: 80 }] }]],
    ["application/strategic-merge-patch+json; charset=utf-8", containerPatch, [{ name: "web", image: "b", ports: [{ containerPort: 80 }] }]],
    ["application/merge-patch+json", containerPatch, [{ name: "web", image: "b" }]],
    ["Application/Merge-Patch+JSON", containerPatch, [{ name: "web", image: "b" }]],
    ["application/json-patch+json", [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: "b" }], [{ name: "web", image: "b", ports: [{ containerPort: 80 }] }]],
  ])("%s", (contentType, body, want) => {
    expect(containers(applyPatch(contentType, live(), body, "Deployment"))).toEqual(want);
  });

  test.each(["application/json", "application/apply-patch+yaml", "text/plain", ""])("%p is 415", (contentType) => {
    const err = statusOf(() => applyPatch(contentType, live(), {}, "Deployment"));
    expect(err.code).toBe(415);
    expect(err.reason).toBe("UnsupportedMediaType");
  });

  test.each([
    ["a merge patch that is not an object", "application/merge-patch+json", ["x"]],
    ["a strategic merge patch that is not an object", "application/strategic-merge-patch+json", "x"],
    ["a JSON patch replacing the object with a string", "application/json-patch+json", [{ op: "replace", path: "", value: "x" }]],
    ["a JSON patch removing metadata", "application/json-patch+json", [{ op: "remove", path: "/metadata" }]],
  ])("%s is 400", (_name, contentType, body) => {
    expect(statusOf(() => applyPatch(contentType, live(), body, "Deployment")).code).toBe(400);
  });

  test("the live object is not mutated", () => {
    const obj = live();
    applyPatch("application/json-patch+json", obj, [{ op: "add", path: "/metadata/labels/x", value: "y" }], "Deployment");
    expect(obj).toEqual(live());
  });
});
