// examples/website-operator/, run as a user runs it (its own process, KUBECONFIG pointing at a
// real server with its controllers; pods need not run): a Website becomes a Deployment and a
// Service it owns, `kubectl scale` on the Website reaches the Deployment, the Website's status
// follows the Deployment's, and deleting the Website takes both with it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const DIR = join(import.meta.dir, "..", "examples", "website-operator");
let s: TestServer;
let operator: ReturnType<typeof Bun.spawn> | undefined;

beforeAll(async () => {
  s = await startTestServer({ controllers: true });
  expect((await s.kubectl(["apply", "-f", join(DIR, "website-crd.yaml")])).code).toBe(0);
  operator = Bun.spawn([process.execPath, join(DIR, "operator.ts")], { env: { ...process.env, KUBECONFIG: s.kubeconfigPath }, stdout: "pipe", stderr: "inherit" });
});

afterAll(async () => {
  operator?.kill("SIGTERM");
  await operator?.exited;
  await s?.close();
});

async function eventually<T>(what: string, get: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await get();
    if (v !== undefined) return v;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const getJson = async (path: string) => {
  const res = await s.api(path);
  return res.status === 200 ? ((await res.json()) as any) : undefined;
};

test("a Website becomes an owned Deployment and Service; scale, status and deletion follow", async () => {
  const applied = await s.kubectl(["apply", "-f", join(DIR, "website.yaml")]);
  expect(applied.stdout).toBe("website.example.com/hello created\n");

  const deploy = await eventually("the deployment", () => getJson("/apis/apps/v1/namespaces/default/deployments/hello"));
  const site = await getJson("/apis/example.com/v1/namespaces/default/websites/hello");
  expect(deploy.metadata.ownerReferences).toEqual([{ apiVersion: "example.com/v1", kind: "Website", name: "hello", uid: site.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  expect(deploy.spec.replicas).toBe(2);
  expect(deploy.spec.template.spec.containers[0]).toMatchObject({ image: "local/busybox:1", ports: [{ containerPort: 8080 }] });
  const svc = await eventually("the service", () => getJson("/api/v1/namespaces/default/services/hello"));
  expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080 });

  // The Website's status follows the Deployment's (the deployment controller counts the pods it made).
  const status = await eventually("the website's status", async () => {
    const w = await getJson("/apis/example.com/v1/namespaces/default/websites/hello");
    return w?.status?.replicas === 2 ? w.status : undefined;
  });
  expect(status.selector).toBe("example.com/website=hello");

  expect((await s.kubectl(["scale", "website", "hello", "--replicas=3"])).stdout).toBe("website.example.com/hello scaled\n");
  await eventually("the deployment to scale", async () => ((await getJson("/apis/apps/v1/namespaces/default/deployments/hello"))?.spec.replicas === 3 ? true : undefined));

  const table = (await s.kubectl(["get", "websites"])).stdout.split("\n");
  expect(table[0]).toMatch(/^NAME\s+IMAGE\s+DESIRED\s+READY\s+AGE$/);
  expect(table[1]).toMatch(/^hello\s+local\/busybox:1\s+3\s+0\s+\S+$/);

  expect((await s.kubectl(["delete", "website", "hello"])).code).toBe(0);
  await eventually("the deployment and service to be collected", async () =>
    (await s.api("/apis/apps/v1/namespaces/default/deployments/hello")).status === 404 && (await s.api("/api/v1/namespaces/default/services/hello")).status === 404 ? true : undefined,
  );
}, 60_000);
