// Admission webhooks through stock kubectl against a real server: validation of the
// configurations (422 naming the field), a validating webhook that refuses (Fail) and a mutating
// one that adds a label, both served over HTTPS by this test process on loopback, reached by
// `url` and through a Service; unreachable, slow and wrongly-certified webhooks under Fail and
// Ignore; namespace and object selectors; subresource and DELETE rules; warnings, audit
// annotations, dry run and reinvocation.
//
// Here the webhooks are served over HTTPS by this test process (webhooks-pod-e2e.test.ts serves
// them from a pod). The Service's Endpoints point at 127.0.0.1, which the API refuses (as
// upstream does for loopback addresses), so the test writes that Endpoints object straight into
// the server's store.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCA, issueCertificate, type KeyPairPem } from "../src/pki/index.ts";
import { startTestServer, succeeded, type TestServer } from "./helpers/server.ts";
import { webhookConfiguration, type HookSpec, type WebhookKind } from "./helpers/webhook-configs.ts";

let s: TestServer;
let hooks: ReturnType<typeof Bun.serve>;
let ca: KeyPairPem;
let otherCA: KeyPairPem;
const dir = mkdtempSync(join(tmpdir(), "kubun-webhooks-test-"));
const logPath = join(dir, "audit.log");

type Review = { request: Record<string, any> };
const received: Record<string, Review[]> = {};
let slowRelease: (() => void) | undefined;

function answer(review: Review, response: Record<string, unknown>): Response {
  return Response.json({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: review.request.uid, ...response } });
}
const patch = (ops: unknown) => Buffer.from(JSON.stringify(ops)).toString("base64");

// What the test webhooks do, by path.
const HANDLERS: Record<string, (review: Review) => Response | Promise<Response>> = {
  "/validate": (review) => {
    const labels = review.request.object?.metadata?.labels ?? {};
    if (labels.deny === "true") return answer(review, { allowed: false, status: { code: 403, reason: "Forbidden", message: "label deny=true is not welcome here" } });
    return answer(review, { allowed: true, warnings: ["seen by the test webhook"], auditAnnotations: { decision: "allowed" } });
  },
  "/mutate": (review) => {
    const labels = review.request.object?.metadata?.labels;
    const ops = labels ? [{ op: "add", path: "/metadata/labels/mutated-by", value: "webhook" }] : [{ op: "add", path: "/metadata/labels", value: { "mutated-by": "webhook" } }];
    return answer(review, { allowed: true, patchType: "JSONPatch", patch: patch(ops) });
  },
  "/allow": (review) => answer(review, { allowed: true }),
  "/protect": (review) => answer(review, { allowed: review.request.oldObject?.metadata?.name !== "keep-me", status: { message: "this one stays" } }),
  "/no-exec": (review) => answer(review, { allowed: false, status: { code: 403, reason: "Forbidden", message: `no ${review.request.object?.command?.join(" ")} here` } }),
  "/privileged": (review) =>
    answer(review, { allowed: true, patchType: "JSONPatch", patch: patch([{ op: "add", path: "/spec/containers/0/securityContext", value: { privileged: true } }]) }),
  "/cap": (review) => answer(review, { allowed: true, patchType: "JSONPatch", patch: patch([{ op: "replace", path: "/spec/replicas", value: Math.min(review.request.object.spec.replicas, 2) }]) }),
  "/slow": async (review) => {
    await new Promise<void>((resolve) => {
      slowRelease = resolve;
      setTimeout(resolve, 5000);
    });
    return answer(review, { allowed: true });
  },
  "/bad-uid": (review) => answer({ request: { uid: "not-the-one" } }, { allowed: true }),
  "/bad-patch": (review) => answer(review, { allowed: true, patchType: "JSONPatch", patch: patch([{ op: "replace", path: "/metadata/name", value: "other" }]) }),
};

beforeAll(async () => {
  ca = await createCA("webhook-test-ca");
  otherCA = await createCA("someone-else");
  const serving = await issueCertificate(ca, { commonName: "webhook", hosts: ["127.0.0.1", "wh-svc.default.svc"], usage: "server" });
  hooks = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: serving.cert, key: serving.key },
    async fetch(req) {
      const url = new URL(req.url);
      const review = (await req.json()) as Review;
      (received[url.pathname] ??= []).push(review);
      const handler = HANDLERS[url.pathname];
      return handler ? handler(review) : new Response("no such webhook", { status: 404 });
    },
  });
  const policy = join(dir, "policy.yaml");
  writeFileSync(policy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: None\n    nonResourceURLs: ['/api*', '/openapi*', '/version']\n  - level: Metadata\n");
  s = await startTestServer({ audit: { logPath, policyFile: policy } });
});

