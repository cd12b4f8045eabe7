// Two nodes on one machine: each agent runs as a `kubun agent` process inside its own network
// namespace (a veth to a host bridge is its "NIC"), with its own containerd, CNI bridge and
// podCIDR. The agents route each other's podCIDR via the other's node IP (host-gw), so a pod on
// one node reaches a pod on the other by pod IP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { ROUTE_PROTO } from "../agent/routes.ts";
import type { Pod } from "../src/apis/index.ts";
import { buildTestImages } from "../scripts/build-test-images.ts";
import { requireContainerHost } from "./helpers/agent-cluster.ts";
import { teardownAgentDataDir } from "./helpers/agent-teardown.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { waitFor as waitUntil } from "./helpers/wait.ts";

/** Waits, and on failure shows what each node's agent printed. */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined | null | false>) =>
  waitUntil(what, fn, { intervalMs: 200, detail: () => members.map((m) => `${m.name}:\n${m.output.slice(-1500)}`).join("\n") });

const ROOT = resolve(import.meta.dir, "..");
const BRIDGE = "kbnmn0";
const HOST_IP = "172.31.250.1";

interface Member {
  name: string;
  netns: string;
  veth: string;
  ip: string;
  podCIDR: string;
  dataDir: string;
  proc?: Subprocess;
  output: string;
}

const members: Member[] = [1, 2].map((i) => ({
  name: `mn-${i}`,
  netns: `kubun-mn-${i}`,
  veth: `kbnmn${i}h`,
  ip: `172.31.250.1${i}`,
  podCIDR: `10.213.2${i}.0/24`,
  dataDir: "",
  output: "",
}));
let server: TestServer;

async function run(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")}: ${err.trim() || `exit ${code}`}`);
  return out;
}
const quiet = (cmd: string[]) => run(cmd).catch(() => "");
const inNetns = (m: Member, cmd: string[]) => run(["ip", "netns", "exec", m.netns, ...cmd]);

async function wireNetwork(): Promise<void> {
  await run(["ip", "link", "add", BRIDGE, "type", "bridge"]);
  await run(["ip", "addr", "add", `${HOST_IP}/24`, "dev", BRIDGE]);
  await run(["ip", "link", "set", BRIDGE, "up"]);
  for (const m of members) {
    await run(["ip", "netns", "add", m.netns]);
    await run(["ip", "link", "add", m.veth, "type", "veth", "peer", "name", `${m.veth}n`]);
    await run(["ip", "link", "set", m.veth, "master", BRIDGE, "up"]);
    await run(["ip", "link", "set", `${m.veth}n`, "netns", m.netns]);
    await inNetns(m, ["ip", "link", "set", `${m.veth}n`, "name", "eth0"]);
    await inNetns(m, ["ip", "addr", "add", `${m.ip}/24`, "dev", "eth0"]);
    await inNetns(m, ["ip", "link", "set", "eth0", "up"]);
    await inNetns(m, ["ip", "link", "set", "lo", "up"]);
    await inNetns(m, ["ip", "route", "add", "default", "via", HOST_IP]);
    await inNetns(m, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  }
}

async function startMember(m: Member, token: string, caFile: string): Promise<void> {
  const url = `https://${HOST_IP}:${new URL(server.url).port}`;
  const args = ["agent", "--server", url, "--token", token, "--ca-file", caFile, "--data-dir", m.dataDir, "--node-name", m.name, "--pod-cidr", m.podCIDR, "--node-ip", m.ip];
  // nsenter, not `ip netns exec`: that one remounts /sys in a new mount namespace, which hides
  // the cgroup mounts runc needs ("no cgroup mount found in mountinfo").
  const proc = Bun.spawn(["nsenter", `--net=/var/run/netns/${m.netns}`, process.execPath, "src/cli/main.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  m.proc = proc;
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      m.output += new TextDecoder().decode(chunk);
      if (m.output.includes(`node ${m.name} ready`)) ready();
    }
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  await Promise.race([isReady, proc.exited.then((c) => Promise.reject(new Error(`agent ${m.name} exited with ${c}:\n${m.output}`))), Bun.sleep(60_000).then(() => Promise.reject(new Error(`agent ${m.name} not ready:\n${m.output}`)))]);
}

/** Ends a member's pods, containerd and files; the namespace goes afterwards. */
async function removeMember(m: Member): Promise<void> {
  if (m.proc) {
    m.proc.kill("SIGKILL");
    await m.proc.exited;
  }
  if (m.dataDir) await teardownAgentDataDir(m.dataDir);
}

beforeAll(async () => {
  requireContainerHost();
  const images = await buildTestImages();
  await teardownNetwork(); // leftovers of an interrupted run
  await wireNetwork();
  // Bound to every address so the agents reach it over the bridge; its certificate covers them.
  server = await startTestServer({ bind: "0.0.0.0" });
  const caFile = join(server.tmp, "ca.crt");
  writeFileSync(caFile, server.ca.cert);
  // The admin token: the join token only buys a node credential once the agent trades it.
  const token = server.adminToken;
  for (const m of members) {
    m.dataDir = mkdtempSync(join(tmpdir(), "kubun-mn-"));
    mkdirSync(join(m.dataDir, "images"));
    for (const tar of [images.pause, images.busybox]) copyFileSync(tar, join(m.dataDir, "images", tar.split("/").pop()!));
  }
  await Promise.all(members.map((m) => startMember(m, token, caFile)));
}, 120_000);

async function teardownNetwork(): Promise<void> {
  for (const m of members) {
    await quiet(["ip", "netns", "del", m.netns]);
    await quiet(["ip", "link", "del", m.veth]);
  }
  await quiet(["ip", "link", "del", BRIDGE]);
}

afterAll(async () => {
  for (const m of members) await removeMember(m);
  await teardownNetwork();
  await server?.close();
}, 60_000);

async function createPod(name: string, node: string, container: Record<string, unknown>): Promise<void> {
  const res = await server.api("/api/v1/namespaces/default/pods", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: "c", image: "local/busybox:1", ...container }] } }),
  });
  if (res.status !== 201) throw new Error(`create pod ${name}: ${res.status} ${await res.text()}`);
}


