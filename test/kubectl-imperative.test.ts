// kubectl 1.32+ sends its imperative `create <kind>` bodies as Kubernetes protobuf: every form
// must create the object kubectl meant, for each kubectl version installed here.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PROTOBUF_MAGIC } from "../src/api/protobuf/index.ts";
import { bodyBytes, KUBECTL_BODIES } from "../src/api/protobuf/kubectl-bodies.fixture.ts";
import { startTestServer, type KubectlResult, type TestServer } from "./helpers/server.ts";

const VERSIONS = ["1.32", "1.33"];

let s: TestServer;
let homes = 0;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

/** Runs one specific kubectl release (not the /usr/bin dispatcher) with a fresh HOME. */
async function kubectl(version: string, args: string[]): Promise<KubectlResult> {
  const proc = Bun.spawn([`/usr/lib/google-cloud-sdk/bin/kubectl.${version}`, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(s.tmp, `imperative-home-${homes++}`), KUBECONFIG: s.kubeconfigPath },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function get(path: string): Promise<any> {
  const res = await s.api(path);
  expect(res.status).toBe(200);
  return res.json();
}

describe.each(VERSIONS)("kubectl %s imperative create", (version) => {
  const ns = `imperative-${version.replace(".", "-")}`;
  const run = async (...args: string[]) => {
    const r = await kubectl(version, args);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return r.stdout;
  };

  test("create namespace", async () => {
    expect(await run("create", "namespace", ns)).toBe(`namespace/${ns} created\n`);
    const got = await get(`/api/v1/namespaces/${ns}`);
    expect(got.metadata.name).toBe(ns);
    expect(got.metadata.uid).toBeString();
  });

  test("create configmap --from-literal", async () => {
    await run("create", "configmap", "settings", "--from-literal=mode=fast", "--from-literal=level=3", "-n", ns);
    const got = await get(`/api/v1/namespaces/${ns}/configmaps/settings`);
    expect(got.data).toEqual({ mode: "fast", level: "3" });
  });

  test("create secret generic --from-literal", async () => {
    await run("create", "secret", "generic", "creds", "--from-literal=password=hunter2", "-n", ns);
    const got = await get(`/api/v1/namespaces/${ns}/secrets/creds`);
    expect(Buffer.from(got.data.password, "base64").toString()).toBe("hunter2");
  });

  test("create deployment --image --replicas", async () => {
    await run("create", "deployment", "web", "--image=busybox:1.36", "--replicas=3", "-n", ns);
    const got = await get(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
    expect(got.spec.replicas).toBe(3);
    expect(got.spec.selector).toEqual({ matchLabels: { app: "web" } });
    expect(got.spec.template.metadata.labels).toEqual({ app: "web" });
    expect(got.spec.template.spec.containers).toHaveLength(1);
    expect(got.spec.template.spec.containers[0]).toMatchObject({ name: "busybox", image: "busybox:1.36" });
  });

  test("create deployment --port", async () => {
    await run("create", "deployment", "api", "--image=busybox", "--port=8080", "-n", ns);
    const got = await get(`/apis/apps/v1/namespaces/${ns}/deployments/api`);
    expect(got.spec.replicas).toBe(1);
    expect(got.spec.template.spec.containers[0].ports).toEqual([expect.objectContaining({ containerPort: 8080 })]);
  });

  test("create service clusterip --tcp", async () => {
    await run("create", "service", "clusterip", "front", "--tcp=80:8080", "-n", ns);
    const got = await get(`/api/v1/namespaces/${ns}/services/front`);
    expect(got.spec.type).toBe("ClusterIP");
    expect(got.spec.selector).toEqual({ app: "front" });
    expect(got.spec.ports).toEqual([expect.objectContaining({ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 })]);
  });

  test("create job -- command", async () => {
    await run("create", "job", "once", "--image=busybox", "-n", ns, "--", "sh", "-c", "exit 0");
    const got = await get(`/apis/batch/v1/namespaces/${ns}/jobs/once`);
    expect(got.spec.template.spec.restartPolicy).toBe("Never");
    expect(got.spec.template.spec.containers[0]).toMatchObject({ name: "once", image: "busybox", command: ["sh", "-c", "exit 0"] });
    expect(got.spec.selector.matchLabels["batch.kubernetes.io/controller-uid"]).toBe(got.metadata.uid);
  });

  test("create cronjob --schedule, then create job --from=cronjob", async () => {
    await run("create", "cronjob", "nightly", "--image=busybox", "--schedule=0 3 * * *", "--restart=OnFailure", "-n", ns, "--", "date");
    const cj = await get(`/apis/batch/v1/namespaces/${ns}/cronjobs/nightly`);
    expect(cj.spec).toMatchObject({ schedule: "0 3 * * *", concurrencyPolicy: "Allow", suspend: false });
    expect(cj.spec.jobTemplate.spec.template.spec).toMatchObject({ restartPolicy: "OnFailure", containers: [expect.objectContaining({ command: ["date"] })] });
    await run("create", "job", "nightly-now", "--from=cronjob/nightly", "-n", ns);
    const job = await get(`/apis/batch/v1/namespaces/${ns}/jobs/nightly-now`);
    expect(job.metadata.annotations).toEqual({ "cronjob.kubernetes.io/instantiate": "manual" });
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "CronJob", name: "nightly", uid: cj.metadata.uid })]);
  });

  test("create serviceaccount", async () => {
    await run("create", "serviceaccount", "robot", "-n", ns);
    const got = await get(`/api/v1/namespaces/${ns}/serviceaccounts/robot`);
    expect(got.metadata.name).toBe("robot");
  });
});

describe("a protobuf body that doesn't decode", () => {
  test.each([
    ["truncated", bodyBytes(KUBECTL_BODIES.configmap).subarray(0, 30)],
    ["without the envelope prefix", bodyBytes(KUBECTL_BODIES.configmap).subarray(PROTOBUF_MAGIC.byteLength)],
  ])("%s: 400 BadRequest and nothing written", async (_, body) => {
    const path = "/api/v1/namespaces/default/configmaps";
    const before = (await get(path)).items.length;
    const res = await s.api(path, { method: "POST", headers: { "content-type": "application/vnd.kubernetes.protobuf" }, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ kind: "Status", code: 400, reason: "BadRequest" });
    expect((await get(path)).items.length).toBe(before);
  });
});