afterAll(async () => {
  slowRelease?.();
  await s?.close();
  hooks?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** A configuration whose webhooks this process serves (by `path`) unless they name a url or service. */
const configuration = (kind: WebhookKind, name: string, specs: HookSpec[]) => webhookConfiguration(kind, name, specs, { baseUrl: `https://127.0.0.1:${hooks.port}`, caPem: ca.cert });

const ok = async (args: string[], stdin?: string) => succeeded(await s.kubectl(args, { stdin }), args);

async function fails(args: string[], stdin?: string): Promise<string> {
  const r = await s.kubectl(args, { stdin });
  expect(r.code).not.toBe(0);
  return r.stderr;
}

const withConfig = <T>(yaml: string, body: () => Promise<T>) => s.withApplied(yaml, body);

const labelsOf = async (kind: string, name: string, ns = "default") =>
  JSON.parse((await ok(["get", kind, name, "-n", ns, "-o", "json"])).stdout).metadata.labels ?? {};

test("a validating webhook refuses, with upstream's words, and passes the rest with its warnings", async () => {
  await withConfig(configuration("ValidatingWebhookConfiguration", "deny", [{ name: "deny.test.kubun.io", path: "/validate" }]), async () => {
    // `kubectl create configmap` has no --labels: apply an object with the label instead.
    const refused = await fails(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "refused", labels: { deny: "true" } } }));
    expect(refused).toContain('admission webhook "deny.test.kubun.io" denied the request: label deny=true is not welcome here');
    expect(refused).toContain("Error from server (Forbidden)");
    const created = await ok(["create", "configmap", "welcome", "--from-literal=a=b"]);
    expect(created.stderr).toContain("Warning: seen by the test webhook");
    const review = received["/validate"]!.at(-1)!.request;
    expect(review).toMatchObject({
      kind: { group: "", version: "v1", kind: "ConfigMap" },
      resource: { group: "", version: "v1", resource: "configmaps" },
      requestKind: { group: "", version: "v1", kind: "ConfigMap" },
      name: "welcome",
      namespace: "default",
      operation: "CREATE",
      userInfo: { username: "admin" },
      dryRun: false,
      oldObject: null,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    });
    expect(review.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(review.object.data).toEqual({ a: "b" });
    // An update carries the stored object as oldObject.
    await ok(["label", "configmap", "welcome", "x=y"]);
    const update = received["/validate"]!.at(-1)!.request;
    expect(update.operation).toBe("UPDATE");
    expect(update.oldObject.metadata.labels).toBeUndefined();
    expect(update.object.metadata.labels).toEqual({ x: "y" });
    expect(await s.kubectl(["get", "configmap", "refused"])).toMatchObject({ code: 1 });
    // Its audit annotation lands in the audit log as <webhook>/<key>.
    const events = readFileSync(logPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const create = events.find((e) => e.verb === "create" && e.objectRef?.name === "welcome");
    expect(create.annotations["deny.test.kubun.io/decision"]).toBe("allowed");
  });
});

test("a mutating webhook adds a label before validation; PodSecurity and validating webhooks see the mutated object", async () => {
  const mutating = configuration("MutatingWebhookConfiguration", "label", [{ name: "label.test.kubun.io", path: "/mutate" }]);
  const validating = configuration("ValidatingWebhookConfiguration", "check", [{ name: "check.test.kubun.io", path: "/allow" }]);
  await withConfig(mutating, () =>
    withConfig(validating, async () => {
      await ok(["create", "configmap", "plain", "--from-literal=a=b"]);
      expect(await labelsOf("configmap", "plain")).toEqual({ "mutated-by": "webhook" });
      expect(received["/allow"]!.at(-1)!.request.object.metadata.labels).toEqual({ "mutated-by": "webhook" });
      await ok(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "labelled", labels: { team: "a" } } }));
      expect(await labelsOf("configmap", "labelled")).toEqual({ team: "a", "mutated-by": "webhook" });
      // Server-side dry run reaches webhooks with dryRun true (sideEffects None) and stores nothing.
      await ok(["create", "configmap", "dry", "--dry-run=server", "--from-literal=a=b"]);
      expect(received["/mutate"]!.at(-1)!.request.dryRun).toBe(true);
      expect((await s.kubectl(["get", "configmap", "dry"])).code).toBe(1);
    }),
  );
});

