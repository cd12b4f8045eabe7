// One pod worker per pod (kubelet's podWorkers + syncPod): drives the runtime towards the pod's
// spec — sandbox, init containers in order, then the app containers with their restart policy,
// back-off, probes and lifecycle hooks — keeps the pod's configMap/secret volumes up to date, and
// reports what it sees as the pod's status. On deletion it runs the preStop hooks and stops the
// containers within the grace period, removes the sandbox and confirms the deletion to the API.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Container, Pod, PodStatus, ResourceList } from "../../src/apis/index.ts";
import type { EventRecorder } from "../../src/client/index.ts";
import { verifyRunAsNonRoot } from "./security-context.ts";
import type { ContainerStatus, ImageService, PodSandboxConfig, Container as RuntimeContainer, RuntimeService } from "../cri/index.ts";
import type { Backoff, BackoffOptions } from "./backoff.ts";
import { containerConfig } from "./container-config.ts";
import { ContainerConfigError, containerEnv } from "./env.ts";
import { MINIMUM_GRACE_SECONDS, POST_START_TIMEOUT_SECONDS, runHook, runPreStop, type HookTarget } from "./hooks.ts";
import { criMessage, ImagePuller, type PullQueue, type Waiting } from "./image-puller.ts";
import { pullCredentials } from "./pull-secrets.ts";
import { CONTAINER_NAME } from "./labels.ts";
import type { PodApi } from "./pod-api.ts";
import { PodProber } from "./probes.ts";
import { instanceStatus, podContainers, podSandboxes, restartCountOf, teardownPod } from "./runtime-pod.ts";
import { sandboxConfig } from "./sandbox-config.ts";
import { podStatus, type ContainerView } from "./status.ts";
import { prepareVolumes, refreshVolumes } from "./volumes.ts";
import { formatTime } from "../../src/apis/time.ts";

/** How long agent shutdown waits for a pod worker's pass in flight. */
const STOP_WAIT_MS = 2000;

export interface PodWorkerDeps {
  runtime: RuntimeService;
  images: ImageService;
  api: PodApi;
  backoff: Backoff;
  hostIP: string;
  /** Holds pods/<uid>/ (volumes) and logs/<ns>_<name>_<uid>/ (container logs). */
  dataDir: string;
  /** How often a worker re-checks its pod's containers and probes. */
  syncPeriodMs: number;
  nodeAllocatable?: ResourceList;
  clusterDNS?: string[];
  /** Where the worker records Events about its pod (hook failures, image pulls). */
  recorder?: EventRecorder;
  /** Imports image tarballs that appeared since the last call, before a missing image is pulled. */
  importImages?: () => Promise<unknown>;
  /** Back-off between pulls of a missing image (kubelet: 10 s doubling to 5 min). */
  imageBackoff?: BackoffOptions;
  /** The node's pull queue (serialized pulls by default); absent: each worker pulls one at a time. */
  pullQueue?: PullQueue;
  /** How long one image pull may take. */
  pullDeadlineMs?: number;
  /** How often configMap, secret, downwardAPI and projected volumes are re-read (kubelet: about a minute). */
  volumeRefreshMs?: number;
  now?: () => Date;
  log?: (msg: string) => void;
}

/** kubelet's sync frequency, the period of its volume remounts. */
const DEFAULT_VOLUME_REFRESH_MS = 60_000;

export const podLogDir = (dataDir: string, pod: Pod) => join(dataDir, "logs", `${pod.metadata.namespace ?? "default"}_${pod.metadata.name}_${pod.metadata.uid}`);

