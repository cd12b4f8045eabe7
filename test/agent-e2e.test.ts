// The agent against a real containerd: pods get sandboxes with real IPs on the agent's bridge,
// containers run from the local test images, and the API shows what the runtime does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
beforeAll(async () => {
  c = await startAgentCluster({ logPort: 0 });
}, 60_000);
afterAll(async () => {
  await c?.close();
}, 60_000);

const IMAGE = "local/busybox:1";

const createPod = (name: string, spec: Record<string, unknown>, extra?: Record<string, unknown>) => c.createPod(name, spec, extra);

async function getPod(name: string): Promise<Pod | null> {
  const res = await c.server.api(`/api/v1/namespaces/default/pods/${name}`);
  if (res.status === 404) return null;
  return res.json() as Promise<Pod>;
}


const running = (name: string) =>
  waitFor(`pod ${name} running`, async () => {
    const p = await getPod(name);
    return p?.status?.phase === "Running" && p.status.podIP && p.status.containerStatuses?.every((s) => s.ready) ? p : null;
  });

const httpGet = (url: string) => fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.text() : null));

describe("agent with containerd", () => {
  test("the node registers with its podCIDR, capacity and runtime", async () => {
    const node = (await (await c.server.api(`/api/v1/nodes/${c.agent.nodeName}`)).json()) as any;
    expect(node.spec.podCIDR).toBe("10.213.7.0/24");
    expect(node.status.capacity.pods).toBe("110");
    expect(node.status.nodeInfo.kubeletVersion).toBe("v1.32.0-kubun");
    expect(node.status.nodeInfo.containerRuntimeVersion).toStartWith("containerd://");
    const lease = await c.server.api(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${c.agent.nodeName}`);
    expect(lease.status).toBe(200);
  });

  test("a busybox httpd pod runs with an IP and serves its hostname", async () => {
    await createPod("web", { containers: [{ name: "httpd", image: IMAGE }] });
    const pod = await running("web");
    expect(pod.status!.podIP).toStartWith("10.213.7.");
    expect(pod.status!.hostIP).toBe(c.agent.hostIP);
    expect(pod.status!.containerStatuses![0]!.containerID).toStartWith("containerd://");
    expect(pod.status!.conditions!.find((x) => x.type === "Ready")?.status).toBe("True");
    expect(await waitFor("httpd answers", () => httpGet(`http://${pod.status!.podIP}/`))).toBe("web\n");
  });

  test("kubectl logs reads the container's output through the API server and the agent", async () => {
    await createPod("talker", {
      containers: [{ name: "talk", image: IMAGE, command: ["sh", "-c", "for i in 1 2 3; do echo line $i; done; sleep 3600"] }],
    });
    await running("talker");
    const out = await waitFor("log lines", async () => {
      const r = await c.server.kubectl(["logs", "talker"]);
      return r.code === 0 && r.stdout.includes("line 3") ? r.stdout : null;
    });
    expect(out).toBe("line 1\nline 2\nline 3\n");
    const tail = await c.server.kubectl(["logs", "talker", "--tail=1"]);
    expect(tail.stdout).toBe("line 3\n");
  });

  test("two containers of a pod share localhost", async () => {
    await createPod("pair", {
      containers: [
        { name: "httpd", image: IMAGE },
        {
          name: "relay",
          image: IMAGE,
          command: ["sh", "-c", "mkdir -p /www; until wget -qO /www/index.html http://127.0.0.1:80/; do sleep 0.2; done; exec httpd -f -p 8080 -h /www"],
        },
      ],
    });
    const pod = await running("pair");
    expect(await waitFor("relay answers", () => httpGet(`http://${pod.status!.podIP}:8080/`))).toBe("pair\n");
  });

  test("env from a configMap and a secret volume reach the container", async () => {
    const post = (path: string, body: unknown) =>
      c.server.api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post("/api/v1/namespaces/default/configmaps", { metadata: { name: "settings" }, data: { greeting: "hello from a configmap" } })).status).toBe(201);
    expect((await post("/api/v1/namespaces/default/secrets", { metadata: { name: "creds" }, data: { password: Buffer.from("s3cret").toString("base64") } })).status).toBe(201);
    await createPod("config", {
      volumes: [{ name: "creds", secret: { secretName: "creds" } }],
      containers: [
        {
          name: "app",
          image: IMAGE,
          env: [
            { name: "GREETING", valueFrom: { configMapKeyRef: { name: "settings", key: "greeting" } } },
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          ],
          volumeMounts: [{ name: "creds", mountPath: "/etc/creds" }],
          command: ["sh", "-c", 'mkdir -p /www; echo "$GREETING ($POD_NAME)" > /www/env; cp /etc/creds/password /www/secret; exec httpd -f -p 80 -h /www'],
        },
      ],
    });
    const pod = await running("config");
    expect(await waitFor("env file", () => httpGet(`http://${pod.status!.podIP}/env`))).toBe("hello from a configmap (config)\n");
    expect(await httpGet(`http://${pod.status!.podIP}/secret`)).toBe("s3cret");
  });

  test("a crashing container restarts into CrashLoopBackOff with a growing back-off", async () => {
    await createPod("crash", { containers: [{ name: "boom", image: IMAGE, command: ["sh", "-c", "echo dying; exit 3"] }] });
    const messages = new Set<string>();
    const pod = await waitFor(
      "three restarts",
      async () => {
        const p = await getPod("crash");
        const s = p?.status?.containerStatuses?.[0];
        if (s?.state?.waiting?.reason === "CrashLoopBackOff") messages.add(s.state.waiting.message ?? "");
        return s && s.restartCount >= 3 && messages.size >= 2 ? p : null;
      },
      { timeoutMs: 30_000 },
    );
    const s = pod!.status!.containerStatuses![0]!;
    expect(s.lastState?.terminated?.exitCode ?? s.state?.terminated?.exitCode).toBe(3);
    const delays = [...messages].map((m) => Number(/back-off (\d+)s/.exec(m)?.[1]));
    expect(Math.max(...delays)).toBeGreaterThan(Math.min(...delays));
    expect(pod!.status!.phase).toBe("Running");
  }, 40_000);

  test("deleting a pod stops it, frees its IP and removes it from the API", async () => {
    await createPod("doomed", { terminationGracePeriodSeconds: 2, containers: [{ name: "httpd", image: IMAGE }] });
    const pod = await running("doomed");
    const ip = pod.status!.podIP!;
    const ipamDir = join(c.dataDir, "cni", "ipam", "kubun");
    expect(existsSync(join(ipamDir, ip))).toBe(true);
    const res = await c.server.api("/api/v1/namespaces/default/pods/doomed", { method: "DELETE" });
    expect(res.status).toBe(200);
    await waitFor("pod gone from the API", async () => (await getPod("doomed")) === null);
    expect(await c.agent.runtime.listPodSandbox({ label_selector: { "io.kubernetes.pod.uid": pod.metadata.uid! } })).toEqual([]);
    expect(readdirSync(ipamDir)).not.toContain(ip);
    expect(await httpGet(`http://${ip}/`).catch(() => "unreachable")).toBe("unreachable");
  });
});
