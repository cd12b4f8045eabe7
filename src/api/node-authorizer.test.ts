import { expect, test } from "bun:test";
import { NodeAuthorizer, nodeNameOf, podReferences } from "./node-authorizer.ts";

test("podReferences finds every secret, config map, claim and the service account a pod needs", () => {
  const refs = podReferences({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    spec: {
      imagePullSecrets: [{ name: "pull" }],
      volumes: [
        { name: "a", secret: { secretName: "vol-secret" } },
        { name: "b", configMap: { name: "vol-cm" } },
        { name: "c", persistentVolumeClaim: { claimName: "claim" } },
        { name: "d", projected: { sources: [{ secret: { name: "proj-secret" } }, { configMap: { name: "proj-cm" } }] } },
      ],
      initContainers: [{ name: "i", envFrom: [{ secretRef: { name: "init-env" } }] }],
      containers: [
        {
          name: "c",
          env: [{ name: "X", valueFrom: { secretKeyRef: { name: "env-secret", key: "k" } } }, { name: "Y", valueFrom: { configMapKeyRef: { name: "env-cm", key: "k" } } }],
          envFrom: [{ configMapRef: { name: "envfrom-cm" } }],
        },
      ],
    },
  });
  expect([...refs.secrets].sort()).toEqual(["env-secret", "init-env", "proj-secret", "pull", "vol-secret"]);
  expect([...refs.configmaps].sort()).toEqual(["env-cm", "envfrom-cm", "proj-cm", "vol-cm"]);
  expect([...refs.persistentvolumeclaims]).toEqual(["claim"]);
  expect([...refs.serviceaccounts]).toEqual(["default"]);
});

test.each([
  [{ name: "system:node:n1", groups: ["system:nodes"] }, "n1"],
  [{ name: "system:node:n1", groups: [] }, undefined],
  [{ name: "admin", groups: ["system:nodes"] }, undefined],
])("nodeNameOf(%p) = %p", (user, want) => {
  expect(nodeNameOf(user)).toBe(want);
});

test.each([
  ["list", "", "namespaces", "", true],
  ["watch", "networking.k8s.io", "networkpolicies", "", true],
  ["get", "networking.k8s.io", "networkpolicies", "team-a", true],
  ["create", "networking.k8s.io", "networkpolicies", "team-a", false],
  ["delete", "", "namespaces", "", false],
])("a node may %s %s/%s (the agent's NetworkPolicy controller): %p", (verb, apiGroup, resource, namespace, allowed) => {
  const authz = new NodeAuthorizer({ get: () => undefined, list: () => ({ items: [] }) } as never);
  const user = { name: "system:node:n1", groups: ["system:nodes"] };
  const d = authz.authorize({ user, verb, resourceRequest: true, path: "", apiGroup, apiVersion: "v1", resource, subresource: "", namespace, name: "" });
  expect(d.allowed).toBe(allowed);
});
