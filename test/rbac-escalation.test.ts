// RBAC escalation prevention end to end with stock kubectl: a user who may create roles or
// bindings may grant only what they hold, unless they have `escalate` (roles) or `bind`
// (bindings) — the holes an account with namespace-scoped binding rights used to reach
// cluster-admin through.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import YAML from "yaml";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { waitFor } from "./helpers/wait.ts";

let s: TestServer;
const NS = "esc";

const ok = (args: string[], stdin?: string) => s.kubectlOk(args, stdin);

/** A service account in NS with the given role rules bound in NS (and cluster rules bound cluster-wide); its token. */
async function account(name: string, rules: object[], clusterRules: object[] = []): Promise<string> {
  await ok(["create", "serviceaccount", name, "-n", NS]);
  const docs: object[] = [];
  const subjects = [{ kind: "ServiceAccount", name, namespace: NS }];
  const roleRef = (kind: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name: `${name}-rights` });
  if (rules.length) {
    docs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: `${name}-rights`, namespace: NS }, rules });
    docs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: `${name}-rights`, namespace: NS }, subjects, roleRef: roleRef("Role") });
  }
  if (clusterRules.length) {
    docs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: `${name}-rights` }, rules: clusterRules });
    docs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: `${name}-rights` }, subjects, roleRef: roleRef("ClusterRole") });
  }
  await ok(["apply", "-f", "-"], docs.map((d) => YAML.stringify(d)).join("---\n"));
  return (await ok(["create", "token", name, "-n", NS])).trim();
}

const as = (token: string, args: string[]) => s.kubectl(["--token", token, ...args]);

async function post(path: string, token: string, body: object) {
  const res = await s.api(path, { method: "POST", token, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { code: res.status, body: (await res.json()) as { reason: string; message: string; details?: Record<string, string> } };
}

const user = (name: string) => `system:serviceaccount:${NS}:${name}`;
const GROUPS = `["system:serviceaccounts" "system:serviceaccounts:${NS}" "system:authenticated"]`;

beforeAll(async () => {
  s = await startTestServer({ controllers: {} });
  await ok(["create", "namespace", NS]);
});

afterAll(async () => {
  await s?.close();
});

describe("RBAC escalation prevention", () => {
  test("create rolebindings alone does not buy cluster-admin", async () => {
    const rbm = await account("rbm", [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create", "get", "list"] }]);
    const r = await as(rbm, ["create", "rolebinding", "esc", "--clusterrole=cluster-admin", `--serviceaccount=${NS}:rbm`, "-n", NS]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `rolebindings.rbac.authorization.k8s.io "esc" is forbidden: user "${user("rbm")}" (groups=${GROUPS}) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}`,
    );
    expect((await as(rbm, ["auth", "can-i", "get", "secrets", "-n", NS])).stdout.trim()).toBe("no");
    expect((await s.kubectl(["get", "rolebinding", "esc", "-n", NS])).code).not.toBe(0); // nothing half-written

    // The same through the API: a 403 Status naming the binding.
    const api = await post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, rbm, {
      metadata: { name: "esc2" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "rbm", namespace: NS }],
    });
    expect(api.code).toBe(403);
    expect(api.body.reason).toBe("Forbidden");
    expect(api.body.details).toEqual({ name: "esc2", group: "rbac.authorization.k8s.io", kind: "rolebindings" });

    // A ClusterRoleBinding needs the same, at the cluster scope.
    const crb = await as(rbm, ["create", "clusterrolebinding", "esc", "--clusterrole=cluster-admin", `--serviceaccount=${NS}:rbm`]);
    expect(crb.stderr).toContain("forbidden");
  });

  test("a binding to a role whose rules the user holds is allowed; a missing role is NotFound", async () => {
    const holder = await account("holder", [
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create", "update", "patch", "get"] },
      { apiGroups: [""], resources: ["pods", "configmaps"], verbs: ["get", "list"] },
    ]);
    await ok(["create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", NS]);
    await ok(["create", "role", "pod-writer", "--verb=get,create,delete", "--resource=pods", "-n", NS]);
    expect(await as(holder, ["create", "rolebinding", "reads", "--role=pod-reader", "--user=bob", "-n", NS]).then((r) => r.code)).toBe(0);
    const writer = await as(holder, ["create", "rolebinding", "writes", "--role=pod-writer", "--user=bob", "-n", NS]);
    expect(writer.stderr).toContain(`is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["create" "delete"]}`);
    const missing = await post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, holder, {
      metadata: { name: "ghost" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "no-such-role" },
      subjects: [{ kind: "User", name: "bob" }],
    });
    expect([missing.code, missing.body.reason]).toEqual([404, "NotFound"]);
    // Updating a binding is checked too: its roleRef can't change, but its subjects can (still within held rights).
    const patched = await as(holder, ["patch", "rolebinding", "reads", "-n", NS, "--type=merge", "-p", '{"subjects":[{"kind":"User","name":"carol","apiGroup":"rbac.authorization.k8s.io"}]}']);
    expect(patched.code).toBe(0);
  });

  test("bind on a named role allows binding it, and only it", async () => {
    const binder = await account(
      "binder",
      [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] }],
      [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["edit"] }],
    );
    expect((await as(binder, ["create", "rolebinding", "edits", "--clusterrole=edit", "--user=dave", "-n", NS])).code).toBe(0);
    const admin = await as(binder, ["create", "rolebinding", "admins", "--clusterrole=admin", "--user=dave", "-n", NS]);
    expect(admin.stderr).toContain("is attempting to grant RBAC permissions not currently held");
  });

  test("a Role with rules the user lacks is refused, on create and on update; escalate allows it", async () => {
    const maker = await account("rolemaker", [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["create", "get", "patch", "update"] }]);
    const star = await as(maker, ["create", "role", "everything", "--verb=*", "--resource=*.*", "-n", NS]);
    expect(star.code).not.toBe(0);
    expect(star.stderr).toContain(`roles.rbac.authorization.k8s.io "everything" is forbidden: user "${user("rolemaker")}"`);
    expect(star.stderr).toContain(`{APIGroups:["*"], Resources:["*"], Verbs:["*"]}`);

    // A role within what the maker holds is fine; widening it later is not.
    expect((await as(maker, ["create", "role", "narrow", "--verb=get", "--resource=roles.rbac.authorization.k8s.io", "-n", NS])).code).toBe(0);
    const widen = await as(maker, ["patch", "role", "narrow", "-n", NS, "--type=json", "-p", '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}}]']);
    expect(widen.stderr).toContain(`{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`);
    expect(await ok(["get", "role", "narrow", "-n", NS, "-o", "jsonpath={.rules[*].resources}"])).toBe('["roles"]');

    // With escalate on roles, the same create goes through.
    await ok(["create", "role", "escalator", "--verb=escalate", "--resource=roles.rbac.authorization.k8s.io", "-n", NS]);
    await ok(["create", "rolebinding", "maker-escalates", "--role=escalator", `--serviceaccount=${NS}:rolemaker`, "-n", NS]);
    expect((await as(maker, ["create", "role", "everything", "--verb=*", "--resource=*.*", "-n", NS])).code).toBe(0);
  });

  test("an aggregationRule needs cluster-admin's rights", async () => {
    const crMaker = await account("crmaker", [], [
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["create"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
    ]);
    const plain = await post("/apis/rbac.authorization.k8s.io/v1/clusterroles", crMaker, { metadata: { name: "pod-get" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] });
    expect(plain.code).toBe(201);
    const aggregated = await post("/apis/rbac.authorization.k8s.io/v1/clusterroles", crMaker, {
      metadata: { name: "gatherer" },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { gather: "me" } }] },
      rules: [],
    });
    expect(aggregated.code).toBe(403);
    expect(aggregated.body.message).toBe(`clusterroles.rbac.authorization.k8s.io "gatherer" is forbidden: must have cluster-admin privileges to use the aggregationRule`);
  });

  test("the admin (system:masters) may grant anything", async () => {
    expect((await s.kubectl(["create", "rolebinding", "root", "--clusterrole=cluster-admin", "--user=erin", "-n", NS])).code).toBe(0);
  });
});

