// Resource metrics with real containers: the agent reads CRI stats, reports them with its node
// credential, and `kubectl top` shows them through metrics.k8s.io.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
beforeAll(async () => {
  c = await startAgentCluster({ nodeName: "me-metrics", podCIDR: "10.214.10.0/24", statsPeriodMs: 1000 });
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
