// The rule math behind escalation errors: what is missing, compacted and printed as kube prints it.
import { describe, expect, test } from "bun:test";
import { compactRules, compactString, missingRules } from "./rbac-covers.ts";
import type { PolicyRule } from "./rbac-rules.ts";

describe("missingRules", () => {
  test.each([
    { name: "covered by a wildcard", owner: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], servant: [{ verbs: ["get", "list"], apiGroups: ["apps"], resources: ["deployments"] }], missing: [] },
    {
      name: "only the pieces not held",
      owner: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
      servant: [{ verbs: ["get", "delete"], apiGroups: [""], resources: ["pods"] }],
      missing: [{ verbs: ["delete"], apiGroups: [""], resources: ["pods"] }],
    },
    {
      name: "a resource wildcard asked for needs a resource wildcard held",
      owner: [{ verbs: ["get"], apiGroups: [""], resources: ["pods", "secrets"] }],
      servant: [{ verbs: ["get"], apiGroups: [""], resources: ["*"] }],
      missing: [{ verbs: ["get"], apiGroups: [""], resources: ["*"] }],
    },
    {
      name: "non-resource URLs by prefix",
      owner: [{ verbs: ["get"], nonResourceURLs: ["/logs/*"] }],
      servant: [{ verbs: ["get"], nonResourceURLs: ["/logs/a", "/metrics"] }],
      missing: [{ verbs: ["get"], nonResourceURLs: ["/metrics"] }],
    },
  ] as { name: string; owner: PolicyRule[]; servant: PolicyRule[]; missing: PolicyRule[] }[])("$name", ({ owner, servant, missing }) => {
    expect(missingRules(owner, servant)).toEqual(missing);
  });
});

describe("compactRules and compactString", () => {
  test("verbs of one group and resource are listed together; other rules stay apart", () => {
    const missing = missingRules([], [
      { verbs: ["create", "delete"], apiGroups: [""], resources: ["pods"] },
      { verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a", "b"] },
      { verbs: ["*"], nonResourceURLs: ["*"] },
    ]);
    expect(compactRules(missing).map(compactString).sort()).toEqual([
      `{APIGroups:[""], Resources:["pods"], Verbs:["create" "delete"]}`,
      `{APIGroups:[""], Resources:["secrets"], ResourceNames:["a"], Verbs:["get"]}`,
      `{APIGroups:[""], Resources:["secrets"], ResourceNames:["b"], Verbs:["get"]}`,
      `{NonResourceURLs:["*"], Verbs:["*"]}`,
    ]);
  });
});
