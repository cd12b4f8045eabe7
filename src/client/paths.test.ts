import { describe, expect, test } from "bun:test";
import { objectKey, resourceFor, resourcePath, splitKey } from "./paths.ts";

describe("resourcePath", () => {
  test.each([
    ["Pod", "default", undefined, undefined, "/api/v1/namespaces/default/pods"],
    ["Pod", undefined, undefined, undefined, "/api/v1/pods"],
    ["Pod", "kube-system", "web-1", undefined, "/api/v1/namespaces/kube-system/pods/web-1"],
    ["Pod", "default", "web", "binding", "/api/v1/namespaces/default/pods/web/binding"],
    ["Node", undefined, "n1", "status", "/api/v1/nodes/n1/status"],
    ["Node", "ignored", "n1", undefined, "/api/v1/nodes/n1"],
    ["Deployment", "default", "web", "scale", "/apis/apps/v1/namespaces/default/deployments/web/scale"],
    ["Lease", "kube-node-lease", "n1", undefined, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"],
    ["Namespace", undefined, "default", undefined, "/api/v1/namespaces/default"],
  ])("%s ns=%s name=%s sub=%s → %s", (kind, ns, name, sub, want) => {
    expect(resourcePath(resourceFor(kind), ns, name, sub)).toBe(want);
  });

  test("a namespaced object needs a namespace", () => {
    expect(() => resourcePath(resourceFor("Pod"), undefined, "web")).toThrow("namespace is required");
  });

  test("resourceFor rejects kinds kubun does not serve", () => {
    expect(() => resourceFor("RuntimeClass")).toThrow("RuntimeClass");
  });
});

describe("object keys", () => {
  test.each([
    [{ namespace: "default", name: "web" }, "default/web"],
    [{ name: "node-1" }, "node-1"],
  ])("%j ↔ %s", (meta, key) => {
    expect(objectKey(meta)).toBe(key);
    expect(splitKey(key)).toEqual(meta);
  });
});