test("what a mutating webhook changes is checked after it: PodSecurity refuses a pod the webhook made privileged", async () => {
  await ok(["create", "namespace", "baseline"]);
  await ok(["label", "namespace", "baseline", "pod-security.kubernetes.io/enforce=baseline"]);
  await withConfig(configuration("MutatingWebhookConfiguration", "escalate", [{ name: "escalate.test.kubun.io", path: "/privileged", resources: ["pods"], operations: ["CREATE"] }]), async () => {
    const err = await fails(["run", "p", "-n", "baseline", "--image=local/busybox:1"]);
    expect(err).toContain('violates PodSecurity "baseline:latest": privileged (container "p" must not set securityContext.privileged=true)');
  });
  await ok(["run", "p", "-n", "baseline", "--image=local/busybox:1"]);
});

test("an unreachable webhook blocks under Fail and says why; under Ignore the request passes", async () => {
  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = closed.port;
  closed.stop(true);
  const url = `https://127.0.0.1:${port}/gone`;
  await withConfig(configuration("ValidatingWebhookConfiguration", "gone", [{ name: "gone.test.kubun.io", url }]), async () => {
    const err = await fails(["create", "configmap", "blocked", "--from-literal=a=b"]);
    expect(err).toContain(`Internal error occurred: failed calling webhook "gone.test.kubun.io": failed to call webhook: Post "${url}?timeout=10s"`);
    expect(err).toContain("connection refused");
  });
  await withConfig(configuration("ValidatingWebhookConfiguration", "gone", [{ name: "gone.test.kubun.io", url, extra: { failurePolicy: "Ignore" } }]), async () => {
    await ok(["create", "configmap", "passed", "--from-literal=a=b"]);
  });
});

test("a webhook slower than its timeoutSeconds fails the call", async () => {
  await withConfig(configuration("ValidatingWebhookConfiguration", "slow", [{ name: "slow.test.kubun.io", path: "/slow", extra: { timeoutSeconds: 1 } }]), async () => {
    const err = await fails(["create", "configmap", "too-slow", "--from-literal=a=b"]);
    expect(err).toContain(`failed calling webhook "slow.test.kubun.io": failed to call webhook: Post "https://127.0.0.1:${hooks.port}/slow?timeout=1s": context deadline exceeded`);
    slowRelease?.();
  });
});

test("a serving certificate the caBundle does not vouch for fails TLS", async () => {
  await withConfig(configuration("ValidatingWebhookConfiguration", "wrong-ca", [{ name: "wrong-ca.test.kubun.io", path: "/allow", caPem: otherCA.cert }]), async () => {
    const err = await fails(["create", "configmap", "untrusted", "--from-literal=a=b"]);
    expect(err).toContain('failed calling webhook "wrong-ca.test.kubun.io"');
    expect(err).toMatch(/certificate|tls|TLS/);
  });
});

test("answers that are not valid AdmissionReviews or patches fail the call", async () => {
  await withConfig(configuration("ValidatingWebhookConfiguration", "bad-uid", [{ name: "bad-uid.test.kubun.io", path: "/bad-uid" }]), async () => {
    expect(await fails(["create", "configmap", "x1", "--from-literal=a=b"])).toContain("received invalid webhook response: expected response.uid=");
  });
  await withConfig(configuration("MutatingWebhookConfiguration", "bad-patch", [{ name: "bad-patch.test.kubun.io", path: "/bad-patch" }]), async () => {
    expect(await fails(["create", "configmap", "x2", "--from-literal=a=b"])).toContain('metadata.name: Forbidden: may not be changed by admission webhook "bad-patch.test.kubun.io"');
  });
});

test("namespaceSelector and objectSelector skip what they don't select", async () => {
  await ok(["create", "namespace", "guarded"]);
  await ok(["label", "namespace", "guarded", "webhooks=on"]);
  await ok(["create", "namespace", "open"]);
  const yaml = configuration("ValidatingWebhookConfiguration", "selective", [
    { name: "selective.test.kubun.io", path: "/validate", extra: { namespaceSelector: { matchLabels: { webhooks: "on" } }, objectSelector: { matchExpressions: [{ key: "skip", operator: "DoesNotExist" }] } } },
  ]);
  await withConfig(yaml, async () => {
    const cm = (ns: string, name: string, labels: Record<string, string>) => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels } });
    expect(await fails(["apply", "-f", "-"], cm("guarded", "a", { deny: "true" }))).toContain('admission webhook "selective.test.kubun.io" denied the request');
    await ok(["apply", "-f", "-"], cm("open", "b", { deny: "true" })); // namespace not selected
    await ok(["apply", "-f", "-"], cm("guarded", "c", { deny: "true", skip: "yes" })); // object not selected
  });
});

