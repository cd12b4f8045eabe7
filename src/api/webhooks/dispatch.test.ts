// The dispatchers with a stub client (no HTTP here; test/webhooks.test.ts calls real webhooks):
// dry run against side effects, Ignore's failed-open annotation, reinvocation's bookkeeping.
import { expect, test } from "bun:test";
import { findResource } from "../../apis/registry.ts";
import type { KubeObject } from "../../apis/meta.ts";
import type { Webhook } from "../../apis/admissionregistration/webhook.ts";
import type { AdmissionAttributes } from "./attributes.ts";
import { CallError, type WebhookClient } from "./client.ts";
import type { ConfiguredWebhook } from "./config-cache.ts";
import { mutate, validate, type DispatchDeps } from "./dispatch.ts";

const CONFIGMAPS = findResource("", "v1", "configmaps")!;
const attrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: "CREATE",
  resource: CONFIGMAPS,
  subresource: "",
  kind: { group: "", version: "v1", kind: "ConfigMap" },
  namespace: "default",
  name: "c",
  user: undefined,
  dryRun: false,
  ...over,
});
const hook = (name: string, over: Partial<Webhook> = {}): ConfiguredWebhook => ({
  configuration: "cfg",
  hook: {
    name,
    clientConfig: { url: `https://127.0.0.1/${name}` },
    rules: [{ operations: ["*"], apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps"] }],
    sideEffects: "None",
    failurePolicy: "Fail",
    admissionReviewVersions: ["v1"],
    ...over,
  },
});

/** A client that answers each webhook by name with `reply`, recording the calls. */
function stub(reply: (name: string, review: any) => Record<string, unknown> | Error): { deps: DispatchDeps; calls: string[] } {
  const calls: string[] = [];
  const client = {
    async post(h: Webhook, review: any) {
      calls.push(h.name);
      const r = reply(h.name, review);
      if (r instanceof Error) throw r;
      return { apiVersion: review.apiVersion, kind: "AdmissionReview", response: { uid: review.request.uid, ...r } };
    },
  } as unknown as WebhookClient;
  return { deps: { client, namespaceLabels: () => ({}) }, calls };
}

test("a dry run is refused by a webhook with side effects and reaches one without", async () => {
  const { deps, calls } = stub(() => ({ allowed: true }));
  const rec = { warnings: [] };
  await expect(validate([hook("some.example.com", { sideEffects: "Some" })], attrs({ dryRun: true }), deps, rec)).rejects.toThrow('admission webhook "some.example.com" does not support dry run');
  await validate([hook("none.example.com", { sideEffects: "NoneOnDryRun" })], attrs({ dryRun: true }), deps, rec);
  expect(calls).toEqual(["none.example.com"]);
});

test("under Ignore a failed call passes and is recorded as failed open", async () => {
  const { deps } = stub(() => new CallError("failed to call webhook: boom"));
  const annotations: Record<string, string> = {};
  const rec = { warnings: [], annotate: (k: string, v: string) => void (annotations[k] = v) };
  await validate([hook("b.example.com", { failurePolicy: "Ignore" })], attrs(), deps, rec);
  expect(annotations).toEqual({ "failed-open.validating.webhook.admission.k8s.io/round_0_index_0": "b.example.com" });
  await expect(validate([hook("a.example.com")], attrs(), deps, rec)).rejects.toThrow('Internal error occurred: failed calling webhook "a.example.com": failed to call webhook: boom');
});

test("IfNeeded webhooks are called again once, only when a later webhook changed the object", async () => {
  const labelPatch = Buffer.from(JSON.stringify([{ op: "add", path: "/metadata/labels", value: { b: "1" } }])).toString("base64");
  const { deps, calls } = stub((name, review) =>
    name === "b.example.com" && !review.request.object.metadata.labels ? { allowed: true, patchType: "JSONPatch", patch: labelPatch } : { allowed: true },
  );
  const obj = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default" } } as KubeObject;
  const hooks = [hook("a.example.com", { reinvocationPolicy: "IfNeeded" }), hook("b.example.com", { reinvocationPolicy: "IfNeeded" }), hook("c.example.com")];
  expect(await mutate(hooks, attrs(), obj, deps, { warnings: [] })).toBe(true);
  // b changed the object after a: a again; b itself changed nothing afterwards: not again.
  expect(calls).toEqual(["a.example.com", "b.example.com", "c.example.com", "a.example.com"]);
  expect(obj.metadata.labels).toEqual({ b: "1" });
});
