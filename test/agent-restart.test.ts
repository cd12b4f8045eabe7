// Restart safety: the agent runs as a real `kubun agent` process; kill -9 it and start it again,
// and its pods keep their containers and IPs (re-adopted from the runtime's labels, not restarted);
// kill -9 its containerd and the agent starts a new one without restarting any container.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { containerdPaths } from "../agent/containerd.ts";
import { CriClient } from "../agent/cri/index.ts";
import { POD_UID } from "../agent/pods/labels.ts";
import type { Pod } from "../src/apis/index.ts";
import { buildTestImages } from "../scripts/build-test-images.ts";
import { requireContainerHost } from "./helpers/agent-cluster.ts";
import { teardownAgentDataDir } from "./helpers/agent-teardown.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { waitFor as waitUntil } from "./helpers/wait.ts";

const ROOT = resolve(import.meta.dir, "..");
const NODE = "restart-e2e";
/** Its own service-proxy interface, so the kill -9 leftovers are this test's to remove. */
const SERVICE_INTERFACE = "kbt-restart";
const IMAGE = "local/busybox:1";

let server: TestServer;
let dataDir: string;
let caFile: string;
let token: string;
let agent: Subprocess | undefined;
let output = "";

/** Starts `kubun agent` as a process; resolves once it reports the node ready. */
async function startAgentProcess(): Promise<Subprocess> {
  const proc = Bun.spawn(
    ["bun", "src/cli/main.ts", "agent", "--server", server.url, "--token", token, "--ca-file", caFile, "--data-dir", dataDir, "--node-name", NODE, "--pod-cidr", "10.213.9.0/24", "--log-port", "0", "--service-interface", SERVICE_INTERFACE, "--pause-image", "docker.io/local/pause:1"],
    { cwd: ROOT, env: { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` }, stdout: "pipe", stderr: "pipe" },
  );
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += new TextDecoder().decode(chunk);
      if (output.includes(`node ${NODE} ready`)) ready();
    }
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  await Promise.race([isReady, proc.exited.then((code) => Promise.reject(new Error(`agent exited with ${code}:\n${output}`))), Bun.sleep(60_000).then(() => Promise.reject(new Error(`agent not ready:\n${output}`)))]);
  return proc;
}

async function kill9(proc: Subprocess): Promise<void> {
  proc.kill("SIGKILL");
  await proc.exited;
}

const containerdPid = () => Number(readFileSync(containerdPaths(dataDir).pidFile, "utf8").trim());

beforeAll(async () => {
  requireContainerHost();
  const images = await buildTestImages();
  server = await startTestServer();
  dataDir = mkdtempSync(join(tmpdir(), "kubun-rs-"));
  mkdirSync(join(dataDir, "images"));
  for (const tar of [images.pause, images.busybox]) copyFileSync(tar, join(dataDir, "images", tar.split("/").pop()!));
  caFile = join(server.tmp, "ca.crt");
  writeFileSync(caFile, server.ca.cert);
  // The admin token: the join token only buys a node credential once the agent trades it.
  token = server.adminToken;
  agent = await startAgentProcess();
}, 90_000);

afterAll(async () => {
  if (agent) await kill9(agent);
  // The agent is gone but its containerd still runs: end the pods through it, then containerd.
  await teardownAgentDataDir(dataDir, SERVICE_INTERFACE);
  await server?.close();
}, 60_000);

async function createPod(name: string, spec: Record<string, unknown> = {}): Promise<Pod> {
  const res = await server.api("/api/v1/namespaces/default/pods", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: NODE, containers: [{ name: "httpd", image: IMAGE }], ...spec } }),
  });
  if (res.status !== 201) throw new Error(`create pod ${name}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Pod>;
}

async function getPod(name: string): Promise<Pod | null> {
  const res = await server.api(`/api/v1/namespaces/default/pods/${name}`);
  return res.status === 404 ? null : (res.json() as Promise<Pod>);
}

/** Waits, and on failure shows what the agent printed. */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined | null | false>) =>
  waitUntil(what, fn, { intervalMs: 200, detail: () => `agent output:\n${output.slice(-3000)}` });

const running = (name: string) =>
  waitFor(`pod ${name} running`, async () => {
    const p = await getPod(name);
    return p?.status?.phase === "Running" && p.status.podIP && p.status.containerStatuses?.every((s) => s.ready) ? p : null;
  });

const httpGet = (url: string) => fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.text() : null));

/** What identifies a running pod: if any of it changes, the pod was restarted. */
const identity = (p: Pod) => ({
  podIP: p.status?.podIP,
  containerID: p.status?.containerStatuses?.[0]?.containerID,
  restartCount: p.status?.containerStatuses?.[0]?.restartCount,
  startedAt: p.status?.containerStatuses?.[0]?.state?.running?.startedAt,
});

async function runtimeView(uid: string) {
  const cri = new CriClient({ socket: containerdPaths(dataDir).socket });
  try {
    const sandboxes = await cri.listPodSandbox({ label_selector: { [POD_UID]: uid } });
    const containers = await cri.listContainers({ label_selector: { [POD_UID]: uid } });
    return { sandboxes: sandboxes.map((s) => `${s.id}:${s.state}`), containers: containers.map((c) => `${c.id}:${c.state}`) };
  } finally {
    cri.close();
  }
}

describe("agent restart safety", () => {
  test("kill -9 the agent and restart it: pods keep their containers and IPs; pods deleted meanwhile are cleaned up", async () => {
    await createPod("keeper");
    await createPod("doomed");
    const web = identity(await running("keeper"));
    const doomed = await running("doomed");
    const keeperUid = (await getPod("keeper"))!.metadata.uid!;
    const before = await runtimeView(keeperUid);

    await kill9(agent!);
    // While the agent is down the pod is force-deleted: nobody confirms it, the sandbox stays.
    expect((await server.api("/api/v1/namespaces/default/pods/doomed?gracePeriodSeconds=0", { method: "DELETE" })).status).toBe(200);
    expect((await runtimeView(doomed.metadata.uid!)).sandboxes.length).toBe(1);
    output = "";
    agent = await startAgentProcess();

    // A pod created after the restart runs, so the new agent's workers are all going.
    await createPod("after-restart");
    await running("after-restart");
    await waitFor("the deleted pod's sandbox removed", async () => (await runtimeView(doomed.metadata.uid!)).sandboxes.length === 0);
    const pod = await running("keeper");
    expect(identity(pod)).toEqual(web);
    expect(await runtimeView(keeperUid)).toEqual(before);
    expect(await waitFor("httpd answers", () => httpGet(`http://${web.podIP}/`))).toBe("keeper\n");
  }, 90_000);

  test("kill -9 containerd while pods run: the agent restarts it and no container restarts", async () => {
    const pod = await running("keeper");
    const uid = pod.metadata.uid!;
    const before = await runtimeView(uid);
    const oldPid = containerdPid();
    process.kill(oldPid, "SIGKILL");
    await waitFor("a new containerd", async () => existsSync(`/proc/${containerdPid()}`) && containerdPid() !== oldPid);
    // The runtime answers again and a new pod starts through it.
    await createPod("after-containerd");
    await running("after-containerd");
    expect(await runtimeView(uid)).toEqual(before);
    const after = await running("keeper");
    expect(identity(after)).toEqual(identity(pod));
    expect(after.status!.conditions!.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(await httpGet(`http://${pod.status!.podIP}/`)).toBe("keeper\n");
  }, 90_000);
});

