// admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration and MutatingWebhookConfiguration:
// types, defaults (as upstream's SetDefaults_*) and `kubectl get` columns. Validation is beside
// (validation.ts); the API server's dispatcher (src/api/webhooks/) reads these types.
import type { KubeObject } from "../meta.ts";
import type { LabelSelector } from "../selector.ts";
import { type Printer, age, column } from "../table.ts";
import type { MatchCondition } from "./match-conditions.ts";

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT" | "*";

export interface RuleWithOperations {
  operations?: Operation[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: "Cluster" | "Namespaced" | "*";
}

export interface ServiceReference {
  namespace: string;
  name: string;
  path?: string;
  port?: number;
}

export interface WebhookClientConfig {
  url?: string;
  service?: ServiceReference;
  /** base64 of PEM certificates that verify the webhook's serving certificate. */
  caBundle?: string;
}

export interface Webhook {
  name: string;
  clientConfig: WebhookClientConfig;
  rules?: RuleWithOperations[];
  failurePolicy?: "Ignore" | "Fail";
  matchPolicy?: "Exact" | "Equivalent";
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  sideEffects?: "None" | "NoneOnDryRun" | "Some" | "Unknown";
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  matchConditions?: MatchCondition[];
  /** Mutating webhooks only. */
  reinvocationPolicy?: "Never" | "IfNeeded";
}

export interface WebhookConfiguration extends KubeObject {
  webhooks?: Webhook[];
}

export const VALIDATING = "ValidatingWebhookConfiguration";
export const MUTATING = "MutatingWebhookConfiguration";
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** Upstream's defaults for v1 (pkg/apis/admissionregistration/v1/defaults.go). */
export function defaultWebhookConfiguration(cfg: WebhookConfiguration, mutating: boolean): void {
  if (!Array.isArray(cfg.webhooks)) return;
  for (const w of cfg.webhooks) {
    if (typeof w !== "object" || w === null) continue;
    w.failurePolicy ??= "Fail";
    w.matchPolicy ??= "Equivalent";
    w.namespaceSelector ??= {};
    w.objectSelector ??= {};
    w.timeoutSeconds ??= DEFAULT_TIMEOUT_SECONDS;
    if (mutating) w.reinvocationPolicy ??= "Never";
    if (Array.isArray(w.rules)) for (const r of w.rules) if (typeof r === "object" && r !== null) r.scope ??= "*";
    const svc = w.clientConfig?.service;
    if (typeof svc === "object" && svc !== null) svc.port ??= 443;
  }
}

/** `kubectl get validatingwebhookconfigurations`: NAME WEBHOOKS AGE, as upstream's printer. */
export const webhookConfigurationPrinter: Printer<WebhookConfiguration> = {
  columns: [column("Name"), column("Webhooks", "Webhooks indicates the number of webhooks in this configuration.", { type: "integer" }), column("Age")],
  cells: (cfg, now) => [cfg.metadata.name ?? "", cfg.webhooks?.length ?? 0, age(cfg, now)],
};