test("rules match subresources: pods/status sees status writes only", async () => {
  await ok(["run", "sub", "--image=local/busybox:1"]);
  const before = received["/validate"]?.length ?? 0;
  await withConfig(configuration("ValidatingWebhookConfiguration", "status", [{ name: "status.test.kubun.io", path: "/validate", resources: ["pods/status"], operations: ["UPDATE"] }]), async () => {
    await ok(["label", "pod", "sub", "a=b"]);
    expect(received["/validate"]?.length ?? 0).toBe(before);
    await ok(["patch", "pod", "sub", "--subresource=status", "--type=merge", "-p", '{"status":{"message":"hi"}}']);
    const review = received["/validate"]!.at(-1)!.request;
    expect(review).toMatchObject({ subResource: "status", requestSubResource: "status", kind: { kind: "Pod" }, resource: { resource: "pods" } });
  });
});

test("deployments/scale rules get Scale objects, and a mutating webhook's replicas are what is stored", async () => {
  await ok(["create", "deployment", "scaled", "--image=local/busybox:1", "--replicas=1"]);
  const yaml = configuration("MutatingWebhookConfiguration", "cap", [
    { name: "cap.test.kubun.io", path: "/cap", operations: ["UPDATE"], extra: { rules: [{ operations: ["UPDATE"], apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments/scale"] }] } },
  ]);
  await withConfig(yaml, async () => {
    await ok(["scale", "deployment", "scaled", "--replicas=5"]);
    const review = received["/cap"]!.at(-1)!.request;
    expect(review).toMatchObject({ kind: { group: "autoscaling", version: "v1", kind: "Scale" }, resource: { group: "apps", resource: "deployments" }, subResource: "scale" });
    expect(review.object).toMatchObject({ kind: "Scale", spec: { replicas: 5 } });
    expect(review.oldObject).toMatchObject({ kind: "Scale", spec: { replicas: 1 } });
    expect(JSON.parse((await ok(["get", "deployment", "scaled", "-o", "json"])).stdout).spec.replicas).toBe(2);
    // The main resource is not under a deployments/scale rule.
    const before = received["/cap"]!.length;
    await ok(["label", "deployment", "scaled", "a=b"]);
    expect(received["/cap"]!.length).toBe(before);
  });
});

test("DELETE rules see the object being deleted as oldObject", async () => {
  await ok(["create", "configmap", "keep-me", "--from-literal=a=b"]);
  await ok(["create", "configmap", "drop-me", "--from-literal=a=b"]);
  await withConfig(configuration("ValidatingWebhookConfiguration", "protect", [{ name: "protect.test.kubun.io", path: "/protect", operations: ["DELETE"] }]), async () => {
    expect(await fails(["delete", "configmap", "keep-me"])).toContain('admission webhook "protect.test.kubun.io" denied the request: this one stays');
    const mutating = configuration("MutatingWebhookConfiguration", "on-delete", [{ name: "on-delete.test.kubun.io", path: "/mutate", operations: ["DELETE"] }]);
    await withConfig(mutating, () => ok(["delete", "configmap", "drop-me"]));
    expect(received["/protect"]!.at(-1)!.request).toMatchObject({ operation: "DELETE", object: null, oldObject: { metadata: { name: "drop-me" } }, options: { kind: "DeleteOptions" } });
    expect(received["/mutate"]!.at(-1)!.request).toMatchObject({ operation: "DELETE", object: null, oldObject: { metadata: { name: "drop-me" } } });
  });
  await ok(["get", "configmap", "keep-me"]);
});

test("CONNECT rules see pods/exec with its PodExecOptions, before the stream is set up", async () => {
  await withConfig(configuration("ValidatingWebhookConfiguration", "no-exec", [{ name: "no-exec.test.kubun.io", path: "/no-exec", resources: ["pods/exec"], operations: ["CONNECT"] }]), async () => {
    const err = await fails(["exec", "sub", "--", "ls", "/"]);
    expect(err).toContain('admission webhook "no-exec.test.kubun.io" denied the request: no ls / here');
    expect(received["/no-exec"]!.at(-1)!.request).toMatchObject({
      operation: "CONNECT",
      subResource: "exec",
      kind: { group: "", version: "v1", kind: "PodExecOptions" },
      object: { kind: "PodExecOptions", command: ["ls", "/"], stdout: true },
      oldObject: null,
    });
  });
  // Without the webhook the request goes on to the stream (which, with no agent here, has no node to reach).
  expect(await fails(["exec", "sub", "--", "ls", "/"])).toContain("does not have a host assigned");
});

test("a webhook reached through its Service: the Service's endpoint, verified as <service>.<namespace>.svc", async () => {
  await ok(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "wh-svc" }, spec: { ports: [{ name: "https", port: 443, targetPort: hooks.port }] } }));
  // Written to the store directly: the API refuses loopback endpoint addresses, as upstream does.
  await s.store.create("/core/endpoints/default/wh-svc", {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "wh-svc", namespace: "default", uid: crypto.randomUUID(), creationTimestamp: new Date().toISOString() },
    subsets: [{ addresses: [{ ip: "127.0.0.1" }], ports: [{ name: "https", port: hooks.port, protocol: "TCP" }] }],
  } as never);
  const service = { namespace: "default", name: "wh-svc", path: "/mutate" };
  await withConfig(configuration("MutatingWebhookConfiguration", "by-service", [{ name: "svc.test.kubun.io", service }]), async () => {
    await ok(["create", "configmap", "via-service", "--from-literal=a=b"]);
    expect(await labelsOf("configmap", "via-service")).toEqual({ "mutated-by": "webhook" });
  });
  // A port the Service doesn't have: the call fails, naming the service.
  await withConfig(configuration("MutatingWebhookConfiguration", "by-service", [{ name: "svc.test.kubun.io", service: { ...service, port: 8443 } }]), async () => {
    expect(await fails(["create", "configmap", "no-port", "--from-literal=a=b"])).toContain('Post "https://wh-svc.default.svc:8443/mutate?timeout=10s": no service port 8443 found for service "wh-svc"');
  });
});

