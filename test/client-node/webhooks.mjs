// Runs under Node.js against the server named by KUBECONFIG: client-node's
// AdmissionregistrationV1Api creates, reads and lists webhook configurations and gets the 422
// for one kubun refuses. Prints one JSON line for test/webhooks.test.ts to check.
import { AdmissionregistrationV1Api, KubeConfig } from "@kubernetes/client-node";

const kc = new KubeConfig();
kc.loadFromDefault();
const api = kc.makeApiClient(AdmissionregistrationV1Api);
const hook = {
  name: "cn.test.kubun.io",
  clientConfig: { url: "https://127.0.0.1:1/never" },
  rules: [{ operations: ["CREATE"], apiGroups: ["example.com"], apiVersions: ["v1"], resources: ["widgets"] }],
  sideEffects: "None",
  admissionReviewVersions: ["v1"],
};
const out = {};
const created = await api.createMutatingWebhookConfiguration({ body: { metadata: { name: "cn" }, webhooks: [hook] } });
out.defaults = created.webhooks?.[0] && {
  failurePolicy: created.webhooks[0].failurePolicy,
  timeoutSeconds: created.webhooks[0].timeoutSeconds,
  reinvocationPolicy: created.webhooks[0].reinvocationPolicy,
};
out.listed = (await api.listMutatingWebhookConfiguration()).items.map((i) => i.metadata?.name);
await api.deleteMutatingWebhookConfiguration({ name: "cn" });
try {
  await api.createValidatingWebhookConfiguration({ body: { metadata: { name: "cel" }, webhooks: [{ ...hook, matchConditions: [{ name: "m", expression: "nosuch == 1" }] }] } });
} catch (err) {
  out.refusedCode = err.code;
  out.refusedBody = JSON.parse(err.body).message;
}
console.log(JSON.stringify(out));
