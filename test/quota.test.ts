// ResourceQuota and LimitRange with real kubectl against a real server (controllers on, no nodes):
// admission refuses what goes past a quota with Kubernetes' messages, the quota controller keeps
// status.used current, and `kubectl describe quota` prints it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { waitFor } from "./helpers/wait.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ controllers: {} });
});
afterAll(() => s.close());

const pod = (name: string, cpu?: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { containers: [{ name: "c", image: "busybox", ...(cpu ? { resources: { requests: { cpu } } } : {}) }] },
  });

async function used(ns: string, name: string): Promise<Record<string, string> | undefined> {
  const r = await s.kubectl(["get", "quota", name, "-n", ns, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout).status?.used : undefined;
}

test("kubectl create quota; pods past it are refused; describe; deleting a pod frees quota", async () => {
  expect((await s.kubectl(["create", "namespace", "q1"])).code).toBe(0);
  const created = await s.kubectl(["create", "quota", "compute", "-n", "q1", "--hard=requests.cpu=1,pods=2"]);
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
  for (const name of ["a", "b"]) {
    const r = await s.kubectl(["create", "-n", "q1", "-f", "-"], { stdin: pod(name, "500m") });
    expect(r.stderr).toBe("");
  }
  const third = await s.kubectl(["create", "-n", "q1", "-f", "-"], { stdin: pod("c", "500m") });
  expect(third.code).not.toBe(0);
  expect(third.stderr).toContain(
    'pods "c" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=1, limited: pods=2,requests.cpu=1',
  );
  const noRequests = await s.kubectl(["create", "-n", "q1", "-f", "-"], { stdin: pod("d") });
  expect(noRequests.stderr).toContain('pods "d" is forbidden: failed quota: compute: must specify requests.cpu for: c');

  await waitFor("status.used", async () => (await used("q1", "compute"))?.pods === "2");
  const describe = await s.kubectl(["describe", "quota", "compute", "-n", "q1"]);
  expect(describe.stdout).toMatch(/Resource\s+Used\s+Hard/);
  expect(describe.stdout).toMatch(/pods\s+2\s+2/);
  expect(describe.stdout).toMatch(/requests\.cpu\s+1\s+1/);
  const get = await s.kubectl(["get", "quota", "-n", "q1"]);
  expect(get.stdout).toMatch(/NAME\s+AGE\s+REQUEST\s+LIMIT/);
  expect(get.stdout).toContain("pods: 2/2, requests.cpu: 1/1");

  expect((await s.kubectl(["delete", "pod", "a", "-n", "q1", "--wait=false"])).code).toBe(0);
  await waitFor("status.used after the delete", async () => (await used("q1", "compute"))?.pods === "1");
  expect((await used("q1", "compute"))?.["requests.cpu"]).toBe("500m");
  const again = await s.kubectl(["create", "-n", "q1", "-f", "-"], { stdin: pod("c", "500m") });
  expect(again.stderr).toBe("");
});

test("a count/configmaps quota refuses the configmap past it", async () => {
  expect((await s.kubectl(["create", "namespace", "q2"])).code).toBe(0);
  expect((await s.kubectl(["create", "quota", "objects", "-n", "q2", "--hard=count/configmaps=1"])).code).toBe(0);
  expect((await s.kubectl(["create", "configmap", "one", "-n", "q2"])).stderr).toBe("");
  const two = await s.kubectl(["create", "configmap", "two", "-n", "q2"]);
  expect(two.stderr).toContain(
    'configmaps "two" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1',
  );
});

test("a quota naming what kubun can't count is refused with 422 naming the field", async () => {
  const r = await s.kubectl(["create", "quota", "bad", "-n", "default", "--hard=widgets=1"]);
  expect(r.stderr).toContain("spec.hard[widgets]");
  const sel = await s.kubectl(["create", "quota", "sel", "-n", "default", "--hard=pods=1", "--scopes=PriorityClass"]);
  expect(sel.code).not.toBe(0);
});