test("reinvocationPolicy IfNeeded calls a webhook again after a later one changed the object", async () => {
  const before = received["/allow"]?.length ?? 0;
  const yaml = configuration("MutatingWebhookConfiguration", "reinvoke", [
    { name: "first.test.kubun.io", path: "/allow", extra: { reinvocationPolicy: "IfNeeded" } },
    { name: "second.test.kubun.io", path: "/mutate" },
  ]);
  await withConfig(yaml, async () => {
    await ok(["create", "configmap", "reinvoked", "--from-literal=a=b"]);
    const calls = received["/allow"]!.slice(before);
    expect(calls.length).toBe(2);
    expect(calls[1]!.request.object.metadata.labels).toEqual({ "mutated-by": "webhook" });
  });
});

test("matchConditions: a false condition skips the webhook, all true call it; it sees object, oldObject and request", async () => {
  const conditions = [
    { name: "not-skipped", expression: "!has(object.metadata.labels) || !('skip' in object.metadata.labels)" },
    { name: "by-admin", expression: "request.userInfo.username == 'admin' && request.operation in ['CREATE', 'UPDATE']" },
    { name: "changed", expression: "oldObject == null || oldObject.data != object.data" },
  ];
  const yaml = configuration("ValidatingWebhookConfiguration", "conditions", [{ name: "cond.test.kubun.io", path: "/validate", extra: { matchConditions: conditions } }]);
  await withConfig(yaml, async () => {
    received["/validate"] = [];
    const skipped = await s.kubectl(["create", "configmap", "mc-skipped", "--from-literal=a=1"], {});
    expect(skipped.code).toBe(0);
    await ok(["label", "configmap", "mc-skipped", "skip=yes", "deny=true"]); // would be refused if called
    expect(received["/validate"]!.map((r) => r.request.name)).toEqual(["mc-skipped"]); // the create only
    const denied = await fails(["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mc-denied", labels: { deny: "true" } } }));
    expect(denied).toContain('admission webhook "cond.test.kubun.io" denied the request: label deny=true is not welcome here');
  });
});

test("matchConditions that fail to evaluate: failurePolicy Fail refuses with upstream's error, Ignore skips the webhook", async () => {
  const erroring = [{ name: "reads-missing", expression: "object.data.missing == 'x'" }];
  const fail = configuration("ValidatingWebhookConfiguration", "cond-fail", [{ name: "cond-fail.test.kubun.io", path: "/allow", extra: { matchConditions: erroring, failurePolicy: "Fail" } }]);
  await withConfig(fail, async () => {
    const err = await fails(["create", "configmap", "mc-error", "--from-literal=a=1"]);
    expect(err).toContain(`configmaps "mc-error" is forbidden: failed calling webhook "cond-fail.test.kubun.io": expression 'object.data.missing == 'x'' resulted in error:`);
  });
  const ignore = configuration("ValidatingWebhookConfiguration", "cond-ignore", [{ name: "cond-ignore.test.kubun.io", path: "/validate", extra: { matchConditions: erroring, failurePolicy: "Ignore" } }]);
  await withConfig(ignore, async () => {
    received["/validate"] = [];
    await ok(["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mc-ignored", labels: { deny: "true" } }, data: { a: "1" } }));
    expect(received["/validate"]).toEqual([]);
  });
});