// Transition times alone do not make a new status; nor does the order the API server writes fields in.
const statusKey = (status: PodStatus) =>
  JSON.stringify(Object.entries({ ...status, conditions: status.conditions?.map(({ lastTransitionTime, ...c }) => c) }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Same spec and metadata, bar the bookkeeping every write changes. */
const sameIntent = (a: Pod, b: Pod) => {
  const meta = (p: Pod) => JSON.stringify({ ...p.metadata, resourceVersion: undefined, managedFields: undefined });
  return meta(a) === meta(b) && JSON.stringify(a.spec) === JSON.stringify(b.spec);
};

export class PodWorker {
  private pod: Pod;
  private deleted = false;
  private stopped = false;
  private wake?: () => void;
  private lastStatus = "";
  private patching?: string;
  private startTime?: string;
  private sandboxConfig?: PodSandboxConfig;
  private readonly waiting = new Map<string, Waiting>();
  private readonly probes = new PodProber();
  private readonly images: ImagePuller;
  private volumesWrittenAt?: number;
  private sandboxFailure?: string;
  readonly done: Promise<void>;

  constructor(
    pod: Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
    this.startTime = pod.status?.startTime;
    this.images = new ImagePuller({
      images: deps.images,
      importImages: deps.importImages,
      queue: deps.pullQueue,
      pullDeadlineMs: deps.pullDeadlineMs,
      backoff: deps.imageBackoff,
      now: () => this.now().getTime(),
    });
    this.done = this.run();
  }

  get uid(): string {
    return this.pod.metadata.uid ?? "";
  }

  /** A newer version of the pod from the informer. */
  update(pod: Pod): void {
    // The echo of our own status patch changes nothing to act on: an extra pass per pod would only
    // load the runtime, which matters most in a burst of pod starts.
    const key = statusKey(pod.status ?? {});
    const echo = (key === this.lastStatus || key === this.patching) && sameIntent(pod, this.pod);
    this.pod = pod;
    if (!echo) this.wake?.();
  }

  /** The pod is gone from the API: tear it down without confirming anything. */
  remove(): void {
    this.deleted = true;
    this.wake?.();
  }

  /**
   * Agent shutdown: leave the containers running (the next agent re-adopts them). A pass in
   * flight may be waiting out a pod's grace period; shutdown doesn't wait for that — the next
   * agent finds the pod still terminating and finishes the job.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await Promise.race([this.done, Bun.sleep(STOP_WAIT_MS)]);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (await this.sync()) return;
      } catch (err) {
        this.deps.log?.(`pod ${this.pod.metadata.namespace}/${this.pod.metadata.name}: ${(err as Error).message}`);
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.syncPeriodMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One pass; true when the pod is finished with and the worker can end. */
  private async sync(): Promise<boolean> {
    const pod = this.pod;
    if (this.deleted || pod.metadata.deletionTimestamp) {
      const grace = this.deleted ? 0 : pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      const preStop = (c: RuntimeContainer, g: number) => {
        const name = c.labels[CONTAINER_NAME] ?? c.metadata.name;
        if (c.state === "CONTAINER_RUNNING") this.event("Normal", "Killing", `Stopping container ${name}`);
        return this.preStop(pod, name, c.id, pod.status?.podIP, g);
      };
      await teardownPod(this.deps.runtime, this.uid, grace, preStop);
      rmSync(join(this.deps.dataDir, "pods", this.uid), { recursive: true, force: true });
      rmSync(podLogDir(this.deps.dataDir, pod), { recursive: true, force: true });
      this.deps.backoff.forget(`${this.uid}/`);
      if (!this.deleted) await this.deps.api.confirmDeletion(pod);
      return true;
    }
    this.startTime ??= formatTime(this.now());
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") {
      // A finished pod keeps its record but not its sandbox: free the IP as kubelet does.
      for (const s of await podSandboxes(this.deps.runtime, this.uid)) if (s.state === "SANDBOX_READY") await this.deps.runtime.stopPodSandbox(s.id);
      return false;
    }

    let sandbox: Awaited<ReturnType<PodWorker["ensureSandbox"]>>;
    try {
      sandbox = await this.ensureSandbox(pod);
      this.sandboxFailure = undefined;
    } catch (err) {
      await this.sandboxFailed(pod, err);
      return false;
    }
    const { sandboxId, podIP, fresh } = sandbox;
    // A sandbox made in this pass has no containers yet: listing them would only add a round trip.
    const instances = fresh ? new Map<string, RuntimeContainer[]>() : await podContainers(this.deps.runtime, this.uid);
    const init: ContainerView[] = [];
    let initDone = true;
    for (const c of pod.spec?.initContainers ?? []) {
      const view = await this.syncContainer(pod, c, sandboxId, podIP, instances.get(c.name) ?? [], true, initDone);
      init.push(view);
      if (!(view.current?.state === "CONTAINER_EXITED" && view.current.exit_code === 0 && !view.waiting)) initDone = false;
    }
    const containers: ContainerView[] = [];
    for (const c of pod.spec?.containers ?? []) containers.push(await this.syncContainer(pod, c, sandboxId, podIP, instances.get(c.name) ?? [], false, initDone));
    if ([...init, ...containers].some((v) => v.current)) await this.refreshVolumesIfDue(pod, podIP);

    const status = podStatus({ pod, sandboxReady: true, podIP, hostIP: this.deps.hostIP, startTime: this.startTime, init, containers, now: this.now() });
    await this.report(status);
    return false;
  }

  /**
   * No sandbox: the pod stays ContainerCreating and a FailedCreatePodSandBox Warning carries the
   * runtime's message (told again only when it changes), as kubelet reports it; the next pass retries.
   */
  private async sandboxFailed(pod: Pod, err: unknown): Promise<void> {
    const message = `Failed to create pod sandbox: ${criMessage(err)}`;
    if (this.sandboxFailure !== message) {
      this.sandboxFailure = message;
      this.deps.log?.(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${message}`);
      this.event("Warning", "FailedCreatePodSandBox", message);
    }
    const view = (c: Container): ContainerView => ({ spec: c, restartCount: 0, ready: false, started: false });
    const init = (pod.spec?.initContainers ?? []).map(view);
    const containers = (pod.spec?.containers ?? []).map(view);
    await this.report(podStatus({ pod, sandboxReady: false, hostIP: this.deps.hostIP, startTime: this.startTime, init, containers, now: this.now() }));
  }

  private async report(status: PodStatus): Promise<void> {
    const key = statusKey(status);
    if (key === this.lastStatus) return;
    // The watch may bring the patched pod back before the patch call returns.
    this.patching = key;
    try {
      if (await this.deps.api.patchStatus(this.pod, status)) {
        this.lastStatus = key;
        this.pod = { ...this.pod, status };
      }
    } finally {
      this.patching = undefined;
    }
  }

  private async ensureSandbox(pod: Pod): Promise<{ sandboxId: string; podIP?: string; fresh: boolean }> {
    const rt = this.deps.runtime;
    const sandboxes = await podSandboxes(rt, this.uid);
    const logDirectory = podLogDir(this.deps.dataDir, pod);
    let sandboxId = sandboxes.find((s) => s.state === "SANDBOX_READY")?.id;
    const fresh = !sandboxId;
    if (!sandboxId) {
      // A dead sandbox takes its containers with it: clear it away and start over, as kubelet does.
      for (const s of sandboxes) {
        await rt.stopPodSandbox(s.id);
        await rt.removePodSandbox(s.id);
      }
      mkdirSync(logDirectory, { recursive: true });
      const config = sandboxConfig(pod, { logDirectory, clusterDNS: this.deps.clusterDNS, attempt: sandboxes.length ? (sandboxes[0]!.metadata.attempt ?? 0) + 1 : 0 });
      sandboxId = await rt.runPodSandbox(config);
      this.sandboxConfig = config;
    }
    this.sandboxConfig ??= sandboxConfig(pod, { logDirectory, clusterDNS: this.deps.clusterDNS });
    const status = await rt.podSandboxStatus(sandboxId);
    const podIP = pod.spec?.hostNetwork ? this.deps.hostIP : status?.network?.ip || undefined;
    return { sandboxId, podIP, fresh };
  }

  private async syncContainer(pod: Pod, c: Container, sandboxId: string, podIP: string | undefined, instances: { id: string; annotations: Record<string, string> }[], isInit: boolean, mayStart: boolean): Promise<ContainerView> {
    const rt = this.deps.runtime;
    // Keep the newest two instances (current and previous, for lastState and `logs --previous`).
    for (const old of instances.slice(2)) await rt.removeContainer(old.id).catch(() => undefined);
    let current = await instanceStatus(rt, instances[0]);
    let previous = (await instanceStatus(rt, instances[1])) ?? undefined;
    let restartCount = current ? restartCountOf(current) : 0;
    const key = `${this.uid}/${c.name}`;
    const nowMs = this.now().getTime();

    if (mayStart && current?.state === "CONTAINER_RUNNING") await this.runProbes(c, current, podIP, nowMs);
    if (mayStart && current?.state === "CONTAINER_CREATED") {
      // Created but never started (the agent stopped in between): start it over.
      await rt.removeContainer(current.id).catch(() => undefined);
      current = null;
    }
    if (mayStart && (!current || current.state === "CONTAINER_EXITED")) {
      const policy = pod.spec?.restartPolicy ?? "Always";
      const exitCode = current?.exit_code ?? 0;
      const restart = !current || (isInit ? exitCode !== 0 && policy !== "Never" : policy === "Always" || (policy === "OnFailure" && exitCode !== 0));
      if (restart) {
        const finishedMs = current ? Number(BigInt(current.finished_at || "0") / 1_000_000n) : 0;
        if (current) this.deps.backoff.observeRun(key, finishedMs - Number(BigInt(current.started_at || "0") / 1_000_000n));
        const delay = current ? this.deps.backoff.delay(key) : 0;
        if (current && nowMs < finishedMs + delay) {
          if (this.waiting.get(c.name)?.reason !== "CrashLoopBackOff") {
            this.event("Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${this.uid})`);
          }
          this.waiting.set(c.name, { reason: "CrashLoopBackOff", message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${this.uid})` });
        } else {
          const count = current ? restartCount + 1 : 0;
          const id = await this.startContainer(pod, c, sandboxId, podIP, count);
          if (id) {
            if (current) this.deps.backoff.next(key);
            // The new instance is the current one and the one it replaces the previous: no need to list them again.
            previous = current ?? previous;
            current = await rt.containerStatus(id);
            restartCount = count;
          }
        }
      } else this.waiting.delete(c.name);
    }
    const running = current?.state === "CONTAINER_RUNNING";
    if (!running) this.probes.clear(c.name);
    const started = running && this.probes.started(c);
    const ready = running && started && this.probes.ready(c) && !isInit;
    return { spec: c, current: current ?? undefined, previous, restartCount, waiting: this.waiting.get(c.name), ready, started };
  }

  /** Creates and starts one instance, resolving with its id; on failure records why the container is waiting. */
  private async startContainer(pod: Pod, c: Container, sandboxId: string, podIP: string | undefined, restartCount: number): Promise<string | null> {
    // The image check and the container's volumes and env (API round trips for tokens, ConfigMaps
    // and Secrets) don't depend on each other. A container stuck on its image keeps them in order,
    // so that it doesn't ask the API for them on every pass.
    const prepare = () => this.prepareContainer(pod, c, podIP);
    const stuck = this.waiting.get(c.name)?.reason ?? "";
    const early = stuck.startsWith("ErrImage") || stuck === "ImagePullBackOff" ? undefined : prepare();
    early?.catch(() => undefined); // awaited below unless the image fails first
    const imageWait = await this.images.ensure(c, (type, reason, message) => this.event(type, reason, message), (image) => pullCredentials(pod, image, this.deps.api, (type, reason, message) => this.event(type, reason, message)));
    if (imageWait) {
      this.waiting.set(c.name, imageWait);
      return null;
    }
    try {
      const { volumes, env } = await (early ?? prepare());
      verifyRunAsNonRoot(pod, c, (await this.deps.images.imageStatus(c.image ?? "")) ?? undefined);
      const config = containerConfig({ pod, container: c, restartCount, env, volumes });
      const id = await this.deps.runtime.createContainer(sandboxId, config, this.sandboxConfig!);
      this.event("Normal", "Created", `Created container: ${c.name}`);
      try {
        await this.deps.runtime.startContainer(id);
      } catch (err) {
        this.setWaiting(c.name, { reason: "RunContainerError", message: (err as Error).message });
        return id; // the instance exists (exited): back-off applies to it like to a crash
      }
      this.event("Normal", "Started", `Started container ${c.name}`);
      // postStart holds up the pass (and the containers after this one), as it does kubelet's.
      const postStart = c.lifecycle?.postStart;
      const failure = postStart && (await runHook(postStart, pod, c, this.hookTarget(id, podIP), POST_START_TIMEOUT_SECONDS));
      if (failure) {
        this.deps.log?.(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${failure}`);
        // The hook's own message stays out of the Event: it may hold secrets (kubelet's choice too).
        this.event("Warning", "FailedPostStartHook", "PostStartHook failed");
        await this.killContainer(pod, c, id, podIP, pod.spec?.terminationGracePeriodSeconds ?? 30);
        this.waiting.set(c.name, { reason: "PostStartHookError", message: failure });
        return id; // exited: restarted per restartPolicy, with back-off, like a crash
      }
      this.waiting.delete(c.name);
      return id;
    } catch (err) {
      const reason = err instanceof ContainerConfigError ? err.reason : "CreateContainerError";
      this.setWaiting(c.name, { reason, message: (err as Error).message });
      return null;
    }
  }

  private async prepareContainer(pod: Pod, c: Container, podIP: string | undefined) {
    this.volumesWrittenAt = this.now().getTime();
    const volumes = await prepareVolumes(pod, join(this.deps.dataDir, "pods", this.uid), this.deps.api, podIP);
    const env = await containerEnv(pod, c, { source: this.deps.api, podIP, hostIP: this.deps.hostIP, nodeAllocatable: this.deps.nodeAllocatable });
    return { volumes, env };
  }

  /** kubelet's volume remount: the pod's configMap/secret/downward volumes follow their sources. */
  private async refreshVolumesIfDue(pod: Pod, podIP: string | undefined): Promise<void> {
    const nowMs = this.now().getTime();
    if (this.volumesWrittenAt !== undefined && nowMs < this.volumesWrittenAt + (this.deps.volumeRefreshMs ?? DEFAULT_VOLUME_REFRESH_MS)) return;
    this.volumesWrittenAt = nowMs;
    for (const failure of await refreshVolumes(pod, join(this.deps.dataDir, "pods", this.uid), this.deps.api, podIP)) {
      this.deps.log?.(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${failure}`);
      this.event("Warning", "FailedMount", failure);
    }
  }

  private hookTarget(id: string, podIP: string | undefined): HookTarget {
    return { podIP, exec: (cmd, timeoutSeconds) => this.deps.runtime.execSync(id, cmd, timeoutSeconds) };
  }

  /** Runs the container's preStop hook within the grace period; resolves with the grace left. */
  private preStop(pod: Pod, name: string, id: string, podIP: string | undefined, graceSeconds: number): Promise<number> {
    const c = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((x) => x.name === name);
    return runPreStop(pod, c, this.hookTarget(id, podIP), graceSeconds, (failure) => {
      this.deps.log?.(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${failure}`);
      this.event("Warning", "FailedPreStopHook", "PreStopHook failed");
    });
  }

  /** Stops one instance the way kubelet's killContainer does: preStop, then SIGTERM, then SIGKILL. */
  private async killContainer(pod: Pod, c: Container, id: string, podIP: string | undefined, graceSeconds: number): Promise<void> {
    const left = await this.preStop(pod, c.name, id, podIP, graceSeconds);
    await this.deps.runtime.stopContainer(id, Math.max(left, MINIMUM_GRACE_SECONDS));
  }

  /** Records why a container waits, with kubelet's Failed event when that changed (not on every pass). */
  private setWaiting(name: string, waiting: { reason: string; message: string }): void {
    const before = this.waiting.get(name);
    if (before?.reason !== waiting.reason || before.message !== waiting.message) this.event("Warning", "Failed", `Error: ${waiting.message}`);
    this.waiting.set(name, waiting);
  }

  private event(type: "Normal" | "Warning", reason: string, message: string): void {
    // Pods from a list carry no kind; the Event's involvedObject needs one.
    this.deps.recorder?.event({ ...this.pod, apiVersion: "v1", kind: "Pod" }, type, reason, message);
  }

  private async runProbes(c: Container, s: ContainerStatus, podIP: string | undefined, nowMs: number): Promise<void> {
    const target = { podIP, exec: async (cmd: string[], timeout: number) => (await this.deps.runtime.execSync(s.id, cmd, timeout)).exit_code };
    const unhealthy = (kind: string, output: string) => this.event("Warning", "Unhealthy", `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${output}`);
    const failed = await this.probes.run(c, s, target, nowMs, unhealthy);
    if (!failed) return;
    // A failed liveness or startup probe restarts the container, with its grace period.
    const grace = failed.probe.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.deps.log?.(`pod ${this.pod.metadata.name}: container ${c.name} failed its ${failed.kind} probe, restarting`);
    this.event("Normal", "Killing", `Container ${c.name} failed ${failed.kind} probe, will be restarted`);
    await this.killContainer(this.pod, c, s.id, podIP, grace);
    this.probes.clear(c.name);
  }
}
