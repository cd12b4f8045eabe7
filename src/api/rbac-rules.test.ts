import { describe, expect, test } from "bun:test";
import type { Attributes } from "./authz-attributes.ts";
import { nonResourceURLMatches, resourceMatches, ruleAllows, subjectMatches, type PolicyRule } from "./rbac-rules.ts";

const attrs = (over: Partial<Attributes>): Attributes => ({
  user: { name: "u", groups: [] },
  verb: "get",
  resourceRequest: true,
  path: "",
  apiGroup: "",
  apiVersion: "v1",
  resource: "pods",
  subresource: "",
  namespace: "ns",
  name: "",
  ...over,
});

describe("resourceMatches", () => {
  test.each([
    [["pods"], "pods", "", true],
    [["pods"], "pods", "log", false],
    [["pods/log"], "pods", "log", true],
    [["pods/log"], "pods", "", false],
    [["*"], "pods", "log", true],
    [["*/log"], "pods", "log", true],
    [["*/log"], "pods", "", false],
    [["*/status"], "pods", "log", false],
    [["services"], "pods", "", false],
  ] as const)("%p grants %s/%s: %p", (resources, resource, sub, want) => {
    expect(resourceMatches({ resources: [...resources] }, resource, sub)).toBe(want);
  });
});

describe("nonResourceURLMatches", () => {
  test.each([
    [["/healthz"], "/healthz", true],
    [["/healthz"], "/healthz/etcd", false],
    [["/apis/*"], "/apis/apps/v1", true],
    [["/apis/*"], "/api", false],
    [["*"], "/anything", true],
  ] as const)("%p grants %s: %p", (urls, path, want) => {
    expect(nonResourceURLMatches({ nonResourceURLs: [...urls] }, path)).toBe(want);
  });
});

describe("ruleAllows", () => {
  const rule: PolicyRule = { verbs: ["get", "list"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["one"] };
  test.each([
    ["named get", attrs({ resource: "configmaps", name: "one" }), true],
    ["other name", attrs({ resource: "configmaps", name: "two" }), false],
    ["list cannot match a name", attrs({ verb: "list", resource: "configmaps" }), false],
    ["other verb", attrs({ verb: "delete", resource: "configmaps", name: "one" }), false],
    ["other group", attrs({ apiGroup: "apps", resource: "configmaps", name: "one" }), false],
  ])("%s", (_, a, want) => {
    expect(ruleAllows(a, rule)).toBe(want);
  });

  test("'*' verbs and groups match anything; resource rules never grant paths", () => {
    const all: PolicyRule = { verbs: ["*"], apiGroups: ["*"], resources: ["*"] };
    expect(ruleAllows(attrs({ verb: "deletecollection", apiGroup: "apps", resource: "deployments" }), all)).toBe(true);
    expect(ruleAllows(attrs({ resourceRequest: false, path: "/metrics" }), all)).toBe(false);
  });
});

describe("subjectMatches", () => {
  const sa = { name: "system:serviceaccount:ns:sa", groups: ["system:serviceaccounts"] };
  test.each([
    [{ kind: "User", name: "u" }, { name: "u", groups: [] }, "", true],
    [{ kind: "User", name: "u" }, { name: "v", groups: [] }, "", false],
    [{ kind: "Group", name: "g" }, { name: "v", groups: ["g"] }, "", true],
    [{ kind: "ServiceAccount", name: "sa", namespace: "ns" }, sa, "other", true],
    [{ kind: "ServiceAccount", name: "sa" }, sa, "ns", true],
    [{ kind: "ServiceAccount", name: "sa" }, sa, "other", false],
    [{ kind: "ServiceAccount", name: "sa" }, sa, "", false],
  ])("%p %p in %p: %p", (subject, user, ns, want) => {
    expect(subjectMatches(subject, user, ns)).toBe(want);
  });
});
