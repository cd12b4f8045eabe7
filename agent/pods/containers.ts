// The containers of one pod (kubelet's kuberuntime container manager, beside the pod worker's
// syncPod): starts an instance when the restart policy and back-off allow — image, volumes and
// env first, then create, start and postStart — runs the probes and restarts what fails them,
// stops instances with preStop and the grace period, and remembers why each container waits.
// The pod worker (worker.ts) owns the pod, its sandbox and its status; it asks this class for a
// view of each container on every pass.
import { join } from "node:path";
import type { Container, Pod, ResourceList } from "../../src/apis/index.ts";
import type { ContainerStatus, ImageService, PodSandboxConfig, RuntimeService } from "../cri/index.ts";
import type { Backoff, BackoffOptions } from "./backoff.ts";
import { containerConfig } from "./container-config.ts";
import { ContainerConfigError, containerEnv } from "./env.ts";
import { MINIMUM_GRACE_SECONDS, POST_START_TIMEOUT_SECONDS, runHook, runPreStop, type HookTarget } from "./hooks.ts";
import { ImagePuller, type PullQueue, type Waiting } from "./image-puller.ts";
import type { PodApi } from "./pod-api.ts";
import { PodProber } from "./probes.ts";
import { pullCredentials } from "./pull-secrets.ts";
import { instanceStatus, restartCountOf } from "./runtime-pod.ts";
import { verifyRunAsNonRoot } from "./security-context.ts";
import type { ContainerView } from "./status.ts";
import { prepareVolumes, refreshVolumes } from "./volumes.ts";

/** What starting and stopping containers takes from the node. */
export interface PodContainersDeps {
  runtime: RuntimeService;
  images: ImageService;
  api: PodApi;
  backoff: Backoff;
  hostIP: string;
  /** Holds pods/<uid>/ (volumes) and logs/<ns>_<name>_<uid>/ (container logs). */
  dataDir: string;
  nodeAllocatable?: ResourceList;
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
  log?: (msg: string) => void;
}

/** What the containers need of their pod worker. */
export interface PodContext {
  /** The pod as last seen. */
  readonly pod: Pod;
  readonly uid: string;
  /** The sandbox's config, which CreateContainer takes again. */
  readonly sandboxConfig?: PodSandboxConfig;
  now(): Date;
  event(type: "Normal" | "Warning", reason: string, message: string): void;
}

/** kubelet's sync frequency, the period of its volume remounts. */
const DEFAULT_VOLUME_REFRESH_MS = 60_000;

export class PodContainers {
  private readonly waiting = new Map<string, Waiting>();
  private readonly probes = new PodProber();
  private readonly images: ImagePuller;
  private volumesWrittenAt?: number;

  constructor(
    private readonly ctx: PodContext,
    private readonly deps: PodContainersDeps,
  ) {
    this.images = new ImagePuller({
      images: deps.images,
      importImages: deps.importImages,
      queue: deps.pullQueue,
      pullDeadlineMs: deps.pullDeadlineMs,
      backoff: deps.imageBackoff,
      now: () => ctx.now().getTime(),
    });
  }

