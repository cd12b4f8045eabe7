// The pod status the agent reports, computed from what the runtime says (a pure function):
// container states, restart counts, readiness, the pod's phase and its conditions.
import type { Container, ContainerState, ContainerStatus as ApiContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from "../../src/apis/index.ts";
import type { ContainerStatus } from "../cri/index.ts";
import { formatTime } from "../../src/apis/time.ts";

/** What the worker knows about one container of the pod. */
export interface ContainerView {
  spec: Container;
  /** The newest runtime instance, if any. */
  current?: ContainerStatus;
  /** The instance before it (lastState). */
  previous?: ContainerStatus;
  restartCount: number;
  /** Why the container is not running (ContainerCreating, CrashLoopBackOff, ErrImagePull ...). */
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started?: boolean;
}

export interface PodStatusInput {
  pod: Pod;
  sandboxReady: boolean;
  podIP?: string;
  hostIP?: string;
  startTime?: string;
  init: ContainerView[];
  containers: ContainerView[];
  now: Date;
}

/** Runtime nanoseconds (a decimal string) as an RFC 3339 timestamp with seconds. */
export function nsToTime(ns: string | undefined): string | undefined {
  if (!ns || ns === "0") return undefined;
  return formatTime(Number(BigInt(ns) / 1_000_000n));
}

const containerID = (s: ContainerStatus) => `containerd://${s.id}`;

export function terminatedState(s: ContainerStatus): ContainerState {
  return {
    terminated: {
      exitCode: s.exit_code,
      reason: s.reason || (s.exit_code === 0 ? "Completed" : "Error"),
      ...(s.message ? { message: s.message } : {}),
      startedAt: nsToTime(s.started_at),
      finishedAt: nsToTime(s.finished_at),
      containerID: containerID(s),
    },
  };
}

function stateOf(v: ContainerView): ContainerState {
  const s = v.current;
  if (v.waiting) return { waiting: { reason: v.waiting.reason, ...(v.waiting.message ? { message: v.waiting.message } : {}) } };
  if (!s || s.state === "CONTAINER_CREATED" || s.state === "CONTAINER_UNKNOWN") return { waiting: { reason: "ContainerCreating" } };
  if (s.state === "CONTAINER_RUNNING") return { running: { startedAt: nsToTime(s.started_at) } };
  return terminatedState(s);
}

export function apiContainerStatus(v: ContainerView): ApiContainerStatus {
  const s = v.current;
  // The instance that last ended: the current one if a waiting state hides it, else the previous one.
  const last = v.waiting && s?.state === "CONTAINER_EXITED" ? s : v.previous;
  const state = stateOf(v);
  return {
    name: v.spec.name,
    state,
    lastState: last ? terminatedState(last) : {},
    ready: v.ready,
    restartCount: v.restartCount,
    image: s?.image?.image || v.spec.image || "",
    imageID: s?.image_ref ?? "",
    ...(s ? { containerID: containerID(s) } : {}),
    started: v.started ?? state.running !== undefined,
  };
}

const isSucceeded = (v: ContainerView) => v.current?.state === "CONTAINER_EXITED" && v.current.exit_code === 0 && !v.waiting;

export function podPhase(input: PodStatusInput, statuses: ApiContainerStatus[]): PodPhase {
  const policy = input.pod.spec?.restartPolicy ?? "Always";
  const initFailed = input.init.some((v) => v.current?.state === "CONTAINER_EXITED" && v.current.exit_code !== 0 && !v.waiting);
  if (initFailed && policy === "Never") return "Failed";
  if (!input.init.every(isSucceeded)) return "Pending";
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

function condition(old: PodCondition[] | undefined, type: string, ok: boolean, now: Date, reason?: string, message?: string): PodCondition {
  const status = ok ? "True" : "False";
  const prev = old?.find((c) => c.type === type);
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : formatTime(now),
    ...(!ok && reason ? { reason } : {}),
    ...(!ok && message ? { message } : {}),
  };
}

/** The conditions the agent computes; every other type belongs to another writer and survives its status writes (kubelet's mergePodStatus). */
export const KUBELET_CONDITIONS = new Set(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]);

/** Why the pod's readiness gates hold it unready, in kubelet's words; empty when every gate's condition is True. */
export function readinessGateMessages(pod: Pod, conditions: PodCondition[] | undefined): string[] {
  const out: string[] = [];
  for (const g of pod.spec?.readinessGates ?? []) {
    const c = conditions?.find((x) => x.type === g.conditionType);
    if (!c) out.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== "True") out.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  return out;
}

export function podStatus(input: PodStatusInput): PodStatus {
  const { pod, now } = input;
  const old = pod.status?.conditions;
  const initStatuses = input.init.map(apiContainerStatus);
  const statuses = input.containers.map(apiContainerStatus);
  const phase = podPhase(input, statuses);
  const terminal = phase === "Succeeded" || phase === "Failed";
  const initialized = input.init.every(isSucceeded) || statuses.some((s) => s.state?.running || s.state?.terminated);
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const pendingInit = input.init.filter((v) => !isSucceeded(v)).map((v) => v.spec.name);
  const gates = readinessGateMessages(pod, old);
  const containersReady = unready.length === 0 && !terminal;
  const notReadyReason = terminal ? "PodCompleted" : "ContainersNotReady";
  const notReadyMessage = terminal ? undefined : `containers with unready status: [${unready.join(" ")}]`;
  const ready = containersReady
    ? condition(old, "Ready", gates.length === 0, now, "ReadinessGatesNotReady", gates.join(", "))
    : condition(old, "Ready", false, now, notReadyReason, notReadyMessage);

  const conditions: PodCondition[] = [
    condition(old, "PodReadyToStartContainers", input.sandboxReady, now),
    condition(old, "Initialized", initialized, now, "ContainersNotInitialized", `containers with incomplete status: [${pendingInit.join(" ")}]`),
    ready,
    condition(old, "ContainersReady", containersReady, now, notReadyReason, notReadyMessage),
    old?.find((c) => c.type === "PodScheduled") ?? condition(undefined, "PodScheduled", true, now),
    // Conditions other writers own (readiness gates, DisruptionTarget, example.io/Foo) are theirs: kept as they are.
    ...(old ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type)),
  ];
  const status: PodStatus = {
    phase,
    conditions,
    ...(input.hostIP ? { hostIP: input.hostIP, hostIPs: [{ ip: input.hostIP }] } : {}),
    ...(input.podIP ? { podIP: input.podIP, podIPs: [{ ip: input.podIP }] } : {}),
    ...(input.startTime ? { startTime: input.startTime } : {}),
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
  };
  if (pod.status?.qosClass) status.qosClass = pod.status.qosClass;
  return status;
}
