// Resource metrics with real containers: the agent reads CRI stats, reports them with its node
// credential, and `kubectl top` shows them through metrics.k8s.io; a HorizontalPodAutoscaler
// scales a Deployment on them, up while its pods burn CPU and back down once they stop.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
beforeAll(async () => {
  c = await startAgentCluster({
    nodeName: "me-metrics",
    podCIDR: "10.214.10.0/24",
    statsPeriodMs: 1000,
    volumeRefreshMs: 1000,
    // The HPA looks every second and waits 8 s (not 5 min) before scaling down.
    serverOptions: { controllers: { workers: 2, hpaSyncPeriodMs: 1000, hpaDownscaleStabilizationMs: 8000 }, scheduler: {} },
  });
}, 60_000);
afterAll(async () => {
  await c?.close();
}, 60_000);

const IMAGE = "local/busybox:1";
// A tight CPU limit keeps the burn small on a shared machine while the usage stays visible.
const resources = { requests: { cpu: "50m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } };

const running = (name: string) =>
  waitFor(`pod ${name} running`, async () => {
    const p = (await (await c.server.api(`/api/v1/namespaces/default/pods/${name}`)).json()) as Pod;
    return p?.status?.phase === "Running" ? p : null;
  });

/** The CPU column of `kubectl top` in millicores ("37m" or "0"). */
const millis = (cpu: string) => (cpu.endsWith("m") ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000);

describe("kubectl top", () => {
  test("shows non-zero CPU for a busy pod, per container, and for the node", async () => {
    await c.createPod("busy", {
      containers: [
        { name: "burn", image: IMAGE, command: ["sh", "-c", "while :; do :; done"], resources },
        { name: "idle", image: IMAGE, command: ["sleep", "3600"], resources },
      ],
    });
    await running("busy");
    const line = await waitFor("kubectl top pods shows busy", async () => {
      const r = await c.server.kubectl(["top", "pods", "--no-headers"]);
      const row = r.stdout.split("\n").find((l) => l.startsWith("busy "));
      return row && millis(row.split(/\s+/)[1]!) > 0 ? row : null;
    });
    expect(millis(line.split(/\s+/)[1]!)).toBeGreaterThan(20);

    const containers = await c.server.kubectl(["top", "pods", "busy", "--containers", "--no-headers"]);
    expect(containers.code).toBe(0);
    const rows = Object.fromEntries(containers.stdout.trim().split("\n").map((l) => { const f = l.split(/\s+/); return [f[1], millis(f[2]!)]; }));
    expect(rows.burn).toBeGreaterThan(20);
    expect(rows.idle).toBeLessThan(rows.burn!);

    // The figures come from containerd's CRI stats (the cgroup files are only the fallback).
    const stats = await c.agent.runtime.listContainerStats();
    const burn = stats.find((x) => x.attributes?.labels["io.kubernetes.container.name"] === "burn");
    expect(Number(burn?.cpu?.usage_core_nano_seconds?.value)).toBeGreaterThan(0);
    expect(Number(burn?.memory?.working_set_bytes?.value)).toBeGreaterThan(0);

    const all = await c.server.kubectl(["top", "pods", "-A", "--no-headers"]);
    expect(all.stdout).toContain("default");
    expect(all.stdout).toContain("busy");

    const nodes = await waitFor("kubectl top nodes", async () => {
      const r = await c.server.kubectl(["top", "nodes", "--no-headers"]);
      return r.code === 0 && r.stdout.startsWith("me-metrics ") ? r.stdout : null;
    });
    expect(millis(nodes.split(/\s+/)[1]!)).toBeGreaterThan(0);
  });

  test("metrics.k8s.io is discovered, lists by label and answers 404 for what it has no metrics of", async () => {
    const groups = (await (await c.server.api("/apis")).json()) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toContain("metrics.k8s.io");
    const none = await c.server.api("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope");
    expect(none.status).toBe(404);
    const list = (await (await c.server.api("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dnothing")).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  test("a node reports only its own usage and its own pods", async () => {
    const token = readFileSync(join(c.dataDir, "node-me-metrics.token"), "utf8").trim();
    const sample = { timeMs: Date.now(), cpuSeconds: 1, memoryWorkingSetBytes: 1 };
    const put = (node: string, pods: unknown[]) =>
      c.server.api(`/apis/kubun.io/v1/nodeusagereports/${node}`, {
        method: "PUT",
        token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "kubun.io/v1", kind: "NodeUsageReport", node: sample, pods }),
      });
    expect((await put("someone-else", [])).status).toBe(403);
    // A pod bound to another node: the API creates it bound elsewhere, the agent never runs it.
    const res = await c.server.api("/api/v1/namespaces/default/pods", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "elsewhere" }, spec: { nodeName: "other-node", containers: [{ name: "c", image: IMAGE }] } }),
    });
    const pod = (await res.json()) as Pod;
    const forged = await put("me-metrics", [{ namespace: "default", name: "elsewhere", uid: pod.metadata.uid, containers: [{ name: "c", id: "x", ...sample }] }]);
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { message: string }).message).toContain("only report the usage of pods bound to it");
    const bad = await put("me-metrics", [{ namespace: "default" }]);
    expect(bad.status).toBe(400);
  });
});

