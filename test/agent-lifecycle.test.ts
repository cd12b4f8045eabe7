// Lifecycle hooks, image pull back-off and live volume refresh against a real containerd: postStart
// and preStop hooks run in the container at the right moments (and their failures are Events),
// a missing image backs off with kubelet's reasons until its tarball shows up, and a configMap
// update reaches the mounted files through the ..data symlink swap.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage } from "../agent/images/index.ts";
import type { Event } from "../src/apis/core/event.ts";
import type { ContainerStatus, Pod } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
let work: string;
beforeAll(async () => {
  c = await startAgentCluster({ imageBackoff: { initialMs: 1000, maxMs: 4000 }, volumeRefreshMs: 1000 });
  work = mkdtempSync(join(tmpdir(), "kubun-lifecycle-"));
}, 60_000);
afterAll(async () => {
  await c?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

const IMAGE = "local/busybox:1";

async function api<T>(path: string, method = "GET", body?: unknown): Promise<T> {
  const res = await c.server.api(path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

const createPod = (name: string, spec: Record<string, unknown>) => c.createPod(name, { terminationGracePeriodSeconds: 1, ...spec });

async function getPod(name: string): Promise<Pod | null> {
  const res = await c.server.api(`/api/v1/namespaces/default/pods/${name}`);
  return res.status === 404 ? null : ((await res.json()) as Pod);
}

const app = (p: Pod | null): ContainerStatus | undefined => p?.status?.containerStatuses?.[0];

const running = (name: string) =>
  waitFor(`pod ${name} running`, async () => {
    const p = await getPod(name);
    return p?.status?.phase === "Running" && app(p)?.state?.running ? p : null;
  });

async function podEvents(pod: string): Promise<Event[]> {
  const list = await api<{ items: Event[] }>("/api/v1/namespaces/default/events");
  return list.items.filter((e) => e.involvedObject.name === pod);
}

const waitForEvent = (pod: string, reason: string, message?: (m: string) => boolean) =>
  waitFor(`event ${reason} for ${pod}`, async () => (await podEvents(pod)).find((e) => e.reason === reason && (!message || message(e.message ?? ""))));

async function deleteAndWaitGone(name: string): Promise<void> {
  await api(`/api/v1/namespaces/default/pods/${name}`, "DELETE");
  await waitFor(`pod ${name} gone`, async () => (await getPod(name)) === null, { timeoutMs: 30_000 });
}

/** Runs a command in the pod's first container through CRI; resolves with its stdout. */
async function execIn(pod: Pod, cmd: string[]): Promise<string> {
  const id = app(pod)!.containerID!.replace("containerd://", "");
  const res = await c.agent.runtime.execSync(id, cmd, 5);
  return Buffer.from(res.stdout).toString();
}

describe("lifecycle hooks", () => {
  test("postStart exec runs in the container before it counts as running", async () => {
    await createPod("poststart", {
      containers: [{ name: "web", image: IMAGE, lifecycle: { postStart: { exec: { command: ["sh", "-c", "echo hooked > /var/www/hook.txt"] } } } }],
    });
    const pod = await running("poststart");
    const served = await waitFor("httpd serves the hook's file", () => fetch(`http://${pod!.status!.podIP}/hook.txt`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.text() : null)));
    expect(served).toBe("hooked\n");
    expect(app(pod)!.restartCount).toBe(0);
    expect((await podEvents("poststart")).map((e) => e.reason)).not.toContain("FailedPostStartHook");
    // What `kubectl describe pod` lists under Events, in kubelet's words.
    await waitForEvent("poststart", "Started", (m) => m === "Started container web");
    const said = Object.fromEntries((await podEvents("poststart")).map((e) => [e.reason, e.message]));
    expect(said).toMatchObject({ Pulled: `Container image "${IMAGE}" already present on machine`, Created: "Created container: web", Started: "Started container web" });
  }, 60_000);

  test("a failing postStart kills the container: FailedPostStartHook, PostStartHookError, restarts", async () => {
    await createPod("poststart-fail", {
      containers: [{ name: "app", image: IMAGE, command: ["sleep", "3600"], lifecycle: { postStart: { exec: { command: ["sh", "-c", "exit 3"] } } } }],
    });
    const waiting = new Map<string, string>();
    const restarted = await waitFor(
      "a restart after the hook failed",
      async () => {
        const p = await getPod("poststart-fail");
        const w = app(p)?.state?.waiting;
        if (w) waiting.set(w.reason ?? "", w.message ?? "");
        return (app(p)?.restartCount ?? 0) >= 1 && app(p)?.lastState?.terminated && waiting.has("PostStartHookError") ? p : null;
      },
      { timeoutMs: 40_000, intervalMs: 100 },
    );
    expect(waiting.get("PostStartHookError")).toStartWith('Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "poststart-fail_default(');
    expect(restarted!.status!.phase).not.toBe("Failed");
    const ev = await waitForEvent("poststart-fail", "FailedPostStartHook");
    expect(ev).toMatchObject({ type: "Warning", message: "PostStartHook failed", source: { component: "kubelet", host: c.agent.nodeName } });
    expect(ev.involvedObject).toMatchObject({ kind: "Pod", namespace: "default", uid: restarted!.metadata.uid });
    await deleteAndWaitGone("poststart-fail");
  }, 60_000);

  test("preStop runs before the SIGTERM on deletion; a failing one is an Event and termination goes on", async () => {
    const dir = join(work, "prestop");
    mkdirSync(dir, { recursive: true });
    const trapTerm = 'trap "echo term >> /ctl/log; exit 0" TERM; while true; do sleep 0.1; done';
    const volume = { volumes: [{ name: "ctl", hostPath: { path: dir, type: "DirectoryOrCreate" } }] };
    await createPod("prestop", {
      terminationGracePeriodSeconds: 10,
      ...volume,
      containers: [
        {
          name: "app",
          image: IMAGE,
          command: ["sh", "-c", trapTerm],
          volumeMounts: [{ name: "ctl", mountPath: "/ctl" }],
          lifecycle: { preStop: { exec: { command: ["sh", "-c", "echo prestop >> /ctl/log"] } } },
        },
      ],
    });
    await createPod("prestop-fail", {
      containers: [{ name: "app", image: IMAGE, command: ["sleep", "3600"], lifecycle: { preStop: { exec: { command: ["sh", "-c", "exit 1"] } } } }],
    });
    await running("prestop");
    await running("prestop-fail");
    await Promise.all([deleteAndWaitGone("prestop"), deleteAndWaitGone("prestop-fail")]);
    expect(readFileSync(join(dir, "log"), "utf8")).toBe("prestop\nterm\n");
    const ev = await waitForEvent("prestop-fail", "FailedPreStopHook");
    expect(ev).toMatchObject({ type: "Warning", message: "PreStopHook failed", source: { component: "kubelet", host: c.agent.nodeName } });
    expect(await waitForEvent("prestop", "Killing")).toMatchObject({ type: "Normal", message: "Stopping container app" });
  }, 60_000);
});

/** An image tarball of its own (busybox's sh and sleep), so that the agent's containerd lacks it until the test says. */
function buildLateImage(name: string, out: string): void {
  const rootfs = join(work, "late-rootfs");
  mkdirSync(join(rootfs, "bin"), { recursive: true });
  copyFileSync(["/bin/busybox", "/usr/bin/busybox"].find(existsSync)!, join(rootfs, "bin/busybox"));
  for (const a of ["sh", "sleep"]) symlinkSync("busybox", join(rootfs, "bin", a));
  buildImage({ rootfs, name, cmd: ["/bin/sleep", "3600"], out });
}

describe("images", () => {
  test("a missing image: ErrImagePull, then ImagePullBackOff with events, and the pod starts once its tarball appears", async () => {
    const image = "local/lifecycle-late:1";
    await createPod("late-image", { containers: [{ name: "app", image }] });
    const failed = await waitForEvent("late-image", "Failed", (m) => m.startsWith(`Failed to pull image "${image}": `));
    expect(failed).toMatchObject({ type: "Warning", source: { component: "kubelet" } });
    await waitForEvent("late-image", "Failed", (m) => m === "Error: ErrImagePull");
    const backingOff = await waitFor("ImagePullBackOff", async () => {
      const p = await getPod("late-image");
      return app(p)?.state?.waiting?.reason === "ImagePullBackOff" ? p : null;
    });
    expect(app(backingOff)!.state!.waiting!.message).toBe(`Back-off pulling image "${image}"`);
    expect(backingOff!.status!.phase).toBe("Pending");
    expect(await waitForEvent("late-image", "BackOff", (m) => m === `Back-off pulling image "${image}"`)).toMatchObject({ type: "Normal" });

    // The tarball lands under a name the importer ignores, then is renamed: never read half-written.
    const tmp = join(c.dataDir, "images", "late.tar.part");
    buildLateImage(image, tmp);
    renameSync(tmp, join(c.dataDir, "images", "late.tar"));
    const started = await running("late-image");
    expect(app(started)).toMatchObject({ ready: true, restartCount: 0 });
    await deleteAndWaitGone("late-image");
  }, 60_000);

  test("imagePullPolicy Never with a missing image waits with ErrImageNeverPull and says so once", async () => {
    await createPod("never-pull", { containers: [{ name: "app", image: "local/not-there:1", imagePullPolicy: "Never" }] });
    const p = await waitFor("ErrImageNeverPull", async () => {
      const pod = await getPod("never-pull");
      return app(pod)?.state?.waiting?.reason === "ErrImageNeverPull" ? pod : null;
    });
    expect(app(p)!.state!.waiting!.message).toBe('Container image "local/not-there:1" is not present with pull policy of Never');
    await waitForEvent("never-pull", "ErrImageNeverPull");
    await Bun.sleep(1000); // several worker passes
    expect((await podEvents("never-pull")).find((e) => e.reason === "ErrImageNeverPull")?.count).toBe(1);
    await deleteAndWaitGone("never-pull");
  }, 30_000);
});

describe("volume refresh", () => {
  test("a configMap update reaches the mounted files via ..data; subPath mounts and env keep the old value", async () => {
    await api("/api/v1/namespaces/default/configmaps", "POST", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "greeting" }, data: { greeting: "hello", old: "x" } });
    await createPod("cfg", {
      volumes: [{ name: "cfg", configMap: { name: "greeting" } }],
      containers: [
        {
          name: "app",
          image: IMAGE,
          command: ["sleep", "3600"],
          env: [{ name: "GREETING", valueFrom: { configMapKeyRef: { name: "greeting", key: "greeting" } } }],
          volumeMounts: [
            { name: "cfg", mountPath: "/cfg" },
            { name: "cfg", mountPath: "/sub/greeting", subPath: "greeting" },
          ],
        },
      ],
    });
    const pod = (await running("cfg"))!;
    expect(await execIn(pod, ["cat", "/cfg/greeting"])).toBe("hello");
    const hostDir = join(c.dataDir, "pods", pod.metadata.uid!, "volumes", "cfg");
    const firstData = readlinkSync(join(hostDir, "..data"));
    expect(firstData).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
    expect(readlinkSync(join(hostDir, "greeting"))).toBe("..data/greeting");

    await api("/api/v1/namespaces/default/configmaps/greeting", "PUT", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "greeting" }, data: { greeting: "bonjour", added: "y" } });
    await waitFor("the new value in the container", async () => (await execIn(pod, ["cat", "/cfg/greeting"])) === "bonjour", { timeoutMs: 15_000 });
    expect(readlinkSync(join(hostDir, "..data"))).not.toBe(firstData);
    expect(existsSync(join(hostDir, firstData))).toBe(false);
    expect(await execIn(pod, ["cat", "/cfg/added"])).toBe("y");
    expect(await execIn(pod, ["ls", "/cfg"])).toBe("added\ngreeting\n");
    expect(lstatSync(join(hostDir, "added")).isSymbolicLink()).toBe(true);
    // As in Kubernetes: a subPath mount keeps the file it started with, and env vars never change.
    expect(await execIn(pod, ["cat", "/sub/greeting"])).toBe("hello");
    expect(await execIn(pod, ["sh", "-c", "echo -n $GREETING"])).toBe("hello");
    expect(app((await getPod("cfg"))!)!.restartCount).toBe(0);
    await deleteAndWaitGone("cfg");
  }, 60_000);
});