  /** One pass over one container: restart, back-off and probes; what its status should say. */
  async sync(pod: Pod, c: Container, sandboxId: string, podIP: string | undefined, instances: { id: string; annotations: Record<string, string> }[], isInit: boolean, mayStart: boolean): Promise<ContainerView> {
    const rt = this.deps.runtime;
    // Keep the newest two instances (current and previous, for lastState and `logs --previous`).
    for (const old of instances.slice(2)) await rt.removeContainer(old.id).catch(() => undefined);
    let current = await instanceStatus(rt, instances[0]);
    let previous = (await instanceStatus(rt, instances[1])) ?? undefined;
    let restartCount = current ? restartCountOf(current) : 0;
    const key = `${this.ctx.uid}/${c.name}`;
    const nowMs = this.ctx.now().getTime();

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
            this.ctx.event("Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${this.ctx.uid})`);
          }
          this.waiting.set(c.name, { reason: "CrashLoopBackOff", message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${this.ctx.uid})` });
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
    const imageWait = await this.images.ensure(c, (type, reason, message) => this.ctx.event(type, reason, message), (image) => pullCredentials(pod, image, this.deps.api, (type, reason, message) => this.ctx.event(type, reason, message)));
    if (imageWait) {
      this.waiting.set(c.name, imageWait);
      return null;
    }
    try {
      const { volumes, env } = await (early ?? prepare());
      verifyRunAsNonRoot(pod, c, (await this.deps.images.imageStatus(c.image ?? "")) ?? undefined);
      const config = containerConfig({ pod, container: c, restartCount, env, volumes });
      const id = await this.deps.runtime.createContainer(sandboxId, config, this.ctx.sandboxConfig!);
      this.ctx.event("Normal", "Created", `Created container: ${c.name}`);
      try {
        await this.deps.runtime.startContainer(id);
      } catch (err) {
        this.setWaiting(c.name, { reason: "RunContainerError", message: (err as Error).message });
        return id; // the instance exists (exited): back-off applies to it like to a crash
      }
      this.ctx.event("Normal", "Started", `Started container ${c.name}`);
      // postStart holds up the pass (and the containers after this one), as it does kubelet's.
      const postStart = c.lifecycle?.postStart;
      const failure = postStart && (await runHook(postStart, pod, c, this.hookTarget(id, podIP), POST_START_TIMEOUT_SECONDS));
      if (failure) {
        this.deps.log?.(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${failure}`);
        // The hook's own message stays out of the Event: it may hold secrets (kubelet's choice too).
        this.ctx.event("Warning", "FailedPostStartHook", "PostStartHook failed");
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
    this.volumesWrittenAt = this.ctx.now().getTime();
    const volumes = await prepareVolumes(pod, join(this.deps.dataDir, "pods", this.ctx.uid), this.deps.api, podIP);
    const env = await containerEnv(pod, c, { source: this.deps.api, podIP, hostIP: this.deps.hostIP, nodeAllocatable: this.deps.nodeAllocatable });
    return { volumes, env };
  }

  /** kubelet's volume remount: the pod's configMap/secret/downward volumes follow their sources. */
  async refreshVolumesIfDue(pod: Pod, podIP: string | undefined): Promise<void> {
    const nowMs = this.ctx.now().getTime();
    if (this.volumesWrittenAt !== undefined && nowMs < this.volumesWrittenAt + (this.deps.volumeRefreshMs ?? DEFAULT_VOLUME_REFRESH_MS)) return;
    this.volumesWrittenAt = nowMs;
    for (const failure of await refreshVolumes(pod, join(this.deps.dataDir, "pods", this.ctx.uid), this.deps.api, podIP)) {
      this.deps.log?.(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${failure}`);
      this.ctx.event("Warning", "FailedMount", failure);
    }
  }

  private hookTarget(id: string, podIP: string | undefined): HookTarget {
    return { podIP, exec: (cmd, timeoutSeconds) => this.deps.runtime.execSync(id, cmd, timeoutSeconds) };
  }

  /** Runs the container's preStop hook within the grace period; resolves with the grace left. */
  preStop(pod: Pod, name: string, id: string, podIP: string | undefined, graceSeconds: number): Promise<number> {
    const c = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((x) => x.name === name);
    return runPreStop(pod, c, this.hookTarget(id, podIP), graceSeconds, (failure) => {
      this.deps.log?.(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${failure}`);
      this.ctx.event("Warning", "FailedPreStopHook", "PreStopHook failed");
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
    if (before?.reason !== waiting.reason || before.message !== waiting.message) this.ctx.event("Warning", "Failed", `Error: ${waiting.message}`);
    this.waiting.set(name, waiting);
  }


  private async runProbes(c: Container, s: ContainerStatus, podIP: string | undefined, nowMs: number): Promise<void> {
    const target = { podIP, exec: async (cmd: string[], timeout: number) => (await this.deps.runtime.execSync(s.id, cmd, timeout)).exit_code };
    const unhealthy = (kind: string, output: string) => this.ctx.event("Warning", "Unhealthy", `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${output}`);
    const failed = await this.probes.run(c, s, target, nowMs, unhealthy);
    if (!failed) return;
    // A failed liveness or startup probe restarts the container, with its grace period.
    const grace = failed.probe.terminationGracePeriodSeconds ?? this.ctx.pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.deps.log?.(`pod ${this.ctx.pod.metadata.name}: container ${c.name} failed its ${failed.kind} probe, restarting`);
    this.ctx.event("Normal", "Killing", `Container ${c.name} failed ${failed.kind} probe, will be restarted`);
    await this.killContainer(this.ctx.pod, c, s.id, podIP, grace);
    this.probes.clear(c.name);
  }
}
