// An agent on a cluster of two servers on one PostgreSQL datastore, whose server is killed:
// real server processes, a real agent with its own containerd, a real private PostgreSQL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent, type RunningAgent } from "../agent/index.ts";
import { LOCAL_SANDBOX_IMAGE } from "../agent/agent.ts";
import { buildTestImages } from "../scripts/build-test-images.ts";
import { requireContainerHost } from "./helpers/agent-cluster.ts";
import { havePostgres, startPostgres, type TestPostgres } from "./helpers/postgres.ts";
import { spawnServer, type ServerProcess } from "./helpers/server-process.ts";

let pg: TestPostgres;
let tmp: string;
let agentDir: string;
let agent: RunningAgent | undefined;
const procs: ServerProcess[] = [];

async function sh(cmd: string[]): Promise<void> {
  await Bun.spawn(cmd, { stdout: "ignore", stderr: "ignore" }).exited;
}

beforeAll(async () => {
  if (!havePostgres) return;
  requireContainerHost();
  pg = await startPostgres();
  tmp = mkdtempSync(join(tmpdir(), "kubun-ha-agent-"));
  agentDir = mkdtempSync(join(tmpdir(), "kubun-pg-agent-"));
}, 60_000);

afterAll(async () => {
  if (agent) {
    await agent.stop({ removePods: true, stopContainerd: true }).catch(() => {});
    await sh(["ip", "link", "del", agent.bridge]);
  }
  if (agentDir) {
    const mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1] ?? "")
      .filter((m) => m.startsWith(agentDir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await sh(["umount", "-l", m]);
    rmSync(agentDir, { recursive: true, force: true });
  }
  for (const p of procs) {
    p.proc.kill("SIGKILL");
    await p.proc.exited;
  }
  await pg?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

test.skipIf(!havePostgres)("an agent whose server dies keeps its pods running, fails over to the other server and its Node stays Ready", async () => {
  const images = await buildTestImages();
  const url = await pg.createDatabase("agent_failover");
  const a = await spawnServer(join(tmp, "a"), { args: ["--datastore-endpoint", url, "--disable-scheduler"], tmpDir: join(tmp, "a-tmp") });
  procs.push(a);
  const token = readFileSync(join(tmp, "a", "server.token"), "utf8").trim();
  const b = await spawnServer(join(tmp, "b"), { args: ["--datastore-endpoint", url, "--disable-scheduler", "--token", token], tmpDir: join(tmp, "b-tmp") });
  procs.push(b);
  const ca = readFileSync(join(tmp, "a", "tls", "ca.crt"), "utf8");
  const admin = readFileSync(join(tmp, "a", "admin.token"), "utf8").trim();
  const api = (server: string, path: string, init: RequestInit = {}) =>
    fetch(`${server}${path}`, { ...init, headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" }, tls: { ca } } as RequestInit);

  agent = await startAgent({
    server: a.url,
    fallbackServers: [b.url],
    token: readFileSync(join(tmp, "a", "join.token"), "utf8").trim(),
    ca,
    nodeName: "pg-agent",
    dataDir: agentDir,
    podCIDR: "10.214.19.0/24",
    imageDirs: [join(images.pause, "..")],
    sandboxImage: LOCAL_SANDBOX_IMAGE,
    syncPeriodMs: 300,
    statusPeriodMs: 2000,
    log: () => {},
    serviceProxy: false,
  });
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "keeps-running" }, spec: { nodeName: "pg-agent", containers: [{ name: "c", image: "local/busybox:1", command: ["sleep", "3600"] }] } };
  expect((await api(a.url, "/api/v1/namespaces/default/pods", { method: "POST", body: JSON.stringify(pod) })).status).toBe(201);
  const podPhase = async (server: string) => ((await (await api(server, "/api/v1/namespaces/default/pods/keeps-running")).json()) as { status?: { phase?: string; containerStatuses?: { containerID?: string }[] } }).status;
  for (let i = 0; i < 300 && (await podPhase(a.url))?.phase !== "Running"; i++) await Bun.sleep(200);
  const before = await podPhase(a.url);
  expect(before?.phase).toBe("Running");

  a.proc.kill("SIGKILL");
  await a.proc.exited;
  // The node's heartbeat Lease keeps being renewed, now through B.
  const renewTime = async () => ((await (await api(b.url, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/pg-agent")).json()) as { spec: { renewTime: string } }).spec.renewTime;
  const killed = await renewTime();
  for (let i = 0; i < 100 && (await renewTime()) === killed; i++) await Bun.sleep(200);
  expect(await renewTime()).not.toBe(killed);
  // Past the node monitor grace period's first checks, the Node is still Ready and the pod still the same container.
  await Bun.sleep(5000);
  const node = (await (await api(b.url, "/api/v1/nodes/pg-agent")).json()) as { status: { conditions: { type: string; status: string }[] } };
  expect(node.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
  const after = await podPhase(b.url);
  expect(after?.phase).toBe("Running");
  expect(after?.containerStatuses?.[0]?.containerID).toBe(before?.containerStatuses?.[0]?.containerID);
}, 180_000);
