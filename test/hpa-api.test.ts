// HorizontalPodAutoscaler through the API and kubectl, without containers: autoscaling/v2 is
// stored, autoscaling/v1 (what `kubectl autoscale` creates) is converted at the edge with v2's
// extra fields kept in the autoscaling.alpha.kubernetes.io annotations, as upstream.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
}, 30_000);
afterAll(async () => {
  await s?.close();
});

const json = async (path: string) => (await s.api(path)).json() as Promise<any>;
const V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers";
const V2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";

test("kubectl autoscale creates a v1 HPA that reads back as v2 with a cpu utilization metric", async () => {
  expect((await s.kubectl(["create", "deployment", "web", "--image=local/busybox:1"])).code).toBe(0);
  const r = await s.kubectl(["autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80"]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toContain("horizontalpodautoscaler.autoscaling/web autoscaled");
  const v2 = await json(`${V2}/web`);
  expect(v2.apiVersion).toBe("autoscaling/v2");
  expect(v2.spec).toEqual({
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
    minReplicas: 2,
    maxReplicas: 5,
    metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }],
  });
  const v1 = await json(`${V1}/web`);
  expect(v1.apiVersion).toBe("autoscaling/v1");
  expect(v1.spec).toEqual({ scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 });
  const get = await s.kubectl(["get", "hpa", "web", "--no-headers"]);
  expect(get.stdout).toMatch(/^web\s+Deployment\/web\s+cpu: <unknown>\/80%\s+2\s+5\s+0\s+/);
});

test("v2-only fields show in v1 as annotations and survive a v1 patch", async () => {
  const body = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "mem" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      maxReplicas: 4,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } },
        { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "64Mi" } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 30 } },
    },
  };
  const created = await s.api(V2, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(created.status).toBe(201);
  const v1 = await json(`${V1}/mem`);
  expect(v1.spec.targetCPUUtilizationPercentage).toBe(60);
  expect(JSON.parse(v1.metadata.annotations["autoscaling.alpha.kubernetes.io/metrics"])).toEqual([{ type: "Resource", resource: { name: "memory", targetAverageValue: "64Mi" } }]);
  expect(JSON.parse(v1.metadata.annotations["autoscaling.alpha.kubernetes.io/behavior"]).scaleDown.stabilizationWindowSeconds).toBe(30);

  const patched = await s.kubectl(["patch", "hpa.v1.autoscaling", "mem", "-p", '{"spec":{"maxReplicas":7}}']);
  expect(patched.code).toBe(0);
  const v2 = await json(`${V2}/mem`);
  expect(v2.spec.maxReplicas).toBe(7);
  expect(v2.spec.metrics).toHaveLength(2);
  expect(v2.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(30);
  expect(v2.metadata.annotations).toBeUndefined();
  const list = await json(V1);
  expect(list.kind).toBe("HorizontalPodAutoscalerList");
  expect(list.items.every((h: any) => h.apiVersion === "autoscaling/v1")).toBe(true);
});

test("bad input is a 422 naming the field, in either version", async () => {
  const post = (path: string, spec: object) =>
    s.api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ metadata: { name: "bad" }, spec }) });
  const r1 = await post(V1, { scaleTargetRef: { kind: "Deployment", name: "web" }, minReplicas: 3, maxReplicas: 2 });
  expect(r1.status).toBe(422);
  expect(((await r1.json()) as any).details.causes.map((c: any) => c.field)).toEqual(["spec.maxReplicas"]);
  const r2 = await post(V2, { scaleTargetRef: { kind: "Deployment", name: "web" }, maxReplicas: 2, metrics: [{ type: "Object", object: {} }] });
  expect(r2.status).toBe(422);
  expect(((await r2.json()) as any).details.causes[0]).toMatchObject({ field: "spec.metrics[0].type", reason: "FieldValueNotSupported" });
});

test("discovery prefers autoscaling/v2 and serves v1 too", async () => {
  const g = await json("/apis/autoscaling");
  expect(g.preferredVersion.version).toBe("v2");
  expect(g.versions.map((v: any) => v.version)).toEqual(["v2", "v1"]);
  const v1 = await json("/apis/autoscaling/v1");
  expect(v1.resources.map((r: any) => r.name)).toContain("horizontalpodautoscalers");
});

test("kubectl apply of a v1 manifest and kubectl describe work", async () => {
  const manifest = `apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: { name: applied }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  maxReplicas: 3
  targetCPUUtilizationPercentage: 70
`;
  const first = await s.kubectl(["apply", "-f", "-"], { stdin: manifest });
  expect(first.stderr).toBe("");
  const again = await s.kubectl(["apply", "-f", "-"], { stdin: manifest.replace("maxReplicas: 3", "maxReplicas: 4") });
  expect(again.stderr).toBe("");
  expect((await json(`${V2}/applied`)).spec.maxReplicas).toBe(4);
  const d = await s.kubectl(["describe", "hpa", "applied"]);
  expect(d.code).toBe(0);
  expect(d.stdout).toContain("Reference:");
  expect(d.stdout).toContain("Deployment/web");
});

test("view (through system:aggregated-metrics-reader) may read metrics.k8s.io; a user without it may not", async () => {
  const ok = async (args: string[]) => {
    const r = await s.kubectl(args);
    expect(r.stderr).toBe("");
    return r.stdout;
  };
  await ok(["create", "serviceaccount", "viewer"]);
  await ok(["create", "serviceaccount", "nobody"]);
  await ok(["create", "rolebinding", "viewer-view", "--clusterrole=view", "--serviceaccount=default:viewer"]);
  const viewer = (await ok(["create", "token", "viewer"])).trim();
  const nobody = (await ok(["create", "token", "nobody"])).trim();
  const pods = "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods";
  expect((await s.api(pods, { token: viewer })).status).toBe(200);
  expect((await s.api(pods, { token: nobody })).status).toBe(403);
  const role = await json("/apis/rbac.authorization.k8s.io/v1/clusterroles/system:aggregated-metrics-reader");
  expect(role.metadata.labels["rbac.authorization.k8s.io/aggregate-to-view"]).toBe("true");
});

test("a v1 watch streams v1 objects", async () => {
  const res = await s.api(`${V1}?watch=1&timeoutSeconds=1`);
  const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.every((e) => e.type === "ADDED" && e.object.apiVersion === "autoscaling/v1")).toBe(true);
});
