// Container lifecycle hooks (kubelet's handlerRunner): postStart runs right after StartContainer,
// preStop before the SIGTERM, each as exec (CRI ExecSync in the container), httpGet (to the pod
// IP, like probes) or sleep. Failure messages are kubelet's, since users grep for them.
import type { Container, LifecycleHandler, Pod } from "../../src/apis/index.ts";
import type { ExecSyncResponse } from "../cri/index.ts";
import { resolvePort } from "./probes.ts";

export interface HookTarget {
  podIP?: string;
  /** Runs a command in the container (CRI ExecSync). */
  exec(cmd: string[], timeoutSeconds: number): Promise<ExecSyncResponse>;
}

/** kubelet's default runtime request timeout, the only bound on a postStart hook. */
export const POST_START_TIMEOUT_SECONDS = 120;
/** kubelet gives a container at least this long between SIGTERM and SIGKILL, unless the deletion said otherwise. */
export const MINIMUM_GRACE_SECONDS = 2;

/** kubelet's format.Pod. */
const podRef = (pod: Pod) => `${pod.metadata.name}_${pod.metadata.namespace ?? "default"}(${pod.metadata.uid ?? ""})`;

async function execHook(cmd: string[], c: Container, pod: Pod, target: HookTarget, timeoutSeconds: number): Promise<string | undefined> {
  let error: string | undefined;
  let output = "";
  try {
    const res = await target.exec(cmd, timeoutSeconds);
    const stderr = Buffer.from(res.stderr ?? []).toString();
    output = Buffer.from(res.stdout ?? []).toString() + stderr;
    if (res.exit_code !== 0) error = `command '${cmd.join(" ")}' exited with ${res.exit_code}: ${stderr}`;
  } catch (err) {
    error = (err as Error).message;
  }
  if (error === undefined) return undefined;
  return `Exec lifecycle hook ([${cmd.join(" ")}]) for Container "${c.name}" in Pod "${podRef(pod)}" failed - error: ${error}, message: ${JSON.stringify(output)}`;
}

async function httpHook(get: NonNullable<LifecycleHandler["httpGet"]>, c: Container, pod: Pod, target: HookTarget, timeoutSeconds: number): Promise<string | undefined> {
  const host = get.host || target.podIP;
  const fail = (e: string) => `HTTP lifecycle hook (${get.path ?? ""}) for Container "${c.name}" in Pod "${podRef(pod)}" failed - error: ${e}`;
  if (!host) return fail("the pod has no IP");
  const url = `${(get.scheme ?? "HTTP").toLowerCase()}://${host.includes(":") ? `[${host}]` : host}:${resolvePort(get.port, c)}${get.path ?? "/"}`;
  const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
  try {
    const res = await fetch(url, {
      headers: { "user-agent": "kube-lifecycle/1.32", ...headers },
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
      redirect: "manual",
      tls: { rejectUnauthorized: false },
    } as RequestInit);
    await res.arrayBuffer().catch(() => undefined);
    // As in kubelet, only a failed request fails the hook: the status code is not looked at.
    return undefined;
  } catch (err) {
    return fail((err as Error).message);
  }
}

/**
 * Runs one lifecycle handler; resolves with kubelet's failure message, or undefined when the hook
 * succeeded. `timeoutSeconds` bounds it (a sleep longer than that fails).
 */
export async function runHook(handler: LifecycleHandler, pod: Pod, c: Container, target: HookTarget, timeoutSeconds: number): Promise<string | undefined> {
  if (handler.exec) return execHook(handler.exec.command ?? [], c, pod, target, timeoutSeconds);
  if (handler.httpGet) return httpHook(handler.httpGet, c, pod, target, timeoutSeconds);
  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    await Bun.sleep(Math.min(seconds, timeoutSeconds) * 1000);
    if (seconds <= timeoutSeconds) return undefined;
    return `Sleep lifecycle hook (${seconds}) for Container "${c.name}" in Pod "${podRef(pod)}" failed - error: container terminated before sleep hook finished`;
  }
  // tcpSocket is accepted by the API for compatibility but never run, as in kubelet.
  return `Cannot run handler: invalid handler: ${JSON.stringify(handler)}`;
}

/**
 * Runs the container's preStop hook, if any, within `graceSeconds` (the hook's time counts against
 * the grace period); `onFailure` hears of a failed hook, and termination goes on regardless.
 * Resolves with the seconds left for the SIGTERM.
 */
export async function runPreStop(pod: Pod, c: Container | undefined, target: HookTarget, graceSeconds: number, onFailure: (message: string) => void): Promise<number> {
  const handler = c?.lifecycle?.preStop;
  if (!c || !handler || graceSeconds <= 0) return graceSeconds;
  const start = Date.now();
  let timer: Timer | undefined;
  const hook = runHook(handler, pod, c, target, graceSeconds).then(
    (failure) => void (failure && onFailure(failure)),
    (err) => onFailure((err as Error).message),
  );
  // A hook still running when the grace period is up is left behind: the SIGKILL ends it.
  await Promise.race([hook, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceSeconds * 1000)))]);
  clearTimeout(timer);
  return Math.max(0, graceSeconds - Math.floor((Date.now() - start) / 1000));
}
