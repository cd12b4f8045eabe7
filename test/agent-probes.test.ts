// Probes against a real containerd: a failing liveness probe restarts the container, and the
// readiness probe alone decides Ready, both with exec (CRI ExecSync) and httpGet handlers. The
// probes look at files in a hostPath folder, so the test switches their outcome by hand.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pod, Probe } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";

let c: AgentCluster;
let ctl: string;
beforeAll(async () => {
  c = await startAgentCluster({ syncPeriodMs: 200 });
  ctl = mkdtempSync(join(tmpdir(), "kubun-probes-"));
}, 60_000);
afterAll(async () => {
  await c?.close();
  rmSync(ctl, { recursive: true, force: true });
}, 60_000);

const IMAGE = "local/busybox:1";

/** A pod whose httpd serves a per-pod hostPath folder (/ctl), where the test puts the probes' files. */
async function createPod(name: string, probes: { livenessProbe?: Probe; readinessProbe?: Probe }): Promise<string> {
  const dir = join(ctl, name);
  mkdirSync(dir, { recursive: true });
  if (probes.livenessProbe) writeFileSync(join(dir, "alive"), "ok");
  await c.createPod(name, {
    terminationGracePeriodSeconds: 1,
    volumes: [{ name: "ctl", hostPath: { path: dir, type: "DirectoryOrCreate" } }],
    containers: [{ name: "app", image: IMAGE, command: ["httpd", "-f", "-p", "80", "-h", "/ctl"], volumeMounts: [{ name: "ctl", mountPath: "/ctl" }], ...probes }],
  });
  return dir;
}

async function getPod(name: string): Promise<Pod> {
  return (await c.server.api(`/api/v1/namespaces/default/pods/${name}`)).json() as Promise<Pod>;
}

async function waitFor(what: string, name: string, ok: (p: Pod) => boolean, timeoutMs = 30_000): Promise<Pod> {
  const deadline = Date.now() + timeoutMs;
  let last: Pod | undefined;
  while (Date.now() < deadline) {
    last = await getPod(name);
    if (ok(last)) return last;
    await Bun.sleep(150);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last?.status)}`);
}

const app = (p: Pod) => p.status?.containerStatuses?.[0];
const podReady = (p: Pod) => p.status?.conditions?.find((x) => x.type === "Ready")?.status;
const isRunning = (p: Pod) => app(p)?.state?.running !== undefined;

const probe = (handler: Partial<Probe>, extra: Partial<Probe> = {}): Probe => ({ periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 1, ...handler, ...extra }) as Probe;
const execTest = (file: string) => ({ exec: { command: ["test", "-f", `/ctl/${file}`] } });
const httpGet = (file: string) => ({ httpGet: { path: `/${file}`, port: 80 } });

describe.each([
  ["exec", execTest],
  ["httpGet", httpGet],
] as const)("%s probes", (kind, handler) => {
  test("a failing liveness probe restarts the container; a passing one leaves it alone", async () => {
    const name = `live-${kind.toLowerCase()}`;
    const dir = await createPod(name, { livenessProbe: probe(handler("alive")) });
    const first = await waitFor("running", name, isRunning);
    const firstID = app(first)!.containerID;
    // Several probe periods with the file present: no restart.
    await Bun.sleep(3000);
    expect(app(await getPod(name))).toMatchObject({ containerID: firstID, restartCount: 0 });

    rmSync(join(dir, "alive"));
    const restarted = await waitFor("a restart", name, (p) => (app(p)?.restartCount ?? 0) >= 1);
    expect(app(restarted)!.lastState?.terminated?.containerID).toBe(firstID);
    const events = ((await (await c.server.api(`/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=${name}`)).json()) as { items: { reason: string; message: string }[] }).items;
    expect(events.find((e) => e.reason === "Unhealthy")?.message).toStartWith("Liveness probe failed: ");
    expect(events.find((e) => e.reason === "Killing")?.message).toBe("Container app failed liveness probe, will be restarted");
    writeFileSync(join(dir, "alive"), "ok");
    const again = await waitFor("running again", name, (p) => isRunning(p) && app(p)!.containerID !== firstID);
    expect(app(again)!.restartCount).toBe(1);
  }, 60_000);

  test("readiness gates Ready without restarting the container", async () => {
    const name = `ready-${kind.toLowerCase()}`;
    const dir = await createPod(name, { readinessProbe: probe(handler("ready")) });
    const started = await waitFor("running", name, isRunning);
    // Running, probed for a few periods, and still not ready.
    await Bun.sleep(2500);
    let pod = await getPod(name);
    expect(app(pod)).toMatchObject({ ready: false, restartCount: 0 });
    expect(podReady(pod)).toBe("False");
    expect(pod.status!.phase).toBe("Running");

    writeFileSync(join(dir, "ready"), "ok");
    pod = await waitFor("ready", name, (p) => podReady(p) === "True");
    expect(app(pod)!.ready).toBe(true);

    rmSync(join(dir, "ready"));
    pod = await waitFor("not ready again", name, (p) => podReady(p) === "False");
    expect(pod.status!.conditions!.find((x) => x.type === "ContainersReady")?.status).toBe("False");
    expect(app(pod)).toMatchObject({ ready: false, restartCount: 0, containerID: app(started)!.containerID });
  }, 60_000);
});
