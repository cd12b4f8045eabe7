// agent/install.sh on this machine with --no-systemd against a test server: it copies a checkout
// that was never built (no build/, as a fresh clone) and builds the WebAssembly modules the agent
// needs; the agent starts in the background and its Node registers; running it again is harmless;
// KUBUN_REGISTRIES reaches containerd; uninstall.sh leaves none of its folders, processes or bridge behind. Every folder is redirected
// into a temp dir.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bridgeName } from "../agent/cni.ts";
import { agentId } from "../agent/netpol/index.ts";
import { wasmEntries, wasmModuleState } from "../wasm/modules.ts";
import { requireContainerHost } from "./helpers/agent-cluster.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const ROOT = resolve(import.meta.dir, "..");
let server: TestServer;
let root: string;
/** The checkout install.sh copies: the repository's files without build/, sharing its node_modules. */
let source: string;
let env: Record<string, string>;

function unbuiltCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), "kubun-src-"));
  const tar = Bun.spawnSync(["sh", "-c", `tar -C "${ROOT}" --exclude=./.git --exclude=./node_modules --exclude=./build --exclude=./.data -cf - . | tar -C "${dir}" -xf -`]);
  if (tar.exitCode !== 0) throw new Error(`copying the checkout failed: ${tar.stderr.toString()}`);
  symlinkSync(realpathSync(join(ROOT, "node_modules")), join(dir, "node_modules"));
  return dir;
}

beforeAll(async () => {
  requireContainerHost();
  server = await startTestServer();
  root = mkdtempSync(join(tmpdir(), "kubun-in-"));
  source = unbuiltCheckout();
  writeFileSync(join(root, "ca.crt"), server.ca.cert);
  writeFileSync(join(root, "registries.yaml"), 'mirrors:\n  registry.example.com:\n    endpoint: ["https://mirror.example.com"]\n');
  env = {
    PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
    KUBUN_URL: server.url,
    // The join token, as a VM joining the cluster gets it: the agent trades it for its own node credential.
    KUBUN_TOKEN: server.joinToken,
    KUBUN_CA_FILE: join(root, "ca.crt"),
    KUBUN_REGISTRIES: join(root, "registries.yaml"),
    KUBUN_NODE_NAME: "installed",
    KUBUN_POD_CIDR: "10.213.30.0/24",
    // Not kubelet's 10250: another agent on this machine (a bench, another test) may hold it.
    KUBUN_EXTRA_ARGS: "--log-port 0",
    KUBUN_INSTALL_DIR: join(root, "opt"),
    KUBUN_DATA_DIR: join(root, "d"),
    KUBUN_CONFIG_DIR: join(root, "etc"),
    KUBUN_BIN_DIR: join(root, "bin"),
    KUBUN_RUN_DIR: join(root, "run"),
    KUBUN_LOG_DIR: join(root, "log"),
  };
}, 30_000);

afterAll(async () => {
  if (root && existsSync(join(root, "d"))) await sh("agent/uninstall.sh");
  rmSync(root, { recursive: true, force: true });
  if (source) rmSync(source, { recursive: true, force: true });
  await server?.close();
}, 30_000);

