// Admission webhook configurations through stock kubectl and client-node, none of them called:
// `kubectl get` with webhook counts, upstream's validation (422 naming the field), kubectl apply
// client-side and server-side (webhooks merge by name), explain, and client-node's typed API.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createCA, type KeyPairPem } from "../src/pki/index.ts";
import { startTestServer, succeeded, type TestServer } from "./helpers/server.ts";
import { webhookConfiguration, type HookSpec, type WebhookKind } from "./helpers/webhook-configs.ts";

let s: TestServer;
let ca: KeyPairPem;

beforeAll(async () => {
  ca = await createCA("webhook-config-test-ca");
  s = await startTestServer();
});

afterAll(async () => {
  await s?.close();
});

/** Nothing listens at this address: these configurations are written and read, never called. */
const configuration = (kind: WebhookKind, name: string, specs: HookSpec[]) => webhookConfiguration(kind, name, specs, { baseUrl: "https://127.0.0.1:1", caPem: ca.cert });

const ok = async (args: string[], stdin?: string) => succeeded(await s.kubectl(args, { stdin }), args);

const withConfig = <T>(yaml: string, body: () => Promise<T>) => s.withApplied(yaml, body);

test("kubectl get lists configurations with their webhook counts", async () => {
  await withConfig(configuration("ValidatingWebhookConfiguration", "two", [{ name: "a.test.kubun.io", path: "/allow" }, { name: "b.test.kubun.io", path: "/allow" }]), async () => {
    const out = (await ok(["get", "validatingwebhookconfigurations"])).stdout;
    expect(out).toMatch(/^NAME\s+WEBHOOKS\s+AGE\n/);
    expect(out).toMatch(/\ntwo\s+2\s+/);
  });
});

