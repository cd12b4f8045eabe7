// Admission webhook configurations as the webhook tests write them: one object per call, each
// webhook with upstream's required fields, its rules, and a client config by url (default: a
// path under `baseUrl`) or by Service, trusted through `caPem`.

export type WebhookKind = "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration";

export interface HookSpec {
  name: string;
  path?: string;
  url?: string;
  service?: Record<string, unknown>;
  caPem?: string;
  resources?: string[];
  operations?: string[];
  extra?: Record<string, unknown>;
}

const b64 = (pem: string) => Buffer.from(pem).toString("base64");

export function webhookConfiguration(kind: WebhookKind, name: string, specs: HookSpec[], defaults: { baseUrl: string; caPem: string }): string {
  const webhooks = specs.map((h) => ({
    name: h.name,
    admissionReviewVersions: ["v1"],
    sideEffects: "None",
    clientConfig: {
      ...(h.service ? { service: h.service } : { url: h.url ?? `${defaults.baseUrl}${h.path}` }),
      caBundle: b64(h.caPem ?? defaults.caPem),
    },
    rules: [{ operations: h.operations ?? ["CREATE", "UPDATE"], apiGroups: [""], apiVersions: ["v1"], resources: h.resources ?? ["configmaps"] }],
    ...h.extra,
  }));
  return JSON.stringify({ apiVersion: "admissionregistration.k8s.io/v1", kind, metadata: { name }, webhooks });
}
