// Several nodes on one machine: each agent runs as a `kubun agent` process inside its own network
// namespace (a veth to a host bridge is its "NIC"), with its own containerd, CNI bridge and
// podCIDR, against one test server reached over the bridge. Every test file that uses it passes
// its own names (bridge, netns, veths, subnet, podCIDRs): files may run one after another, and a
// leftover of one must never collide with the next.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { buildTestImages } from "../../scripts/build-test-images.ts";
import type { ServerOptions } from "../../src/cli/server.ts";
import { requireContainerHost } from "./agent-cluster.ts";
import { teardownAgentDataDir } from "./agent-teardown.ts";
import { startTestServer, type TestServer } from "./server.ts";
import { waitFor as waitUntil } from "./wait.ts";

const ROOT = resolve(import.meta.dir, "../..");

export interface NetnsNode {
  name: string;
  netns: string;
  /** The host end of the node's veth; its peer inside the namespace is eth0. */
  veth: string;
  ip: string;
  /** What the agent passes as --pod-cidr; empty: none. */
  podCIDR: string;
  dataDir: string;
  /** The running `kubun agent` process (its PID is the agent's own: nsenter execs it). */
  proc?: Subprocess;
  /** Everything the agent printed, for failure messages. */
  output: string;
}

export interface NetnsClusterOptions {
  /** Short tag in every name: node `<tag>-<i>`, netns `kubun-<tag>-<i>`, bridge `kbn<tag>0`, veth `kbn<tag><i>h`. */
  tag: string;
  /** The bridge's /24 as three octets ("172.31.250"): the host is .1, node i is .1i. */
  subnet: string;
  nodes: number;
  /** Each node's --pod-cidr; none: the control plane's IPAM controller hands them out. */
  podCIDRs?: string[];
  serverOptions?: Partial<ServerOptions>;
}

export interface NetnsCluster {
  server: TestServer;
  nodes: NetnsNode[];
  /** Waits for `fn`; a failure shows the tail of every agent's output. */
  waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  /** Runs a command inside a node's network namespace (the test's own view of that node). */
  inNetns(node: NetnsNode, cmd: string[]): Promise<string>;
  /** Starts (or restarts, on the same data dir) a node's agent; resolves once it says it is ready. */
  startNode(node: NetnsNode): Promise<void>;
  /** Ends everything: agents (SIGKILL, continued first if stopped), their pods and containerd, namespaces, bridge, server. */
  close(): Promise<void>;
}

export async function run(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")}: ${err.trim() || `exit ${code}`}`);
  return out;
}
const quiet = (cmd: string[]) => run(cmd).catch(() => "");

