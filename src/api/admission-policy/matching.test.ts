import { expect, test } from "bun:test";
import { findResource } from "../../apis/registry.ts";
import type { MatchResources } from "../../apis/admissionregistration/policy.ts";
import type { AdmissionAttributes } from "../webhooks/attributes.ts";
import { matchResourcesMatch } from "./matching.ts";

const DEPLOYMENTS = findResource("apps", "v1", "deployments")!;
const attrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: "CREATE",
  resource: DEPLOYMENTS,
  subresource: "",
  kind: { group: "apps", version: "v1", kind: "Deployment" },
  namespace: "prod",
  name: "web",
  object: { metadata: { name: "web", labels: { app: "web" } } },
  user: undefined,
  dryRun: false,
  ...over,
});
const rule = { apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE" as const], resources: ["deployments"] };
const labels = (ns: string) => (ns === "prod" ? { env: "prod" } : ns === "dev" ? { env: "dev" } : undefined);

test.each<[string, MatchResources | undefined, Partial<AdmissionAttributes>, boolean, boolean]>([
  ["no matchResources (a binding): everything", undefined, {}, false, true],
  ["a resource rule", { resourceRules: [rule] }, {}, true, true],
  ["another operation", { resourceRules: [rule] }, { operation: "UPDATE" }, true, false],
  ["resourceNames", { resourceRules: [{ ...rule, resourceNames: ["api"] }] }, {}, true, false],
  ["excludeResourceRules", { resourceRules: [rule], excludeResourceRules: [{ ...rule, resourceNames: ["web"] }] }, {}, true, false],
  ["Equivalent matches another version", { resourceRules: [{ ...rule, apiVersions: ["v1beta1"] }], matchPolicy: "Equivalent" }, {}, true, true],
  ["Exact does not", { resourceRules: [{ ...rule, apiVersions: ["v1beta1"] }], matchPolicy: "Exact" }, {}, true, false],
  ["a namespaceSelector that matches", { resourceRules: [rule], namespaceSelector: { matchLabels: { env: "prod" } } }, {}, true, true],
  ["a namespaceSelector that does not", { resourceRules: [rule], namespaceSelector: { matchLabels: { env: "prod" } } }, { namespace: "dev" }, true, false],
  ["an objectSelector", { resourceRules: [rule], objectSelector: { matchLabels: { app: "api" } } }, {}, true, false],
  ["a binding's empty resourceRules do not constrain", { namespaceSelector: {} }, {}, false, true],
  ["a policy's do", { namespaceSelector: {} }, {}, true, false],
])("%s", (_, m, over, requireRules, want) => {
  expect(matchResourcesMatch(m, attrs(over), labels, requireRules)).toBe(want);
});
