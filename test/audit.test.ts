// The audit log as kube-apiserver writes it, read back line by line after stock kubectl runs:
// who did what to which object with what outcome, at the level the policy gives each request.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { waitFor } from "./helpers/wait.ts";

let s: TestServer;
const dir = mkdtempSync(join(tmpdir(), "kubun-audit-test-"));
const logPath = join(dir, "audit.log");

type AuditEvent = Record<string, any>;
const events = (): AuditEvent[] =>
  readFileSync(logPath, "utf8")
    .trimEnd()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const about = (name: string) => events().filter((e) => e.objectRef?.name === name);

beforeAll(async () => {
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/api*", "/openapi*", "/version"]
  - level: Metadata
    resources: [{ group: "", resources: ["secrets"] }]
  - level: RequestResponse
    resources: [{ group: "", resources: ["configmaps"] }]
  - level: Metadata
`,
  );
  s = await startTestServer({ audit: { logPath, policyFile: policy } });
});

afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a Secret's create is logged at Metadata, without its data", async () => {
  expect((await s.kubectl(["create", "secret", "generic", "db", "--from-literal=password=hunter2"])).code).toBe(0);
  const [e, ...more] = about("db");
  expect(more).toEqual([]);
  expect(e).toMatchObject({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Metadata",
    stage: "ResponseComplete",
    verb: "create",
    requestURI: "/api/v1/namespaces/default/secrets?fieldManager=kubectl-create&fieldValidation=Strict",
    user: { username: "admin", groups: ["system:masters", "system:authenticated"] },
    sourceIPs: ["127.0.0.1"],
    objectRef: { resource: "secrets", namespace: "default", name: "db", apiVersion: "v1" },
    responseStatus: { metadata: {}, code: 201 },
    annotations: { "authorization.k8s.io/decision": "allow" },
  });
  expect(e!.userAgent).toStartWith("kubectl/");
  expect(e!.auditID).toMatch(/^[0-9a-f-]{36}$/);
  expect(e!.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const text = readFileSync(logPath, "utf8");
  expect(text).not.toContain("hunter2");
  expect(text).not.toContain(Buffer.from("hunter2").toString("base64"));
});

test("a ConfigMap's write is logged with its request and response objects", async () => {
  expect((await s.kubectl(["create", "configmap", "settings", "--from-literal=mode=fast"])).code).toBe(0);
  const e = about("settings").find((x) => x.verb === "create")!;
  expect(e.level).toBe("RequestResponse");
  expect(e.requestObject).toMatchObject({ kind: "ConfigMap", data: { mode: "fast" } }); // decoded from kubectl's protobuf
  expect(e.responseObject).toMatchObject({ kind: "ConfigMap", metadata: { name: "settings", uid: expect.any(String) }, data: { mode: "fast" } });
});

test("a refused impersonated request names both users and the refusal", async () => {
  const r = await s.kubectl(["get", "pods", "--as=bob", "--as-group=devs"]);
  expect(r.code).not.toBe(0);
  const e = events().find((x) => x.impersonatedUser?.username === "bob" && x.objectRef?.resource === "pods")!;
  expect(e.user.username).toBe("admin");
  expect(e.impersonatedUser).toEqual({ username: "bob", groups: ["devs", "system:authenticated"] });
  expect(e.responseStatus).toMatchObject({ status: "Failure", reason: "Forbidden", code: 403 });
  expect(e.annotations["authorization.k8s.io/decision"]).toBe("forbid");
});

test("a watch is logged when it starts and when it ends; excluded paths are not logged", async () => {
  const res = await s.api("/api/v1/namespaces/default/services?watch=1&timeoutSeconds=1");
  await res.text(); // the server ends it after a second
  const watch = () => events().filter((e) => e.verb === "watch" && e.objectRef?.resource === "services");
  await waitFor("the watch's ResponseComplete", async () => watch().some((e) => e.stage === "ResponseComplete"));
  expect(watch().map((e) => e.stage)).toEqual(["ResponseStarted", "ResponseComplete"]);
  expect(events().some((e) => e.requestURI === "/api" || e.requestURI?.startsWith("/openapi"))).toBe(false);
  expect(events().some((e) => e.stage === "RequestReceived")).toBe(false); // omitted by the policy
});

test("a pod the namespace's Pod Security audit level would refuse carries the audit-violations annotation", async () => {
  expect((await s.kubectl(["create", "namespace", "audited"])).code).toBe(0);
  expect((await s.kubectl(["label", "namespace", "audited", "pod-security.kubernetes.io/audit=restricted"])).code).toBe(0);
  expect((await s.kubectl(["run", "loose", "-n", "audited", "--image=local/busybox:1"])).code).toBe(0); // audit never refuses
  const e = events().find((x) => x.objectRef?.resource === "pods" && x.objectRef?.name === "loose" && x.verb === "create")!;
  expect(e.annotations["pod-security.kubernetes.io/audit-violations"]).toStartWith('would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false');
  const compliant = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "tight", namespace: "audited" },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{ name: "c", image: "local/busybox:1", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
    },
  };
  expect((await s.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(compliant) })).code).toBe(0);
  const ok = events().find((x) => x.objectRef?.name === "tight" && x.verb === "create")!;
  expect(ok.annotations?.["pod-security.kubernetes.io/audit-violations"]).toBeUndefined();
});

test("a request refused for its credentials is logged once, saying which were tried", async () => {
  const wrong = await s.api("/api/v1/namespaces/default/pods/refused-wrong", { token: "not-a-token" });
  const none = await s.api("/api/v1/namespaces/default/pods/refused-none", { token: null });
  expect([wrong.status, none.status]).toEqual([401, 401]);
  await waitFor("the refusals in the audit log", async () => about("refused-wrong").length > 0 && about("refused-none").length > 0);
  const [w, ...moreW] = about("refused-wrong");
  expect(moreW).toEqual([]);
  expect(w).toMatchObject({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Metadata",
    stage: "ResponseStarted",
    verb: "get",
    user: {},
    objectRef: { resource: "pods", namespace: "default", name: "refused-wrong", apiVersion: "v1" },
    responseStatus: { metadata: {}, message: "Authentication failed, attempted: bearer", code: 401 },
  });
  expect(about("refused-none")[0]?.responseStatus).toEqual({ metadata: {}, message: "Authentication failed, no credentials provided", code: 401 });
});
