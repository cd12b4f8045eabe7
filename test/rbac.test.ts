// Identities and authorization end to end: service account tokens from `kubectl create token`,
// RBAC bindings, `kubectl auth can-i`, the node credential exchange and the node authorizer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
let alice: string; // token of service account team/alice
const ALICE = "system:serviceaccount:team:alice";

const ok = (args: string[], stdin?: string) => s.kubectlOk(args, stdin);

async function status(path: string, token: string, init: RequestInit = {}): Promise<number> {
  const res = await s.api(path, { ...init, token });
  await res.body?.cancel();
  return res.status;
}

async function forbidden(path: string, token: string, init: RequestInit = {}) {
  const res = await s.api(path, { ...init, token });
  expect(res.status).toBe(403);
  return (await res.json()) as { message: string; reason: string; details: Record<string, string> };
}

beforeAll(async () => {
  s = await startTestServer({ controllers: {} });
  await ok(["create", "namespace", "team"]);
  await ok(["create", "serviceaccount", "alice", "-n", "team"]);
  alice = (await ok(["create", "token", "alice", "-n", "team"])).trim();
});

afterAll(async () => {
  await s?.close();
});

describe("RBAC", () => {
  test("a token without bindings is refused in Kubernetes' words", async () => {
    const body = await forbidden("/api/v1/namespaces/team/pods", alice);
    expect(body.message).toBe(`pods is forbidden: User "${ALICE}" cannot list resource "pods" in API group "" in the namespace "team"`);
    expect(body.reason).toBe("Forbidden");
    expect(body.details).toEqual({ group: "", kind: "pods" });
    const nodes = await forbidden("/api/v1/nodes", alice);
    expect(nodes.message).toBe(`nodes is forbidden: User "${ALICE}" cannot list resource "nodes" in API group "" at the cluster scope`);
    // Discovery is open to every authenticated user.
    expect(await status("/apis", alice)).toBe(200);
  });

  test("a RoleBinding grants access in its namespace only", async () => {
    await ok(["create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods", "-n", "team"]);
    await ok(["create", "rolebinding", "alice-reads-pods", "--role=pod-reader", "--serviceaccount=team:alice", "-n", "team"]);
    expect(await status("/api/v1/namespaces/team/pods", alice)).toBe(200);
    expect(await status("/api/v1/namespaces/default/pods", alice)).toBe(403);
    expect(await status("/api/v1/pods", alice)).toBe(403);
    const create = await forbidden("/api/v1/namespaces/team/pods", alice, { method: "POST", body: "{}" });
    expect(create.message).toContain(`cannot create resource "pods" in API group "" in the namespace "team"`);
  });

  test("a ClusterRoleBinding grants access cluster-wide", async () => {
    await ok(["create", "clusterrole", "deploy-reader", "--verb=list", "--resource=deployments.apps"]);
    expect(await status("/apis/apps/v1/deployments", alice)).toBe(403);
    await ok(["create", "clusterrolebinding", "alice-reads-deploys", "--clusterrole=deploy-reader", "--serviceaccount=team:alice"]);
    expect(await status("/apis/apps/v1/deployments", alice)).toBe(200);
    expect(await status("/apis/apps/v1/namespaces/default/deployments", alice)).toBe(200);
    const get = await forbidden("/apis/apps/v1/namespaces/default/deployments/x", alice);
    expect(get.message).toBe(`deployments.apps "x" is forbidden: User "${ALICE}" cannot get resource "deployments" in API group "apps" in the namespace "default"`);
  });

  test("resourceNames and subresources", async () => {
    await ok(["create", "configmap", "one", "--from-literal=a=1", "-n", "team"]);
    await ok(["create", "configmap", "two", "--from-literal=a=2", "-n", "team"]);
    await ok(["create", "role", "cm-one", "--verb=get", "--resource=configmaps", "--resource-name=one", "-n", "team"]);
    await ok(["create", "rolebinding", "alice-cm-one", "--role=cm-one", "--serviceaccount=team:alice", "-n", "team"]);
    expect(await status("/api/v1/namespaces/team/configmaps/one", alice)).toBe(200);
    const two = await forbidden("/api/v1/namespaces/team/configmaps/two", alice);
    expect(two.message).toBe(`configmaps "two" is forbidden: User "${ALICE}" cannot get resource "configmaps" in API group "" in the namespace "team"`);
    expect(await status("/api/v1/namespaces/team/configmaps", alice)).toBe(403); // a named rule never grants list

    await ok(["run", "web", "--image=local/busybox:1", "-n", "team"]);
    // "pods" does not grant its subresources; "pods/status" does.
    const st = await forbidden("/api/v1/namespaces/team/pods/web/status", alice);
    expect(st.message).toContain(`cannot get resource "pods/status" in API group "" in the namespace "team"`);
    await ok(["create", "role", "pod-status", "--verb=get", "--resource=pods/status", "-n", "team"]);
    await ok(["create", "rolebinding", "alice-pod-status", "--role=pod-status", "--serviceaccount=team:alice", "-n", "team"]);
    expect(await status("/api/v1/namespaces/team/pods/web/status", alice)).toBe(200);
  });

  test.each(["1.32", "1.33"])("kubectl %s auth can-i says yes and no for a service account", async (version) => {
    const bin = `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
    const yes = await s.kubectl(["auth", "can-i", "list", "pods", "-n", "team", `--as=${ALICE}`], { bin });
    expect([yes.code, yes.stdout.trim()]).toEqual([0, "yes"]);
    const no = await s.kubectl(["auth", "can-i", "delete", "pods", "-n", "team", `--as=${ALICE}`], { bin });
    expect([no.code, no.stdout.trim()]).toEqual([1, "no"]);
  });

  test("kubectl auth can-i for a service account, and impersonation needs the impersonate verb", async () => {
    const as = `--as=${ALICE}`;
    const yes = await s.kubectl(["auth", "can-i", "list", "pods", "-n", "team", as]);
    expect([yes.code, yes.stdout.trim()]).toEqual([0, "yes"]);
    const no = await s.kubectl(["auth", "can-i", "delete", "pods", "-n", "team", as]);
    expect([no.code, no.stdout.trim()]).toEqual([1, "no"]);
    const other = await s.kubectl(["auth", "can-i", "list", "pods", "-n", "default", "--as=system:serviceaccount:default:default"]);
    expect(other.stdout.trim()).toBe("no");
    expect((await s.kubectl(["auth", "can-i", "create", "pods"])).stdout.trim()).toBe("yes");

    // The service account itself asks (SelfSubjectAccessReview with its own token).
    const review = await s.api("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
      method: "POST",
      token: alice,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ spec: { resourceAttributes: { verb: "get", resource: "configmaps", namespace: "team", name: "one" } } }),
    });
    expect(review.status).toBe(201);
    expect(((await review.json()) as { status: { allowed: boolean } }).status.allowed).toBe(true);

    // The admin asks about someone else (SubjectAccessReview); a non-resource URL through kubectl.
    const sar = await s.api("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ spec: { user: ALICE, groups: ["system:serviceaccounts"], resourceAttributes: { verb: "list", resource: "pods", namespace: "default" } } }),
    });
    expect(((await sar.json()) as { status: { allowed: boolean } }).status.allowed).toBe(false);
    expect(await status("/apis/authorization.k8s.io/v1/subjectaccessreviews", alice, { method: "POST", body: "{}" })).toBe(403);
    expect((await s.kubectl(["auth", "can-i", "get", "/healthz", as])).stdout.trim()).toBe("yes");
    expect((await s.kubectl(["auth", "can-i", "get", "/metrics", as])).stdout.trim()).toBe("no");

    const imp = await forbidden("/api/v1/namespaces/team/pods", alice, { headers: { "impersonate-user": "admin" } });
    expect(imp.message).toBe(`users "admin" is forbidden: User "${ALICE}" cannot impersonate resource "users" in API group "" at the cluster scope`);
  });

  test("service account tokens die with their service account", async () => {
    await ok(["create", "serviceaccount", "temp", "-n", "team"]);
    const token = (await ok(["create", "token", "temp", "-n", "team"])).trim();
    expect(await status("/apis", token)).toBe(200);
    await ok(["delete", "serviceaccount", "temp", "-n", "team"]);
    await ok(["create", "serviceaccount", "temp", "-n", "team"]); // same name, new uid
    expect(await status("/apis", token)).toBe(401);
    expect(await status("/apis", `${alice.slice(0, -4)}AAAA`)).toBe(401);
  });

  test("every namespace gets a default service account", async () => {
    await ok(["create", "namespace", "fresh"]);
    for (let i = 0; i < 100; i++) {
      if ((await s.kubectl(["get", "serviceaccount", "default", "-n", "fresh"])).code === 0) break;
      await Bun.sleep(100);
    }
    expect((await ok(["create", "token", "default", "-n", "fresh"])).trim()).not.toBe("");
  });
});

describe("node credentials and the node authorizer", () => {
  let joinToken: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    joinToken = readFileSync(join(s.tmp, "data", "join.token"), "utf8").trim();
    for (const node of ["node-a", "node-b"]) {
      const res = await s.api("/apis/kubun.io/v1/nodetokens", { method: "POST", token: joinToken, body: JSON.stringify({ nodeName: node }) });
      expect(res.status).toBe(201);
      tokens[node] = ((await res.json()) as { token: string }).token;
      await ok(["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: node } }));
      await ok(["create", "secret", "generic", `secret-${node}`, "--from-literal=k=v"]);
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `pod-${node}` },
        spec: {
          nodeName: node,
          containers: [{ name: "c", image: "local/busybox:1" }],
          volumes: [{ name: "s", secret: { secretName: `secret-${node}` } }],
        },
      };
      await ok(["create", "-f", "-"], JSON.stringify(pod));
    }
  });

  test("the join token only buys a node credential", async () => {
    expect(await status("/api/v1/namespaces/default/pods", joinToken)).toBe(403);
    const me = await s.api("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
      method: "POST",
      token: tokens["node-a"],
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ spec: { resourceAttributes: { verb: "update", resource: "nodes", name: "node-a" } } }),
    });
    expect(((await me.json()) as { status: { allowed: boolean } }).status.allowed).toBe(true);
  });

  test("a node reads its own pods' secrets, not another node's", async () => {
    const a = tokens["node-a"]!;
    expect(await status("/api/v1/namespaces/default/secrets/secret-node-a", a)).toBe(200);
    const b = await forbidden("/api/v1/namespaces/default/secrets/secret-node-b", a);
    expect(b.message).toBe(
      `secrets "secret-node-b" is forbidden: User "system:node:node-a" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node "node-a" and this object`,
    );
    expect(await status("/api/v1/namespaces/default/secrets", a)).toBe(403);
    expect(await status("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a", a)).toBe(200);
  });

  test("a node updates itself and its pods, not another node or its pods", async () => {
    const a = tokens["node-a"]!;
    const patch = (body: unknown) => ({ method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify(body) });
    const ready = { status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "ok" }] } };
    expect(await status("/api/v1/nodes/node-a/status", a, patch(ready))).toBe(200);
    expect(await status("/api/v1/nodes/node-b/status", a, patch(ready))).toBe(403);
    expect(await status("/api/v1/nodes/node-b", a, patch({ metadata: { labels: { x: "y" } } }))).toBe(403);
    expect(await status("/api/v1/namespaces/default/pods/pod-node-a/status", a, patch({ status: { phase: "Pending" } }))).toBe(200);
    expect(await status("/api/v1/namespaces/default/pods/pod-node-b/status", a, patch({ status: { phase: "Pending" } }))).toBe(403);
    expect(await status("/api/v1/namespaces/default/pods/pod-node-b", a, { method: "DELETE" })).toBe(403);
    expect(await status("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b", a, patch({}))).toBe(403);
  });

  test("deleting the node's token Secret revokes it", async () => {
    const res = await s.api("/apis/kubun.io/v1/nodetokens", { method: "POST", token: joinToken, body: JSON.stringify({ nodeName: "node-c" }) });
    const token = ((await res.json()) as { token: string }).token;
    expect(await status("/api/v1/nodes", token)).toBe(200);
    await ok(["delete", "secret", "node-token.node-c", "-n", "kube-system"]);
    expect(await status("/api/v1/nodes", token)).toBe(401);
  });
});

describe("a pod's service account credentials", () => {
  let c: AgentCluster;
  const DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

  beforeAll(async () => {
    c = await startAgentCluster({ logPort: 0 });
  }, 60_000);
  afterAll(async () => {
    await c?.close();
  }, 60_000);

  async function waitFor<T>(fn: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const v = await fn();
      if (v !== undefined) return v;
      await Bun.sleep(100);
    }
    throw new Error("timed out");
  }

  test("are mounted into the pod's containers and authenticate as its service account while the pod lives", async () => {
    expect((await c.server.kubectl(["create", "serviceaccount", "default"])).code).toBe(0);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "reader" },
      spec: {
        nodeName: c.agent.nodeName,
        terminationGracePeriodSeconds: 0,
        containers: [{ name: "c", image: "local/busybox:1", command: ["sh", "-c", `cat ${DIR}/token; echo; cat ${DIR}/namespace; echo; head -1 ${DIR}/ca.crt; sleep 3600`] }],
      },
    };
    expect((await c.server.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);
    const lines = await waitFor(async () => {
      const r = await c.server.kubectl(["logs", "reader"]);
      const out = r.stdout.split("\n");
      return r.code === 0 && out.length >= 3 && out[2] ? out : undefined;
    });
    expect(lines.slice(1, 3)).toEqual(["default", "-----BEGIN CERTIFICATE-----"]);
    const token = lines[0]!;
    const res = await c.server.api("/api/v1/namespaces/default/secrets", { token });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toContain(`User "system:serviceaccount:default:default" cannot list resource "secrets"`);

    expect((await c.server.kubectl(["delete", "pod", "reader", "--wait=true"])).code).toBe(0);
    expect((await c.server.api("/apis", { token })).status).toBe(401);
  }, 60_000);
});

describe("NodeRestriction, whoami and can-i --list", () => {
  const nodeTokens: Record<string, string> = {};
  const LABEL = "node-restriction.kubernetes.io/trusted";

  beforeAll(async () => {
    const joinToken = readFileSync(join(s.tmp, "data", "join.token"), "utf8").trim();
    for (const node of ["node-r1", "node-r2"]) {
      const res = await s.api("/apis/kubun.io/v1/nodetokens", { method: "POST", token: joinToken, body: JSON.stringify({ nodeName: node }) });
      nodeTokens[node] = ((await res.json()) as { token: string }).token;
    }
  });

  const asNode = (node: string, args: string[], stdin?: string) => s.kubectl([...args, `--token=${nodeTokens[node]}`], stdin === undefined ? {} : { stdin });
  const nodeJson = (name: string, labels: Record<string, string> = {}) => JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name, labels } });

  test("a node registers and deletes only its own Node", async () => {
    const other = await asNode("node-r1", ["create", "-f", "-"], nodeJson("node-r2"));
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(`nodes "node-r2" is forbidden: node "node-r1" is not allowed to modify node "node-r2"`);
    const labelled = await asNode("node-r1", ["create", "-f", "-"], nodeJson("node-r1", { [LABEL]: "yes" }));
    expect(labelled.stderr).toContain(`node "node-r1" is not allowed to set the following labels: ${LABEL}`);
    expect((await asNode("node-r1", ["create", "-f", "-"], nodeJson("node-r1"))).code).toBe(0);
    expect((await asNode("node-r2", ["create", "-f", "-"], nodeJson("node-r2"))).code).toBe(0);
    const del = await asNode("node-r1", ["delete", "node", "node-r2"]);
    expect(del.stderr).toContain(`node "node-r1" is not allowed to modify node "node-r2"`);
    expect((await asNode("node-r2", ["delete", "node", "node-r2"])).code).toBe(0);
  });

  test("a node changes its own labels but not the node-restriction ones", async () => {
    await ok(["label", "node", "node-r1", `${LABEL}=yes`]);
    expect((await asNode("node-r1", ["label", "node", "node-r1", "zone=a"])).code).toBe(0);
    const relabel = await asNode("node-r1", ["label", "node", "node-r1", "--overwrite", `${LABEL}=no`]);
    expect(relabel.stderr).toContain(`nodes "node-r1" is forbidden: is not allowed to modify labels: ${LABEL}`);
    const unlabel = await asNode("node-r1", ["label", "node", "node-r1", `${LABEL}-`]);
    expect(unlabel.stderr).toContain(`is not allowed to modify labels: ${LABEL}`);
    expect(await ok(["get", "node", "node-r1", "-o", `jsonpath={.metadata.labels.zone}/{.metadata.labels.node-restriction\\.kubernetes\\.io/trusted}`])).toBe("a/yes");
  });

  test("kubectl auth whoami names the caller and its groups", async () => {
    const out = await ok(["auth", "whoami", `--token=${alice}`]);
    expect(out).toMatch(new RegExp(`Username\\s+${ALICE}`));
    expect(out).toMatch(/Groups\s+\[system:serviceaccounts system:serviceaccounts:team system:authenticated\]/);
    const review = JSON.parse(await ok(["auth", "whoami", "-o", "json", `--token=${nodeTokens["node-r1"]}`]));
    expect(review.kind).toBe("SelfSubjectReview");
    expect(review.status.userInfo).toMatchObject({ username: "system:node:node-r1", groups: expect.arrayContaining(["system:nodes"]) });
  });

  test("kubectl auth can-i --list prints the rules of the caller's bindings in the namespace", async () => {
    const out = await ok(["auth", "can-i", "--list", "-n", "team", `--token=${alice}`]);
    const row = (resource: string) => out.split("\n").find((l) => l.startsWith(`${resource} `))?.split(/\s{2,}/);
    expect(row("pods")).toEqual(["pods", "[]", "[]", "[get list watch]"]);
    expect(row("configmaps")).toEqual(["configmaps", "[]", "[one]", "[get]"]);
    expect(row("deployments.apps")).toEqual(["deployments.apps", "[]", "[]", "[list]"]);
    // The RoleBindings of namespace team grant nothing elsewhere.
    const elsewhere = await ok(["auth", "can-i", "--list", "-n", "default", `--token=${alice}`]);
    expect(elsewhere).not.toMatch(/^pods /m);
    expect(elsewhere).toMatch(/^deployments\.apps /m);
  });

  test("SelfSubjectRulesReview says a node's rules can't be listed", async () => {
    const res = await s.api("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {
      method: "POST",
      token: nodeTokens["node-r1"],
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace: "default" } }),
    });
    expect(res.status).toBe(201);
    const review = (await res.json()) as { status: { incomplete: boolean; evaluationError: string } };
    expect(review.status).toMatchObject({ incomplete: true, evaluationError: "node authorizer does not support user rule resolution" });
  });
});