const BAD_CONFIGS: [string, Record<string, unknown>, string][] = [
  ["a name of fewer than three segments", { name: "short.name" }, "webhooks[0].name: Invalid value"],
  ["a matchCondition that does not compile", { matchConditions: [{ name: "x", expression: "object.metadata.name ==" }] }, "webhooks[0].matchConditions[0].expression: Invalid value: \"object.metadata.name ==\": compilation failed: "],
  ["a matchCondition reading an undeclared variable", { matchConditions: [{ name: "x", expression: "params.x == 1" }] }, "undeclared reference to 'params' (in container '')"],
  ["a matchCondition reading authorizer", { matchConditions: [{ name: "x", expression: "authorizer.group('').resource('pods').check('get').allowed()" }] }, "the `authorizer` variable is not supported by kubun"],
  ["duplicate matchCondition names", { matchConditions: [{ name: "x", expression: "true" }, { name: "x", expression: "false" }] }, 'webhooks[0].matchConditions[1].name: Duplicate value: "x"'],
  ["a matchCondition without a name", { matchConditions: [{ expression: "true" }] }, "webhooks[0].matchConditions[0].name: Required value"],
  ["65 matchConditions", { matchConditions: Array.from({ length: 65 }, (_, i) => ({ name: `c${i}`, expression: "true" })) }, "webhooks[0].matchConditions: Too many: 65: must have at most 64 items"],
  ["nested comprehensions in a matchCondition", { matchConditions: [{ name: "x", expression: "object.data.all(k, object.data.exists(j, j == k))" }] }, "estimated rule cost exceeds budget"],
  ["an http url", { clientConfig: { url: "http://127.0.0.1/x" } }, "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme"],
  ["both url and service", { clientConfig: { url: "https://a/x", service: { namespace: "a", name: "b" } } }, "webhooks[0].clientConfig: Required value: exactly one of url or service is required"],
  ["sideEffects Some", { sideEffects: "Some" }, 'webhooks[0].sideEffects: Unsupported value: "Some"'],
  ["no sideEffects", { sideEffects: null }, "webhooks[0].sideEffects: Required value"],
  ["a timeout of 31 s", { timeoutSeconds: 31 }, "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"],
  ["failurePolicy Maybe", { failurePolicy: "Maybe" }, 'webhooks[0].failurePolicy: Unsupported value: "Maybe"'],
  ["'*' with other operations", { rules: [{ operations: ["*", "CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }] }, "webhooks[0].rules[0].operations: Invalid value"],
  ["'*/*' with other resources", { rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["*/*", "pods"] }] }, "if '*/*' is present, must not specify other resources"],
  ["a scope of Galaxy", { rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Galaxy" }] }, 'webhooks[0].rules[0].scope: Unsupported value: "Galaxy"'],
  ["no admissionReviewVersions", { admissionReviewVersions: [] }, "webhooks[0].admissionReviewVersions: Required value"],
  ["only unknown review versions", { admissionReviewVersions: ["v2"] }, "must include at least one of v1, v1beta1"],
  ["a service path without a leading slash", { clientConfig: { service: { namespace: "a", name: "b", path: "x" } } }, "webhooks[0].clientConfig.service.path: Invalid value: \"x\": must start with a '/'"],
  ["a bad namespaceSelector", { namespaceSelector: { matchExpressions: [{ key: "a", operator: "Near" }] } }, "webhooks[0].namespaceSelector.matchExpressions[0].operator: Invalid value"],
];

test.each(BAD_CONFIGS)("a configuration with %s is refused with 422 naming the field", async (_, override, message) => {
  const cfg = JSON.parse(configuration("ValidatingWebhookConfiguration", "bad", [{ name: "bad.test.kubun.io", path: "/allow" }]));
  const hook = cfg.webhooks[0];
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete hook[k];
    else hook[k] = k === "clientConfig" ? { ...(v as object) } : v;
  }
  const res = await s.api("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", { method: "POST", body: JSON.stringify(cfg), headers: { "content-type": "application/json" } });
  const status = (await res.json()) as { code: number; reason: string; message: string };
  expect(res.status).toBe(422);
  expect(status.reason).toBe("Invalid");
  expect(status.message).toContain(message);
});

test("a mutating configuration duplicates no names and takes only Never or IfNeeded", async () => {
  const cfg = JSON.parse(configuration("MutatingWebhookConfiguration", "dup", [{ name: "same.test.kubun.io", path: "/allow" }, { name: "same.test.kubun.io", path: "/allow", extra: { reinvocationPolicy: "Sometimes" } }]));
  const res = await s.api("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", { method: "POST", body: JSON.stringify(cfg), headers: { "content-type": "application/json" } });
  const status = (await res.json()) as { message: string };
  expect(res.status).toBe(422);
  expect(status.message).toContain('webhooks[1].name: Duplicate value: "same.test.kubun.io"');
  expect(status.message).toContain('webhooks[1].reinvocationPolicy: Unsupported value: "Sometimes"');
});

test("kubectl apply updates a configuration by webhook name, client-side and server-side; explain knows the kind", async () => {
  const two = configuration("ValidatingWebhookConfiguration", "applied", [{ name: "a.test.kubun.io", path: "/allow" }, { name: "b.test.kubun.io", path: "/allow" }]);
  await ok(["apply", "-f", "-"], two);
  const changed = JSON.parse(two);
  changed.webhooks = [{ ...changed.webhooks[1], timeoutSeconds: 3 }];
  await ok(["apply", "-f", "-"], JSON.stringify(changed));
  const get = async () => JSON.parse((await ok(["get", "validatingwebhookconfiguration", "applied", "-o", "json"])).stdout);
  expect((await get()).webhooks.map((w: any) => [w.name, w.timeoutSeconds])).toEqual([["b.test.kubun.io", 3]]);
  changed.webhooks[0].failurePolicy = "Ignore";
  await ok(["apply", "--server-side", "--force-conflicts", "-f", "-"], JSON.stringify(changed));
  expect((await get()).webhooks[0]).toMatchObject({ name: "b.test.kubun.io", timeoutSeconds: 3, failurePolicy: "Ignore" });
  await ok(["delete", "validatingwebhookconfiguration", "applied"]);
  const explained = (await ok(["explain", "validatingwebhookconfiguration.webhooks.failurePolicy"])).stdout;
  expect(explained).toContain("KIND:       ValidatingWebhookConfiguration");
  expect(explained).toContain("FIELD: failurePolicy <string>");
});

test("client-node's AdmissionregistrationV1Api creates, lists and deletes configurations and gets kubun's 422", async () => {
  const proc = Bun.spawn(["node", "test/client-node/webhooks.mjs"], { env: { ...process.env, KUBECONFIG: s.kubeconfigPath, HOME: s.tmp }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  const out = JSON.parse(stdout.trim().split("\n").pop()!);
  expect(out.defaults).toEqual({ failurePolicy: "Fail", timeoutSeconds: 10, reinvocationPolicy: "Never" });
  expect(out.listed).toContain("cn");
  expect(out.refusedCode).toBe(422);
  expect(out.refusedBody).toContain("webhooks[0].matchConditions[0].expression: Invalid value: \"nosuch == 1\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'nosuch' (in container '')");
});
