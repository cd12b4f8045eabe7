// One pod worker per pod (kubelet's podWorkers + syncPod): drives the runtime towards the pod's
// spec — sandbox, init containers in order, then the app containers with their restart policy,
// back-off, probes and lifecycle hooks — keeps the pod's configMap/secret volumes up to date, and
// reports what it sees as the pod's status (its containers' own lifecycle is containers.ts). On deletion it runs the preStop hooks and stops the
// containers within the grace period, removes the sandbox and confirms the deletion to the API.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Container, Pod, PodStatus } from "../../src/apis/index.ts";
import { formatTime } from "../../src/apis/time.ts";
import type { EventRecorder } from "../../src/client/index.ts";
import type { PodSandboxConfig, Container as RuntimeContainer } from "../cri/index.ts";
import { PodContainers, type PodContainersDeps } from "./containers.ts";
import { criMessage } from "./image-puller.ts";
import { CONTAINER_NAME } from "./labels.ts";
import { podContainers, podSandboxes, teardownPod } from "./runtime-pod.ts";
import { sandboxConfig } from "./sandbox-config.ts";
import { podStatus, type ContainerView } from "./status.ts";
import { compareStrings } from "../../src/apis/compare.ts";

/** How long agent shutdown waits for a pod worker's pass in flight. */
const STOP_WAIT_MS = 2000;

export interface PodWorkerDeps extends PodContainersDeps {
  /** How often a worker re-checks its pod's containers and probes. */
  syncPeriodMs: number;
  clusterDNS?: string[];
  /** Where the worker records Events about its pod (hook failures, image pulls). */
  recorder?: EventRecorder;
  now?: () => Date;
}

export const podLogDir = (dataDir: string, pod: Pod) => join(dataDir, "logs", `${pod.metadata.namespace ?? "default"}_${pod.metadata.name}_${pod.metadata.uid}`);

// Transition times alone do not make a new status; nor does the order the API server writes fields in.
const statusKey = (status: PodStatus) =>
  JSON.stringify(Object.entries({ ...status, conditions: status.conditions?.map(({ lastTransitionTime, ...c }) => c) }).sort(([a], [b]) => compareStrings(a, b)));

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
  private readonly containers: PodContainers;
  private sandboxFailure?: string;
  readonly done: Promise<void>;

  constructor(
    pod: Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
    this.startTime = pod.status?.startTime;
    const worker = this;
    this.containers = new PodContainers(
      {
        get pod() {
          return worker.pod;
        },
        get uid() {
          return worker.uid;
        },
        get sandboxConfig() {
          return worker.sandboxConfig;
        },
        now: () => this.now(),
        event: (type: "Normal" | "Warning", reason: string, message: string) => this.event(type, reason, message),
      },
      deps,
    );
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
        return this.containers.preStop(pod, name, c.id, pod.status?.podIP, g);
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
      const view = await this.containers.sync(pod, c, sandboxId, podIP, instances.get(c.name) ?? [], true, initDone);
      init.push(view);
      if (!(view.current?.state === "CONTAINER_EXITED" && view.current.exit_code === 0 && !view.waiting)) initDone = false;
    }
    const containers: ContainerView[] = [];
    for (const c of pod.spec?.containers ?? []) containers.push(await this.containers.sync(pod, c, sandboxId, podIP, instances.get(c.name) ?? [], false, initDone));
    if ([...init, ...containers].some((v) => v.current)) await this.containers.refreshVolumesIfDue(pod, podIP);

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

  private event(type: "Normal" | "Warning", reason: string, message: string): void {
    // Pods from a list carry no kind; the Event's involvedObject needs one.
    this.deps.recorder?.event({ ...this.pod, apiVersion: "v1", kind: "Pod" }, type, reason, message);
  }
}
