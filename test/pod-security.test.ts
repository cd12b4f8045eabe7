// Pod Security admission through stock kubectl against a real server: enforce refuses with
// upstream's message, warn makes kubectl print the Warning, templates only warn, labels are
// validated, and a stricter enforce label warns about the pods already running.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({
    podSecurity: { defaults: { enforce: "privileged", audit: "privileged", warn: "privileged" }, exemptions: { usernames: [], namespaces: ["exempt"], runtimeClasses: [] } },
  });
});
afterAll(() => s.close());

const RESTRICTED_VIOLATIONS =
  'allowPrivilegeEscalation != false (container "x" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "x" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "x" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "x" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

test("enforce=restricted refuses kubectl run with upstream's message; a compliant pod is created", async () => {
  expect((await s.kubectl(["create", "namespace", "locked"])).code).toBe(0);
  expect((await s.kubectl(["label", "ns", "locked", "pod-security.kubernetes.io/enforce=restricted"])).code).toBe(0);
  const run = await s.kubectl(["-n", "locked", "run", "x", "--image=local/busybox:1"]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain(`Error from server (Forbidden): pods "x" is forbidden: violates PodSecurity "restricted:latest": ${RESTRICTED_VIOLATIONS}`);
  const good = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "good" },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{ name: "c", image: "local/busybox:1", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
    },
  };
  const created = await s.kubectl(["-n", "locked", "create", "-f", "-"], { stdin: JSON.stringify(good) });
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
});

test("warn=restricted creates the pod and kubectl prints the warning; baseline enforce still refuses hostPath", async () => {
  await s.kubectl(["create", "namespace", "warned"]);
  await s.kubectl(["label", "ns", "warned", "pod-security.kubernetes.io/warn=restricted", "pod-security.kubernetes.io/enforce=baseline"]);
  const run = await s.kubectl(["-n", "warned", "run", "x", "--image=local/busybox:1"]);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain(`Warning: would violate PodSecurity "restricted:latest": ${RESTRICTED_VIOLATIONS}`);
  const hostPath = { apiVersion: "v1", kind: "Pod", metadata: { name: "hp" }, spec: { volumes: [{ name: "root", hostPath: { path: "/" } }], containers: [{ name: "c", image: "local/busybox:1" }] } };
  const refused = await s.kubectl(["-n", "warned", "create", "-f", "-"], { stdin: JSON.stringify(hostPath) });
  expect(refused.stderr).toContain('pods "hp" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "root")');
});

test("workload templates are warned about, never refused", async () => {
  await s.kubectl(["create", "namespace", "tmpl"]);
  await s.kubectl(["label", "ns", "tmpl", "pod-security.kubernetes.io/enforce=restricted", "pod-security.kubernetes.io/warn=restricted"]);
  const dep = await s.kubectl(["-n", "tmpl", "create", "deployment", "web", "--image=local/busybox:1"]);
  expect(dep.code).toBe(0);
  expect(dep.stderr).toContain('Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "busybox" must set');
});

test("exempt namespaces are not checked", async () => {
  await s.kubectl(["create", "namespace", "exempt"]);
  await s.kubectl(["label", "ns", "exempt", "pod-security.kubernetes.io/enforce=restricted"]);
  expect((await s.kubectl(["-n", "exempt", "run", "x", "--image=local/busybox:1"])).code).toBe(0);
});

test("labels are validated (422) and a stricter enforce level warns about existing pods", async () => {
  await s.kubectl(["create", "namespace", "open"]);
  const bad = await s.kubectl(["label", "ns", "open", "pod-security.kubernetes.io/enforce=strict"]);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('metadata.labels[pod-security.kubernetes.io/enforce]: Unsupported value: "strict"');
  const version = await s.api("/api/v1/namespaces/open", {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json" },
    body: JSON.stringify({ metadata: { labels: { "pod-security.kubernetes.io/enforce-version": "v1.29" } } }),
  });
  expect(version.status).toBe(422);
  expect((await s.kubectl(["-n", "open", "run", "old", "--image=local/busybox:1"])).code).toBe(0);
  const tighten = await s.kubectl(["label", "ns", "open", "pod-security.kubernetes.io/enforce=restricted"]);
  expect(tighten.code).toBe(0);
  expect(tighten.stderr).toContain('Warning: existing pods in namespace "open" violate the new PodSecurity enforce level "restricted:latest"');
  expect(tighten.stderr).toContain("Warning: old: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile");
});
