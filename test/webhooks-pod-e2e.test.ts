// Admission webhooks served by a pod in the cluster, as the issue asks: a real agent with its own
// containerd runs the webhook test image (bun + a webhook script, test/helpers/webhook-image.ts);
// a Service selects the pod; the endpoints controller lists it; the API server resolves the
// Service to the pod's address and verifies the pod's certificate as webhook.default.svc.
// Stock kubectl then meets a validating webhook that refuses and a mutating one that labels.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createCA, issueCertificate, type KeyPairPem } from "../src/pki/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { buildWebhookImage, WEBHOOK_IMAGE } from "./helpers/webhook-image.ts";
import { buildTestImages } from "../scripts/build-test-images.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
let ca: KeyPairPem;

beforeAll(async () => {
  const webhookImages = await buildWebhookImage();
  const images = await buildTestImages();
  c = await startAgentCluster({
    nodeName: "wh-agent",
    logPort: 0,
    podCIDR: "10.214.16.0/24",
    imageDirs: [join(images.pause, ".."), webhookImages],
    serverOptions: { controllers: { clusterCIDR: "10.214.16.0/24" } },
  });
  ca = await createCA("webhook-pod-ca");
}, 300_000);

afterAll(async () => {
  await c?.close();
}, 120_000);

async function kubectl(args: string[], stdin?: string) {
  return c.server.kubectl(args, { stdin });
}

test("a validating webhook and a mutating webhook served by a pod through its Service", async () => {
  const serving = await issueCertificate(ca, { commonName: "webhook", hosts: ["webhook.default.svc"], usage: "server" });
  await c.createPod(
    "webhook",
    {
      containers: [
        {
          name: "webhook",
          image: WEBHOOK_IMAGE,
          env: [
            { name: "TLS_CERT", value: serving.cert },
            { name: "TLS_KEY", value: serving.key },
          ],
          ports: [{ name: "https", containerPort: 8443 }],
        },
      ],
    },
    { metadata: { name: "webhook", labels: { app: "webhook" } } },
  );
  const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "webhook" }, spec: { selector: { app: "webhook" }, ports: [{ name: "https", port: 443, targetPort: 8443 }] } };
  expect((await kubectl(["apply", "-f", "-"], JSON.stringify(svc))).code).toBe(0);
  // The pod runs and the endpoints controller lists its address.
  await waitFor(
    "the webhook pod's address in the Service's Endpoints",
    async () => {
      const r = await kubectl(["get", "endpoints", "webhook", "-o", "jsonpath={.subsets[0].addresses[0].ip}"]);
      return r.code === 0 && r.stdout.startsWith("10.214.16.");
    },
    { timeoutMs: 180_000, intervalMs: 500, detail: () => "" },
  );
  const hook = (name: string, path: string) => ({
    name,
    clientConfig: { service: { namespace: "default", name: "webhook", path }, caBundle: Buffer.from(ca.cert).toString("base64") },
    rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps"] }],
    sideEffects: "None",
    admissionReviewVersions: ["v1"],
    failurePolicy: "Fail",
  });
  const configs = [
    { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "pod-validate" }, webhooks: [hook("validate.pod.kubun.io", "/validate")] },
    { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", metadata: { name: "pod-mutate" }, webhooks: [hook("mutate.pod.kubun.io", "/mutate")] },
  ];
  expect((await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: configs }))).code).toBe(0);
  const ok = await kubectl(["create", "configmap", "from-pod", "--from-literal=a=b"]);
  expect(ok.stderr).toBe("");
  expect(ok.code).toBe(0);
  const labels = JSON.parse((await kubectl(["get", "configmap", "from-pod", "-o", "json"])).stdout).metadata.labels;
  expect(labels).toEqual({ "mutated-by": "pod" });
  const refused = await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "denied", labels: { deny: "true" } } }));
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('admission webhook "validate.pod.kubun.io" denied the request: refused by the webhook pod');
  // CONNECT: an exec the webhook allows waits for its answer, then streams as usual.
  const connect = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "pod-exec" }, webhooks: [{ ...hook("exec.pod.kubun.io", "/validate"), rules: [{ operations: ["CONNECT"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods/exec"] }] }] };
  expect((await kubectl(["apply", "-f", "-"], JSON.stringify(connect))).code).toBe(0);
  const exec = await kubectl(["exec", "webhook", "--", "/bin/bun", "--version"]);
  expect(exec.stderr).toBe("");
  expect(exec.stdout).toMatch(/^\d+\.\d+\.\d+/);
  // With the Service gone, Fail blocks and says why.
  expect((await kubectl(["delete", "service", "webhook"])).code).toBe(0);
  const blocked = await kubectl(["create", "configmap", "no-webhook", "--from-literal=a=b"]);
  expect(blocked.code).not.toBe(0);
  expect(blocked.stderr).toContain('failed calling webhook "mutate.pod.kubun.io": failed to call webhook: Post "https://webhook.default.svc:443/mutate?timeout=10s": service "webhook" not found');
}, 300_000);
