import { describe, expect, test } from "bun:test";
import { forbiddenError, requestAttributes } from "./authz-attributes.ts";

const parse = (method: string, url: string) => {
  const u = new URL(url, "https://x");
  const a = requestAttributes(method, u.pathname, u.searchParams);
  return a.resourceRequest ? [a.verb, a.apiGroup, a.resource, a.subresource, a.namespace, a.name].join("|") : `nonresource ${a.verb} ${a.path}`;
};

describe("requestAttributes", () => {
  test.each([
    ["GET", "/api/v1/namespaces/ns/pods", "list||pods||ns|"],
    ["GET", "/api/v1/namespaces/ns/pods?watch=true", "watch||pods||ns|"],
    ["GET", "/api/v1/watch/namespaces/ns/pods", "watch||pods||ns|"],
    ["GET", "/api/v1/namespaces/ns/pods/p", "get||pods||ns|p"],
    ["GET", "/api/v1/namespaces/ns/pods/p/log", "get||pods|log|ns|p"],
    // An object's history is authorized as a get of it; a Secret's needs get secrets/history.
    ["GET", "/api/v1/namespaces/ns/configmaps/c/history", "get||configmaps||ns|c"],
    ["GET", "/apis/apps/v1/namespaces/ns/deployments/d/history", "get|apps|deployments||ns|d"],
    ["GET", "/api/v1/namespaces/ns/secrets/s/history", "get||secrets|history|ns|s"],
    ["GET", "/api/v1/namespaces/ns/pods/p/scheduling", "get||pods||ns|p"],
    ["PATCH", "/api/v1/namespaces/ns/pods/p/status", "patch||pods|status|ns|p"],
    ["GET", "/api/v1/namespaces/ns/pods/p/exec?command=ls", "create||pods|exec|ns|p"],
    ["POST", "/api/v1/namespaces/ns/serviceaccounts/default/token", "create||serviceaccounts|token|ns|default"],
    ["DELETE", "/apis/apps/v1/namespaces/ns/deployments", "deletecollection|apps|deployments||ns|"],
    ["DELETE", "/apis/apps/v1/namespaces/ns/deployments/d", "delete|apps|deployments||ns|d"],
    ["PUT", "/apis/apps/v1/namespaces/ns/deployments/d/scale", "update|apps|deployments|scale|ns|d"],
    ["GET", "/api/v1/namespaces", "list||namespaces|||"],
    ["GET", "/api/v1/namespaces/ns", "get||namespaces||ns|ns"],
    ["PUT", "/api/v1/namespaces/ns/finalize", "update||namespaces|finalize|ns|ns"],
    ["GET", "/api/v1/pods", "list||pods|||"],
    ["GET", "/api/v1/nodes/n1", "get||nodes|||n1"],
    ["POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "create|rbac.authorization.k8s.io|clusterroles|||"],
    ["GET", "/api", "nonresource get /api"],
    ["GET", "/api/v1", "nonresource get /api/v1"],
    ["GET", "/apis/apps/v1", "nonresource get /apis/apps/v1"],
    ["GET", "/openapi/v3", "nonresource get /openapi/v3"],
  ])("%s %s → %s", (method, url, want) => {
    expect(parse(method, url)).toBe(want);
  });
});

describe("forbiddenError", () => {
  const user = { name: "x", groups: [] };
  const base = { user, resourceRequest: true, path: "", apiVersion: "v1", subresource: "", name: "" };
  test.each([
    [
      { ...base, verb: "list", apiGroup: "", resource: "pods", namespace: "y" },
      'pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "y"',
    ],
    [
      { ...base, verb: "get", apiGroup: "apps", resource: "deployments", namespace: "", name: "d" },
      'deployments.apps "d" is forbidden: User "x" cannot get resource "deployments" in API group "apps" at the cluster scope',
    ],
    [
      { ...base, verb: "get", apiGroup: "", resource: "pods", subresource: "log", namespace: "y", name: "p" },
      'pods "p" is forbidden: User "x" cannot get resource "pods/log" in API group "" in the namespace "y"',
    ],
    [{ ...base, resourceRequest: false, verb: "get", path: "/metrics", apiGroup: "", resource: "", namespace: "" }, 'forbidden: User "x" cannot get path "/metrics"'],
  ])("%#", (a, message) => {
    const err = forbiddenError(a);
    expect(err.code).toBe(403);
    expect(err.status.message).toBe(message);
  });
});
