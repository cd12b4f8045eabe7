// A real server plus a real agent with its own containerd (own root, state, socket, bridge) in a
// temporary folder, and the cleanup that leaves the machine as it was: pods stopped, sandboxes
// removed, containerd killed by PID, the bridge, netns mounts and files gone.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_SANDBOX_IMAGE, startAgent, type AgentOptions, type RunningAgent } from "../../agent/index.ts";
import { buildTestImages } from "../../scripts/build-test-images.ts";
import type { Pod } from "../../src/apis/index.ts";
import type { ServerOptions } from "../../src/cli/server.ts";
import { startTestServer, type TestServer } from "./server.ts";

export interface AgentCluster {
  server: TestServer;
  agent: RunningAgent;
  dataDir: string;
  /** Creates a pod in `default` bound to the agent's node (spec.nodeName preset); throws unless 201. */
  createPod(name: string, spec: Record<string, unknown>, extra?: Record<string, unknown>): Promise<Pod>;
  close(): Promise<void>;
}

/** Fails loudly (never skips) when the machine cannot run containers. */
export function requireContainerHost(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push("must run as root");
  for (const bin of ["/usr/bin/containerd", "/usr/bin/ctr", "/usr/lib/cni/bridge"]) if (!existsSync(bin)) problems.push(`${bin} is missing`);
  if (!existsSync("/usr/sbin/runc") && !existsSync("/usr/bin/runc")) problems.push("runc is missing");
  if (problems.length) throw new Error(`the agent e2e tests need a container host (run scripts/prepare.ts --test as root): ${problems.join("; ")}`);
}

async function sh(cmd: string[]): Promise<void> {
  await Bun.spawn(cmd, { stdout: "ignore", stderr: "ignore" }).exited;
}

export interface AgentClusterOptions extends Partial<AgentOptions> {
  /** Options of the test server, e.g. `controllers: {}` to run the controller manager in it. */
  serverOptions?: Partial<ServerOptions>;
}

/** The agent runs without the service proxy (opts.serviceProxy turns it on, on its own interface). */
export async function startAgentCluster(clusterOpts: AgentClusterOptions = {}): Promise<AgentCluster> {
  const { serverOptions, ...opts } = clusterOpts;
  requireContainerHost();
  const images = await buildTestImages();
  const server = await startTestServer(serverOptions);
  // Short path: the containerd socket path must fit a unix socket address.
  const dataDir = mkdtempSync(join(tmpdir(), "kubun-agent-"));
  const token = readFileSync(join(server.tmp, "data", "join.token"), "utf8").trim();
  let agent: RunningAgent | undefined;
  const cleanup = async () => {
    if (agent) {
      // Workers stop first (so none starts a new sandbox), then every sandbox the agent made goes,
      // then its containerd (killed by PID inside stop).
      await agent.stop({ removePods: true, stopContainerd: true });
      await sh(["ip", "link", "del", agent.bridge]);
    }
    // Mounts containerd left (netns, shm, rootfs) under the data dir: deepest first.
    const mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1] ?? "")
      .filter((m) => m.startsWith(dataDir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await sh(["umount", "-l", m]);
    rmSync(dataDir, { recursive: true, force: true });
    await server.close();
  };
  try {
    agent = await startAgent({
      server: server.url,
      token,
      ca: server.ca.cert,
      nodeName: "agent-e2e",
      dataDir,
      podCIDR: "10.213.7.0/24",
      imageDirs: [join(images.pause, "..")],
      sandboxImage: LOCAL_SANDBOX_IMAGE,
      backoff: { initialMs: 1000, maxMs: 8000 },
      syncPeriodMs: 300,
      statusPeriodMs: 2000,
      log: () => {},
      serviceProxy: false,
      ...opts,
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const createPod = async (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Pod> => {
    const res = await server.api("/api/v1/namespaces/default/pods", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: agent!.nodeName, ...spec }, ...extra }),
    });
    if (res.status !== 201) throw new Error(`create pod ${name}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Pod>;
  };
  return { server, agent, dataDir, createPod, close: cleanup };
}