export async function startNetnsCluster(opts: NetnsClusterOptions): Promise<NetnsCluster> {
  const bridge = `kbn${opts.tag}0`;
  const hostIP = `${opts.subnet}.1`;
  const nodes: NetnsNode[] = Array.from({ length: opts.nodes }, (_, n) => ({
    name: `${opts.tag}-${n + 1}`,
    netns: `kubun-${opts.tag}-${n + 1}`,
    veth: `kbn${opts.tag}${n + 1}h`,
    ip: `${opts.subnet}.1${n + 1}`,
    podCIDR: opts.podCIDRs?.[n] ?? "",
    dataDir: "",
    output: "",
  }));
  let server: TestServer | undefined;
  let token = "";
  let caFile = "";
  const inNetns = (m: NetnsNode, cmd: string[]) => run(["ip", "netns", "exec", m.netns, ...cmd]);

  async function teardownNetwork(): Promise<void> {
    for (const m of nodes) {
      await quiet(["ip", "netns", "del", m.netns]);
      await quiet(["ip", "link", "del", m.veth]);
    }
    await quiet(["ip", "link", "del", bridge]);
  }

  async function wireNetwork(): Promise<void> {
    await run(["ip", "link", "add", bridge, "type", "bridge"]);
    await run(["ip", "addr", "add", `${hostIP}/24`, "dev", bridge]);
    await run(["ip", "link", "set", bridge, "up"]);
    for (const m of nodes) {
      await run(["ip", "netns", "add", m.netns]);
      await run(["ip", "link", "add", m.veth, "type", "veth", "peer", "name", `${m.veth}n`]);
      await run(["ip", "link", "set", m.veth, "master", bridge, "up"]);
      await run(["ip", "link", "set", `${m.veth}n`, "netns", m.netns]);
      await inNetns(m, ["ip", "link", "set", `${m.veth}n`, "name", "eth0"]);
      await inNetns(m, ["ip", "addr", "add", `${m.ip}/24`, "dev", "eth0"]);
      await inNetns(m, ["ip", "link", "set", "eth0", "up"]);
      await inNetns(m, ["ip", "link", "set", "lo", "up"]);
      await inNetns(m, ["ip", "route", "add", "default", "via", hostIP]);
      await inNetns(m, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    }
  }

  async function startNode(m: NetnsNode): Promise<void> {
    const url = `https://${hostIP}:${new URL(server!.url).port}`;
    const args = ["agent", "--server", url, "--token", token, "--ca-file", caFile, "--data-dir", m.dataDir, "--node-name", m.name, "--node-ip", m.ip, "--log-port", "0", "--pause-image", "docker.io/local/pause:1"];
    if (m.podCIDR) args.push("--pod-cidr", m.podCIDR);
    // nsenter, not `ip netns exec`: that one remounts /sys in a new mount namespace, which hides
    // the cgroup mounts runc needs ("no cgroup mount found in mountinfo").
    const proc = Bun.spawn(["nsenter", `--net=/var/run/netns/${m.netns}`, process.execPath, "src/cli/main.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    m.proc = proc;
    const from = m.output.length;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        m.output += decoder.decode(chunk);
        if (m.output.indexOf(`node ${m.name} ready`, from) >= 0) ready();
      }
    };
    void pump(proc.stdout as ReadableStream<Uint8Array>);
    void pump(proc.stderr as ReadableStream<Uint8Array>);
    await Promise.race([
      isReady,
      proc.exited.then((c) => Promise.reject(new Error(`agent ${m.name} exited with ${c}:\n${m.output}`))),
      Bun.sleep(60_000).then(() => Promise.reject(new Error(`agent ${m.name} not ready:\n${m.output}`))),
    ]);
  }

  async function close(): Promise<void> {
    for (const m of nodes) {
      if (m.proc) {
        // A stopped process takes SIGKILL too, but continuing it first keeps its exit ordinary.
        m.proc.kill("SIGCONT");
        m.proc.kill("SIGKILL");
        await m.proc.exited;
        m.proc = undefined;
      }
      if (m.dataDir) await teardownAgentDataDir(m.dataDir);
    }
    await teardownNetwork();
    await server?.close();
  }

  const cluster: NetnsCluster = {
    get server() {
      return server!;
    },
    nodes,
    waitFor: (what, fn, timeoutMs) =>
      waitUntil(what, fn, { intervalMs: 200, timeoutMs, detail: () => nodes.map((m) => `${m.name}:\n${m.output.slice(-1500)}`).join("\n") }),
    inNetns,
    startNode,
    close,
  };

  try {
    requireContainerHost();
    const images = await buildTestImages();
    await teardownNetwork(); // leftovers of an interrupted run
    await wireNetwork();
    // Bound to every address so the agents reach it over the bridge; its certificate covers them.
    server = await startTestServer({ bind: "0.0.0.0", ...opts.serverOptions });
    caFile = join(server.tmp, "ca.crt");
    writeFileSync(caFile, server.ca.cert);
    // The admin token: the join token only buys a node credential once the agent trades it.
    token = server.adminToken;
    for (const m of nodes) {
      m.dataDir = mkdtempSync(join(tmpdir(), `kubun-${opts.tag}-`));
      mkdirSync(join(m.dataDir, "images"));
      for (const tar of [images.pause, images.busybox]) copyFileSync(tar, join(m.dataDir, "images", tar.split("/").pop()!));
    }
    await Promise.all(nodes.map((m) => startNode(m)));
  } catch (err) {
    await close();
    throw err;
  }
  return cluster;
}