describe("HorizontalPodAutoscaler", () => {
  test("scales a deployment 1 → 3 while its pods burn CPU, and back to 1 after the stabilization window once they stop", async () => {
    // The loop reads its mode from a config map with shell builtins only, so it burns without forking
    // (the file has no final newline: read fails at its end, so its status is not the loop's test).
    const manifest = `
apiVersion: v1
kind: ConfigMap
metadata: { name: load }
data: { mode: burn }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: app
        image: ${IMAGE}
        command: ["sh", "-c", "while read m < /cfg/mode; [ \\"$m\\" = burn ]; do :; done; exec sleep 3600"]
        resources: { requests: { cpu: 50m, memory: 16Mi }, limits: { cpu: 100m, memory: 32Mi } }
        volumeMounts: [{ name: cfg, mountPath: /cfg }]
      volumes: [{ name: cfg, configMap: { name: load } }]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: { name: cpu, target: { type: Utilization, averageUtilization: 50 } }
`;
    const applied = await c.server.kubectl(["apply", "-f", "-"], { stdin: manifest });
    expect(applied.stderr).toBe("");
    let seen = "";
    const replicas = async () => {
      // What the HPA last reported, for the failure message of a wait that times out.
      seen = JSON.stringify(((await (await c.server.api("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")).json()) as { status?: unknown }).status);
      return ((await (await c.server.api("/apis/apps/v1/namespaces/default/deployments/web")).json()) as { spec: { replicas: number } }).spec.replicas;
    };

    await waitFor("scaled up to 3", async () => ((await replicas()) === 3 ? true : null), { timeoutMs: 60_000, detail: () => seen });
    // The controller writes the scale first, then its own status: the status follows a moment later.
    const hpa = await waitFor("the HPA's status after the scale", async () => {
      const h = (await (await c.server.api("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")).json()) as any;
      return h.status?.lastScaleTime ? h : null;
    }, { timeoutMs: 30_000, detail: () => seen });
    expect(hpa.status.lastScaleTime).toBeString();
    expect(hpa.status.conditions.find((x: any) => x.type === "AbleToScale").status).toBe("True");
    const get = await c.server.kubectl(["get", "hpa", "web", "--no-headers"]);
    expect(get.stdout).toMatch(/^web\s+Deployment\/web\s+cpu: (\d+%|<unknown>)\/50%\s+1\s+3\s+\d/);
    // Events are recorded asynchronously (the recorder's queue): wait for the rescale's.
    const events = await waitFor("the rescale event", async () => {
      const r = await c.server.kubectl(["get", "events", "--field-selector", "involvedObject.kind=HorizontalPodAutoscaler", "-o", "jsonpath={.items[*].message}"]);
      return r.stdout.includes("reason: cpu resource utilization (percentage of request) above target") ? r : null;
    }, { timeoutMs: 30_000 });
    expect(events.stdout).toContain("reason: cpu resource utilization (percentage of request) above target");

    // Stop the burn: the config map changes, every pod's loop ends.
    const patched = await c.server.kubectl(["patch", "configmap", "load", "-p", '{"data":{"mode":"idle"}}']);
    expect(patched.code).toBe(0);
    await waitFor("scaled back to 1", async () => ((await replicas()) === 1 ? true : null), { timeoutMs: 90_000, detail: () => seen });
    const after = await waitFor("the scale-down event", async () => {
      const r = await c.server.kubectl(["get", "events", "--field-selector", "involvedObject.kind=HorizontalPodAutoscaler", "-o", "jsonpath={.items[*].message}"]);
      return r.stdout.includes("New size: 1; reason: All metrics below target") ? r : null;
    }, { timeoutMs: 30_000 });
    expect(after.stdout).toContain("New size: 1; reason: All metrics below target");
    await c.server.kubectl(["delete", "-f", "-", "--wait=false"], { stdin: manifest });
  }, 180_000);

  test("metric types kubun does not read are refused with a 422 naming the field", async () => {
    const bad = await c.server.kubectl(["apply", "-f", "-"], {
      stdin: `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: bad }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  maxReplicas: 0
  metrics:
  - type: Pods
    pods: { metric: { name: qps }, target: { type: AverageValue, averageValue: "1" } }
`,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("spec.maxReplicas");
    expect(bad.stderr).toContain('spec.metrics[0].type: Unsupported value: "Pods"');
  });
});