async function sh(script: string, ...args: string[]) {
  const proc = Bun.spawn(["sh", join(source, script), ...args], { cwd: source, env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

async function nodeReady(): Promise<boolean> {
  const res = await server.api("/api/v1/nodes/installed");
  if (res.status !== 200) return false;
  const node = (await res.json()) as { status?: { conditions?: { type: string; status: string }[] } };
  return node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await Bun.sleep(200);
  }
  const log = join(root, "log", "kubun-agent.log");
  throw new Error(`timed out waiting for ${what}; agent log:\n${existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : "(none)"}`);
}

const pidAlive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");

test("install.sh --no-systemd with the join token starts an agent whose node registers and runs a pod; again is idempotent; uninstall.sh leaves nothing", async () => {
  const first = await sh("agent/install.sh", "--no-systemd");
  expect(first.stderr).toBe("");
  expect(first.code).toBe(0);
  expect(existsSync(join(source, "build"))).toBe(false);
  // The agent refuses to start without a fresh route-table.wasm, so Ready below also says it loaded.
  for (const entry of wasmEntries()) expect({ entry, ...wasmModuleState(entry, join(root, "opt")) }).toEqual({ entry, state: "fresh" });
  await waitFor("node registered and Ready", nodeReady);
  const pid1 = Number(readFileSync(join(root, "run", "kubun-agent.pid"), "utf8"));
  if (!pidAlive(pid1)) throw new Error(`the agent died:\n${readFileSync(join(root, "log", "kubun-agent.log"), "utf8").slice(-2000)}`);
  expect(readFileSync(join(root, "etc", "agent.env"), "utf8")).toContain(`KUBUN_URL=${server.url}`);
  // KUBUN_REGISTRIES is kept in the config folder (it may hold passwords) and reaches containerd's hosts.toml.
  expect(statSync(join(root, "etc", "registries.yaml")).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(root, "d", "containerd", "certs.d", "registry.example.com", "hosts.toml"), "utf8")).toContain('[host."https://mirror.example.com"]');

  // A pod runs there: the agent found its sandbox and busybox images in the images folder the install filled.
  const pod = { metadata: { name: "on-installed", namespace: "default" }, spec: { nodeName: "installed", containers: [{ name: "c", image: "local/busybox:1" }] } };
  const created = await server.api("/api/v1/namespaces/default/pods", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(pod) });
  expect(created.status).toBe(201);
  await waitFor(
    "a pod Running on the installed node",
    async () => ((await (await server.api("/api/v1/namespaces/default/pods/on-installed")).json()) as { status?: { phase?: string } }).status?.phase === "Running",
    60_000,
  );
  const deleted = await server.api("/api/v1/namespaces/default/pods/on-installed?gracePeriodSeconds=0", { method: "DELETE" });
  expect(deleted.status).toBe(200);

  // A second run replaces the agent rather than adding one.
  const again = await sh("agent/install.sh", "--no-systemd");
  expect(again.code).toBe(0);
  const pid2 = Number(readFileSync(join(root, "run", "kubun-agent.pid"), "utf8"));
  expect(pid2).not.toBe(pid1);
  expect(pidAlive(pid1)).toBe(false);
  await waitFor("the new agent's containerd", async () => existsSync(join(root, "d", "containerd", "containerd.pid")));
  const containerd = Number(readFileSync(join(root, "d", "containerd", "containerd.pid"), "utf8"));

  const iptablesS = async (table: string) => new Response(Bun.spawn(["iptables", "-w", "-t", table, "-S"], { stdout: "pipe" }).stdout).text();
  expect(await iptablesS("filter")).toContain(`-A FORWARD -j KUBUN-NP-${agentId(join(root, "d"))}-FWD`);
  const un = await sh("agent/uninstall.sh");
  expect(un.code).toBe(0);
  expect(pidAlive(pid2)).toBe(false);
  expect(pidAlive(containerd)).toBe(false);
  // The bin folder is /usr/local/bin on a real machine: it stays, without kubun-agent.
  expect(readdirSync(root).sort()).toEqual(["bin", "ca.crt", "registries.yaml"]);
  expect(readdirSync(join(root, "bin"))).toEqual([]);
  const links = await new Response(Bun.spawn(["ip", "-br", "link"], { stdout: "pipe" }).stdout).text();
  expect(links).not.toContain(bridgeName(join(root, "d")));
  expect(links).not.toContain("kubun-svc0");
  // The agent's NetworkPolicy chains and sets (agent/netpol) went too.
  const id = agentId(join(root, "d"));
  for (const table of ["filter", "nat"]) expect(await iptablesS(table)).not.toContain(id);
  expect(await new Response(Bun.spawn(["ipset", "list", "-n"], { stdout: "pipe" }).stdout).text()).not.toContain(id);
}, 150_000);
