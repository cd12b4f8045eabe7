import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../store/index.ts";
import { RBACAuthorizer } from "./rbac.ts";
import type { Attributes } from "./authz-attributes.ts";

const dir = mkdtempSync(join(tmpdir(), "kubun-rbac-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alice = { name: "alice", groups: ["system:authenticated"] };
const ask = (over: Partial<Attributes>): Attributes => ({
  user: alice,
  verb: "get",
  resourceRequest: true,
  path: "",
  apiGroup: "",
  apiVersion: "v1",
  resource: "configmaps",
  subresource: "",
  namespace: "ns",
  name: "a",
  ...over,
});

describe("RBACAuthorizer remembers decisions until a role or binding changes", () => {
  test("a binding's create, change and delete are in force as soon as each returns", async () => {
    const store = new SqliteStore(join(dir, `${crypto.randomUUID()}.db`));
    const rbac = new RBACAuthorizer(store);
    await Bun.sleep(0);
    expect(rbac.authorize(ask({})).allowed).toBe(false);
    expect(rbac.authorize(ask({})).allowed).toBe(false); // asked again: the same answer, remembered
    const role = await store.create("/rbac.authorization.k8s.io/roles/ns/reader", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "reader", namespace: "ns" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"], resourceNames: ["a"] }],
    });
    const binding = await store.create("/rbac.authorization.k8s.io/rolebindings/ns/alice", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "alice", namespace: "ns" },
      subjects: [{ kind: "User", name: "alice" }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" },
    });
    expect(rbac.authorize(ask({})).allowed).toBe(true);
    // What a rule looks at tells decisions apart: another name, verb, namespace or user.
    expect(rbac.authorize(ask({ name: "b" })).allowed).toBe(false);
    expect(rbac.authorize(ask({ verb: "delete" })).allowed).toBe(false);
    expect(rbac.authorize(ask({ namespace: "other" })).allowed).toBe(false);
    expect(rbac.authorize(ask({ user: { name: "bob", groups: ["system:authenticated"] } })).allowed).toBe(false);
    // The role changes: the remembered allow goes with it.
    await store.update("/rbac.authorization.k8s.io/roles/ns/reader", { ...role.object, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"], resourceNames: ["b"] }] }, role.revision);
    expect(rbac.authorize(ask({})).allowed).toBe(false);
    expect(rbac.authorize(ask({ name: "b" })).allowed).toBe(true);
    await store.delete("/rbac.authorization.k8s.io/rolebindings/ns/alice", binding.revision);
    expect(rbac.authorize(ask({ name: "b" })).allowed).toBe(false);
    rbac.close();
    await store.close();
  });
});
