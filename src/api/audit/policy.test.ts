import { describe, expect, test } from "bun:test";
import type { UserInfo } from "../auth.ts";
import { requestAttributes } from "../authz-attributes.ts";
import { decide, parsePolicy } from "./policy.ts";

const POLICY = parsePolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
  - level: None
    nonResourceURLs: ["/healthz*", "/version"]
  - level: Metadata
    resources: [{ group: "", resources: ["secrets", "configmaps/*"] }]
  - level: RequestResponse
    verbs: [create, update, patch]
    resources: [{ group: "apps", resources: ["deployments", "*/scale"] }]
  - level: Request
    userGroups: ["system:serviceaccounts"]
    namespaces: [team]
  - level: None
    resources: [{ group: "", resources: ["events"] }]
  - level: Metadata
    omitStages: [ResponseStarted]
`);

const alice: UserInfo = { name: "alice", groups: ["system:authenticated"] };
const sa: UserInfo = { name: "system:serviceaccount:team:bot", groups: ["system:serviceaccounts", "system:authenticated"] };
const at = (method: string, path: string, query = "") => requestAttributes(method, path, new URLSearchParams(query));

describe("decide", () => {
  test.each<[string, UserInfo, ReturnType<typeof at>, string]>([
    ["a listed user is not audited", { name: "system:kube-proxy", groups: [] }, at("GET", "/api/v1/pods"), "None"],
    ["health checks are not audited", alice, at("GET", "/healthz/ready"), "None"],
    ["secrets only at Metadata", alice, at("POST", "/api/v1/namespaces/x/secrets"), "Metadata"],
    ["resource/* matches a subresource", alice, at("GET", "/api/v1/namespaces/x/configmaps/c/status"), "Metadata"],
    ["resource/* does not match the resource", alice, at("GET", "/api/v1/namespaces/x/configmaps/c"), "Metadata"],
    ["writes of deployments in full", alice, at("PATCH", "/apis/apps/v1/namespaces/x/deployments/web"), "RequestResponse"],
    ["*/scale matches any scale", alice, at("PUT", "/apis/apps/v1/namespaces/x/replicasets/web/scale"), "RequestResponse"],
    ["reads of deployments fall through", alice, at("GET", "/apis/apps/v1/namespaces/x/deployments/web"), "Metadata"],
    ["a group and a namespace", sa, at("GET", "/api/v1/namespaces/team/pods"), "Request"],
    ["the group elsewhere falls through", sa, at("GET", "/api/v1/namespaces/other/pods"), "Metadata"],
    ["events are not audited", alice, at("POST", "/api/v1/namespaces/x/events"), "None"],
    ["the catch-all", alice, at("GET", "/apis"), "Metadata"],
  ])("%s", (_, user, attrs, level) => {
    expect(decide(POLICY, user, attrs).level).toBe(level as never);
  });

  test("omitted stages combine the policy's and the rule's", () => {
    expect([...decide(POLICY, alice, at("GET", "/apis")).omitStages].sort()).toEqual(["RequestReceived", "ResponseStarted"]);
  });

  test("no matching rule: None", () => {
    const p = parsePolicy("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata, verbs: [delete]}]");
    expect(decide(p, alice, at("GET", "/api/v1/pods")).level).toBe("None");
  });
});

describe("parsePolicy refuses what it can't act on", () => {
  test.each([
    ["apiVersion: v1\nkind: Policy\nrules: [{level: None}]", "must be apiVersion audit.k8s.io/v1, kind Policy"],
    ["apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []", "rules must be a non-empty list"],
    ["apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Everything}]", "rules[0].level: must be one of None, Metadata, Request, RequestResponse"],
    ["apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, omitStages: [Done]}]", 'rules[0].omitStages: unknown stage "Done"'],
    ["apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, nonResourceURLs: [healthz]}]", 'must start with "/"'],
    ["apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, users: alice}]", "rules[0].users must be a list of strings"],
  ])("%s", (text, message) => {
    expect(() => parsePolicy(text)).toThrow(message);
  });
});
