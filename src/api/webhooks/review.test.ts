import { describe, expect, test } from "bun:test";
import { findResource } from "../../apis/registry.ts";
import { CallError } from "./client.ts";
import { deniedError } from "./dispatch.ts";
import { admissionResult, admissionReview } from "./review.ts";

const CONFIGMAPS = findResource("", "v1", "configmaps")!;
const sent = admissionReview(
  { operation: "CREATE", resource: CONFIGMAPS, subresource: "", kind: { group: "", version: "v1", kind: "ConfigMap" }, namespace: "default", name: "c", object: { metadata: { name: "c" } }, user: { name: "u", groups: ["g"] }, dryRun: false },
  "uid-1",
  ["v1beta1", "v1"],
);
const reply = (response: Record<string, unknown>, over: Record<string, unknown> = {}) => ({ apiVersion: sent.apiVersion, kind: "AdmissionReview", response: { uid: "uid-1", ...response }, ...over });

test("the review is in the first version the webhook accepts, without empty fields", () => {
  expect(sent).toMatchObject({ apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", request: { uid: "uid-1", name: "c", namespace: "default", userInfo: { username: "u", groups: ["g"] }, oldObject: null } });
  expect((sent.request as Record<string, unknown>).subResource).toBeUndefined();
});

describe("admissionResult refuses what upstream refuses", () => {
  test.each([
    ["another kind", reply({ allowed: true }, { kind: "Pod" }), false, "expected webhook response of admission.k8s.io/v1beta1, Kind=AdmissionReview"],
    ["no response", { apiVersion: sent.apiVersion, kind: "AdmissionReview" }, false, "webhook response was absent"],
    ["another uid", reply({ allowed: true, uid: "x" }), false, 'expected response.uid="uid-1", got "x"'],
    ["no allowed", reply({}), false, "response.allowed must be a boolean"],
    ["a validating patch", reply({ allowed: true, patchType: "JSONPatch", patch: "W10=" }), false, "validating webhook may not return response.patch or response.patchType"],
    ["a patch without its type", reply({ allowed: true, patch: "W10=" }), true, "webhook returned response.patch but not response.patchType"],
    ["a merge patch", reply({ allowed: true, patchType: "MergePatch", patch: "e30=" }), true, 'invalid response.patchType of "MergePatch"'],
    ["a patch that is not base64 JSON", reply({ allowed: true, patchType: "JSONPatch", patch: "!!!" }), true, "response.patch is not base64-encoded JSON"],
    ["a string", "allowed", false, "Kind=AdmissionReview, got string"],
  ])("%s", (_, answer, mutating, message) => {
    expect(() => admissionResult(sent, answer, mutating)).toThrow(CallError);
    expect(() => admissionResult(sent, answer, mutating)).toThrow(message);
  });

  test("a mutating answer decodes its patch, warnings and audit annotations", () => {
    const r = admissionResult(sent, reply({ allowed: true, patchType: "JSONPatch", patch: Buffer.from('[{"op":"add","path":"/a","value":1}]').toString("base64"), warnings: ["w"], auditAnnotations: { k: "v" } }), true);
    expect(r).toEqual({ allowed: true, patch: [{ op: "add", path: "/a", value: 1 }], warnings: ["w"], auditAnnotations: { k: "v" } });
  });
});

test.each([
  [{ code: 403, message: "no" }, 403, 'admission webhook "w.example.com" denied the request: no'],
  [{ reason: "Forbidden" }, 400, 'admission webhook "w.example.com" denied the request: Forbidden'],
  [undefined, 400, 'admission webhook "w.example.com" denied the request without explanation'],
  [{ code: 200, message: "ok?" }, 400, 'admission webhook "w.example.com" denied the request: ok?'],
])("a refusal %j is answered as upstream's ToStatusErr words it", (status, code, message) => {
  const err = deniedError("w.example.com", status);
  expect(err.status).toMatchObject({ kind: "Status", status: "Failure", code, message });
});