const runningPod = (name: string) =>
  waitFor(`pod ${name} running`, async () => {
    const p = (await (await server.api(`/api/v1/namespaces/default/pods/${name}`)).json()) as Pod;
    return p.status?.phase === "Running" && p.status.podIP ? p : null;
  });

const routes = async (m: Member) => (await inNetns(m, ["ip", "-4", "route", "show", "proto", String(ROUTE_PROTO)])).trim();
/** An HTTP GET from inside a node's network namespace (the test's own view of that node). */
const fetchFrom = (m: Member, url: string) => inNetns(m, ["curl", "-sf", "-m", "2", url]);

describe("two agents in two network namespaces", () => {
  test("each node routes the other's podCIDR via its node IP", async () => {
    const [a, b] = members as [Member, Member];
    expect(await waitFor("route on mn-1", async () => (await routes(a)).includes(b.podCIDR) && routes(a))).toContain(`${b.podCIDR} via ${b.ip}`);
    expect(await waitFor("route on mn-2", async () => (await routes(b)).includes(a.podCIDR) && routes(b))).toContain(`${a.podCIDR} via ${a.ip}`);
  }, 40_000);

  test("a pod on one node reaches a pod on the other by pod IP", async () => {
    const [a, b] = members as [Member, Member];
    await createPod("server", b.name, {});
    const target = await runningPod("server");
    expect(target.status!.podIP).toStartWith("10.213.22.");
    // The client fetches the server's page across nodes, then serves what it got.
    await createPod("client", a.name, {
      command: ["sh", "-c", `mkdir -p /www; until wget -q -O /www/index.html http://${target.status!.podIP}/; do sleep 0.3; done; exec httpd -f -p 80 -h /www`],
    });
    const client = await runningPod("client");
    expect(client.status!.podIP).toStartWith("10.213.21.");
    expect(await waitFor("the client's copy", () => fetchFrom(a, `http://${client.status!.podIP}/`))).toBe("server\n");
    // And the other way, from the server's node to the client pod.
    expect(await waitFor("client from mn-2", () => fetchFrom(b, `http://${client.status!.podIP}/`))).toBe("server\n");
  }, 60_000);

  test("a node that leaves takes its route with it", async () => {
    const [a, b] = members as [Member, Member];
    b.proc!.kill("SIGKILL");
    await b.proc!.exited;
    b.proc = undefined;
    expect((await server.api(`/api/v1/nodes/${b.name}`, { method: "DELETE" })).status).toBe(200);
    await waitFor("route gone on mn-1", async () => !(await routes(a)).includes(b.podCIDR));
  }, 30_000);
});
