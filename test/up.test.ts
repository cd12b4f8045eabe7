// The README's first command, as a user runs it: `kubun up` (the control plane and a node in one
// process, its own containerd) serves stock kubectl with the kubeconfig it prints; a Deployment's
// pod runs; Ctrl-C (SIGINT) stops the cluster and leaves nothing running — no shim or container
// of its containerd, no bridge, no mounts, no policy chains — and `up` again on the same data
// dir brings the Deployment's pod back from the stored state.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { bridgeName } from "../agent/cni.ts";
import { containerdPaths } from "../agent/containerd.ts";
import { CriClient } from "../agent/cri/index.ts";
import { agentId, names } from "../agent/netpol/index.ts";
import { buildTestImages } from "../scripts/build-test-images.ts";
import { requireContainerHost } from "./helpers/agent-cluster.ts";
import { shimsOf, teardownAgentDataDir } from "./helpers/agent-teardown.ts";
import { KUBECTL, succeeded } from "./helpers/server.ts";
import { waitFor } from "./helpers/wait.ts";

const ROOT = resolve(import.meta.dir, "..");
let dataDir: string;
let up: Subprocess | undefined;
let output = "";
let kubeconfig = "";

/** Starts `kubun up`; resolves once it prints how to point kubectl at the cluster. */
async function startUp(): Promise<Subprocess> {
  output = "";
  const proc = Bun.spawn(["bun", "src/cli/main.ts", "up", "--data-dir", dataDir, "--port", "0", "--log-port", "0"], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += new TextDecoder().decode(chunk);
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  const printed = await waitFor("kubun up to print the kubeconfig", async () => {
    if (proc.exitCode !== null) throw new Error(`kubun up exited with ${proc.exitCode}`);
    return /export KUBECONFIG=(\S+)/.exec(output)?.[1];
  }, { timeoutMs: 90_000, detail: () => output });
  kubeconfig = printed;
  return proc;
}

async function kubectl(...args: string[]): Promise<string> {
  const proc = Bun.spawn([KUBECTL, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(dataDir, "home"), KUBECONFIG: kubeconfig }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return succeeded({ code, stdout, stderr }, args).stdout;
}

async function linkExists(name: string): Promise<boolean> {
  return (await Bun.spawn(["ip", "link", "show", name], { stdout: "ignore", stderr: "ignore" }).exited) === 0;
}

async function iptablesSave(table = "filter"): Promise<string> {
  const p = Bun.spawn(["iptables-save", "-t", table], { stdout: "pipe", stderr: "ignore" });
  return new Response(p.stdout).text();
}

/** The Deployment's running container (its containerd id), once its pod is Running. */
async function runningContainer(): Promise<string | undefined> {
  const out = await kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].status.phase} {.items[0].status.containerStatuses[0].containerID}");
  const [phase, id] = out.split(" ");
  return phase === "Running" && id ? id : undefined;
}

beforeAll(async () => {
  requireContainerHost();
  await buildTestImages();
  dataDir = mkdtempSync(join(tmpdir(), "kubun-up-"));
  up = await startUp();
}, 120_000);

afterAll(async () => {
  if (up && up.exitCode === null) {
    up.kill("SIGKILL");
    await up.exited;
  }
  // Whatever a failed run left: pods through its containerd, containerd, bridge, chains, mounts.
  if (dataDir && existsSync(dataDir)) await teardownAgentDataDir(join(dataDir, "agent"));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

test("kubectl drives the cluster `up` started, and Ctrl-C leaves nothing running", async () => {
  await waitFor("the node Ready", async () => (await kubectl("get", "nodes", "-o", "jsonpath={.items[0].status.conditions[?(@.type==\"Ready\")].status}")) === "True", { timeoutMs: 60_000 });
  await kubectl("create", "deployment", "web", "--image=local/busybox:1", "--", "sleep", "3600");
  const first = await waitFor("the Deployment's pod Running", runningContainer, { timeoutMs: 60_000, detail: () => output });
  const agentDir = join(dataDir, "agent");
  const socket = containerdPaths(agentDir).socket;
  expect(shimsOf(socket).length).toBeGreaterThan(0);
  // The pods' sandboxes: their CNI NAT rules carry the sandbox id, and must go with them.
  const cri = new CriClient({ socket, timeoutMs: 10_000 });
  const sandboxes = (await cri.listPodSandbox()).map((s) => s.id);
  cri.close();
  expect(sandboxes.length).toBeGreaterThan(0);

  up!.kill("SIGINT");
  expect(await Promise.race([up!.exited, Bun.sleep(60_000).then(() => "still running")])).toBe(0);
  expect(output).toContain("kubun up: stopped");
  expect(shimsOf(socket)).toEqual([]);
  expect(await linkExists(bridgeName(agentDir))).toBe(false);
  expect(readFileSync("/proc/mounts", "utf8").split("\n").filter((l) => l.split(" ")[1]?.startsWith(dataDir))).toEqual([]);
  expect(await iptablesSave()).not.toContain(names(agentId(agentDir)).forward);
  const nat = await iptablesSave("nat");
  expect(sandboxes.filter((id) => nat.includes(id))).toEqual([]);

  // The objects stayed: `up` again runs the Deployment's pod anew.
  up = await startUp();
  await waitFor("the Deployment's pod Running again, in a new container", async () => {
    const id = await runningContainer();
    return id !== undefined && id !== first && shimsOf(socket).length > 0;
  }, { timeoutMs: 90_000, detail: () => output });
  up.kill("SIGINT");
  expect(await up.exited).toBe(0);
  expect(shimsOf(socket)).toEqual([]);
}, 300_000);