describe("aggregated ClusterRoles", () => {
  const rulesOf = async (role: string) => JSON.parse(await ok(["get", "clusterrole", role, "-o", "jsonpath={.rules}"])) as { resources?: string[] }[];
  const grants = (rules: { resources?: string[] }[], resource: string) => rules.some((r) => r.resources?.includes(resource));

  test("a ClusterRole labelled aggregate-to-view widens view, and through it edit and admin; deleting it narrows them again", async () => {
    const agg = JSON.parse(await ok(["get", "clusterrole", "admin", "-o", "jsonpath={.aggregationRule}"]));
    expect(agg).toEqual({ clusterRoleSelectors: [{ matchLabels: { "rbac.authorization.k8s.io/aggregate-to-admin": "true" } }] });
    await ok(["create", "rolebinding", "frank-views", "--clusterrole=view", "--user=frank", "-n", NS]);
    // (A resource kubun serves: kubectl asks about one it doesn't know without its group.)
    const canGet = async () => (await s.kubectl(["auth", "can-i", "get", "leases", "-n", NS, "--as=frank"])).stdout.trim();
    expect(await canGet()).toBe("no");

    await ok(["apply", "-f", "-"], YAML.stringify({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "widget-viewer", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
      rules: [
        { apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get"] },
      ],
    }));
    for (const role of ["view", "edit", "admin"]) await waitFor(`${role} to gather widgets`, async () => grants(await rulesOf(role), "widgets"));
    expect(await canGet()).toBe("yes");

    await ok(["delete", "clusterrole", "widget-viewer"]);
    for (const role of ["view", "edit", "admin"]) await waitFor(`${role} to drop widgets`, async () => !grants(await rulesOf(role), "widgets"));
    expect(await canGet()).toBe("no");
    expect(grants(await rulesOf("view"), "pods")).toBe(true); // the built-in rules stay
  });
});
