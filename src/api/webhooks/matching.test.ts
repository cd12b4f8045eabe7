import { describe, expect, test } from "bun:test";
import { findResource } from "../../apis/registry.ts";
import type { RuleWithOperations, Webhook } from "../../apis/admissionregistration/webhook.ts";
import type { AdmissionAttributes } from "./attributes.ts";
import { NamespaceNotFound, ruleMatches, webhookMatches } from "./matching.ts";

const PODS = findResource("", "v1", "pods")!;
const NODES = findResource("", "v1", "nodes")!;
const NAMESPACES = findResource("", "v1", "namespaces")!;
const DEPLOYMENTS = findResource("apps", "v1", "deployments")!;
const VWC = findResource("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations")!;

function attrs(over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  const resource = over.resource ?? PODS;
  return {
    operation: "CREATE",
    resource,
    subresource: "",
    kind: { group: resource.group, version: resource.version, kind: resource.kind },
    namespace: resource.namespaced ? "default" : "",
    name: "x",
    object: { metadata: { name: "x", labels: { app: "web" } } },
    user: undefined,
    dryRun: false,
    ...over,
  };
}

const rule = (resources: string[], over: Partial<RuleWithOperations> = {}): RuleWithOperations => ({
  operations: ["CREATE", "UPDATE"],
  apiGroups: ["", "apps"],
  apiVersions: ["v1"],
  resources,
  ...over,
});

describe("ruleMatches", () => {
  test.each([
    ["pods matches the main resource", rule(["pods"]), attrs(), true],
    ["pods does not match pods/status", rule(["pods"]), attrs({ subresource: "status", operation: "UPDATE" }), false],
    ["pods/status matches a status write", rule(["pods/status"]), attrs({ subresource: "status", operation: "UPDATE" }), true],
    ["pods/status does not match the main resource", rule(["pods/status"]), attrs(), false],
    ["*/status matches every status", rule(["*/status"]), attrs({ resource: DEPLOYMENTS, subresource: "status", operation: "UPDATE" }), true],
    ["pods/* matches the main resource too", rule(["pods/*"]), attrs(), true],
    ["* matches no subresource", rule(["*"]), attrs({ subresource: "status", operation: "UPDATE" }), false],
    ["*/* matches everything", rule(["*/*"]), attrs({ subresource: "exec", operation: "CONNECT" }), false],
    ["*/* with CONNECT matches exec", rule(["*/*"], { operations: ["CONNECT"] }), attrs({ subresource: "exec", operation: "CONNECT" }), true],
    ["another operation", rule(["pods"]), attrs({ operation: "DELETE" }), false],
    ["operation *", rule(["pods"], { operations: ["*"] }), attrs({ operation: "DELETE" }), true],
    ["another group", rule(["deployments"], { apiGroups: [""] }), attrs({ resource: DEPLOYMENTS }), false],
    ["group *", rule(["deployments"], { apiGroups: ["*"] }), attrs({ resource: DEPLOYMENTS }), true],
    ["another version", rule(["pods"], { apiVersions: ["v2"] }), attrs(), false],
    ["scope Cluster skips pods", rule(["*"], { scope: "Cluster" }), attrs(), false],
    ["scope Cluster takes nodes", rule(["*"], { scope: "Cluster" }), attrs({ resource: NODES }), true],
    ["scope Namespaced takes pods", rule(["*"], { scope: "Namespaced" }), attrs(), true],
    ["scope Namespaced skips namespaces", rule(["*"], { scope: "Namespaced" }), attrs({ resource: NAMESPACES }), false],
  ])("%s", (_, r, a, want) => {
    expect(ruleMatches(r, a)).toBe(want);
  });
});

describe("webhookMatches", () => {
  const hook = (over: Partial<Webhook> = {}): Webhook => ({ name: "h.example.com", clientConfig: { url: "https://x" }, rules: [rule(["*"], { apiGroups: ["*"] })], ...over });
  const labels = (ns: string) => ({ default: { env: "prod" }, dev: { env: "dev" } })[ns];

  test.each([
    ["no selectors", hook(), attrs(), true],
    ["namespaceSelector selects the namespace", hook({ namespaceSelector: { matchLabels: { env: "prod" } } }), attrs(), true],
    ["namespaceSelector skips another namespace", hook({ namespaceSelector: { matchLabels: { env: "prod" } } }), attrs({ namespace: "dev" }), false],
    ["cluster-scoped objects pass any namespaceSelector", hook({ namespaceSelector: { matchLabels: { env: "prod" } } }), attrs({ resource: NODES }), true],
    ["a Namespace is tested with its own labels", hook({ namespaceSelector: { matchLabels: { env: "prod" } } }), attrs({ resource: NAMESPACES, object: { metadata: { name: "n", labels: { env: "prod" } } } }), true],
    ["objectSelector selects the object", hook({ objectSelector: { matchLabels: { app: "web" } } }), attrs(), true],
    ["objectSelector skips the object", hook({ objectSelector: { matchLabels: { app: "db" } } }), attrs(), false],
    [
      "objectSelector passes when the old object matches",
      hook({ objectSelector: { matchLabels: { app: "db" } } }),
      attrs({ operation: "UPDATE", oldObject: { metadata: { name: "x", labels: { app: "db" } } } }),
      true,
    ],
    ["webhook configurations are never sent to webhooks", hook(), attrs({ resource: VWC }), false],
  ])("%s", (_, h, a, want) => {
    expect(webhookMatches(h, a, labels)).toBe(want);
  });

  test("a namespace that does not exist is an error, not a skip", () => {
    expect(() => webhookMatches(hook({ namespaceSelector: { matchLabels: { env: "prod" } } }), attrs({ namespace: "gone" }), labels)).toThrow(NamespaceNotFound);
  });
});
