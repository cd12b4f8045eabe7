// Container probes: one check (httpGet to the pod IP, tcpSocket, grpc health, exec through the runtime), the
// per-container bookkeeping of periods, initial delay and success/failure thresholds, and a pod's
// set of them in kubelet's order.
import { connect } from "node:net";
import type { Container, Probe } from "../../src/apis/index.ts";
import type { ContainerStatus } from "../cri/index.ts";
import { grpcHealthFailure } from "./grpc-health.ts";

export type ProbeKind = "liveness" | "readiness" | "startup";

export interface ProbeTarget {
  podIP?: string;
  /** Runs a command in the container (CRI ExecSync); resolves with its exit code. */
  exec(cmd: string[], timeoutSeconds: number): Promise<number>;
}

/** A probe or hook port: a number, or the name of one of the container's ports. */
export function resolvePort(port: number | string, c: Container): number {
  if (typeof port === "number") return port;
  const named = c.ports?.find((p) => p.name === port)?.containerPort;
  return named ?? Number(port);
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/** Runs the probe's handler once; resolves with why it failed (kubelet's probe output), or undefined on success. */
export async function probeFailure(probe: Probe, c: Container, target: ProbeTarget): Promise<string | undefined> {
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  try {
    if (probe.exec) {
      const code = await target.exec(probe.exec.command ?? [], timeoutSeconds);
      return code === 0 ? undefined : `command ${JSON.stringify((probe.exec.command ?? []).join(" "))} exited with ${code}`;
    }
    // gRPC probes have no host field: always the pod IP, as kubelet dials.
    const host = probe.httpGet?.host || probe.tcpSocket?.host || target.podIP;
    if (!host) return "the pod has no IP";
    if (probe.httpGet) {
      const g = probe.httpGet;
      const url = `${(g.scheme ?? "HTTP").toLowerCase()}://${host.includes(":") ? `[${host}]` : host}:${resolvePort(g.port, c)}${g.path ?? "/"}`;
      const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
      const res = await fetch(url, { headers: { "user-agent": "kube-probe/1.32", ...headers }, signal: AbortSignal.timeout(timeoutSeconds * 1000), redirect: "manual", tls: { rejectUnauthorized: false } } as RequestInit);
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 400 ? undefined : `HTTP probe failed with statuscode: ${res.status}`;
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, c);
      return (await tcpCheck(host, port, timeoutSeconds * 1000)) ? undefined : `dial tcp ${host}:${port}: connection refused or timed out`;
    }
    if (probe.grpc) return await grpcHealthFailure(host, probe.grpc.port, probe.grpc.service ?? "", timeoutSeconds);
  } catch (err) {
    return (err as Error).message;
  }
  return "the probe has no handler";
}

/** One probe of one container instance: when it is due and what it currently says. */
export class ProbeState {
  private successes = 0;
  private failures = 0;
  private nextAt: number;
  /** Readiness and startup start out failing; liveness starts out passing. */
  result: boolean;

  constructor(
    readonly kind: ProbeKind,
    readonly probe: Probe,
    startedAtMs: number,
  ) {
    this.result = kind === "liveness";
    this.nextAt = startedAtMs + (probe.initialDelaySeconds ?? 0) * 1000;
  }

  due(nowMs: number): boolean {
    return nowMs >= this.nextAt;
  }

  /** Records one check; returns true when the result flipped. */
  record(ok: boolean, nowMs: number): boolean {
    this.nextAt = nowMs + (this.probe.periodSeconds ?? 10) * 1000;
    const before = this.result;
    if (ok) {
      this.failures = 0;
      if (++this.successes >= (this.kind === "readiness" ? this.probe.successThreshold ?? 1 : 1)) this.result = true;
    } else {
      this.successes = 0;
      if (++this.failures >= (this.probe.failureThreshold ?? 3)) this.result = false;
    }
    return before !== this.result;
  }

  /** Liveness and startup failures restart the container; readiness failures only unready it. */
  get failed(): boolean {
    return this.kind !== "readiness" && !this.result && this.failures >= (this.probe.failureThreshold ?? 3);
  }
}

/** The probes of one pod's containers, each tied to the container instance it watches. */
export class PodProber {
  private readonly states = new Map<string, ProbeState & { instance: string }>();

  /**
   * Runs the due probes of a running instance: startup first, liveness and readiness only once it
   * has passed. Resolves with the probe whose failure calls for a restart, if one failed;
   * `onFailure` hears of every failed check (kubelet's Unhealthy events).
   */
  async run(c: Container, s: ContainerStatus, target: ProbeTarget, nowMs: number, onFailure?: (kind: ProbeKind, output: string) => void): Promise<ProbeState | undefined> {
    const startedMs = Number(BigInt(s.started_at || "0") / 1_000_000n);
    const startup = this.state(c.name, s.id, "startup", c.startupProbe, startedMs);
    const gated = startup !== undefined && !startup.result;
    const order: [ProbeKind, ProbeState | undefined][] = [
      ["startup", startup],
      ["liveness", gated ? undefined : this.state(c.name, s.id, "liveness", c.livenessProbe, startedMs)],
      ["readiness", gated ? undefined : this.state(c.name, s.id, "readiness", c.readinessProbe, startedMs)],
    ];
    for (const [kind, state] of order) {
      if (!state || !state.due(nowMs) || (kind === "startup" && state.result)) continue;
      const failure = await probeFailure(state.probe, c, target);
      if (failure !== undefined) onFailure?.(kind, failure);
      state.record(failure === undefined, nowMs);
      if (state.failed) return state;
    }
    return undefined;
  }

  /** Forgets a container's probes (its instance stopped: the next one starts them afresh). */
  clear(name: string): void {
    for (const k of this.states.keys()) if (k.startsWith(`${name}/`)) this.states.delete(k);
  }

  /** Whether the startup probe has passed (true without one; false before its first check). */
  started(c: Container): boolean {
    return this.states.get(`${c.name}/startup`)?.result ?? !c.startupProbe;
  }

  /** The readiness probe's verdict (true without one; false before its first check, as kubelet starts it). */
  ready(c: Container): boolean {
    return this.states.get(`${c.name}/readiness`)?.result ?? !c.readinessProbe;
  }

  private state(name: string, instance: string, kind: ProbeKind, probe: Probe | undefined, startedMs: number): ProbeState | undefined {
    if (!probe) return undefined;
    const key = `${name}/${kind}`;
    let state = this.states.get(key);
    if (!state || state.instance !== instance) {
      state = Object.assign(new ProbeState(kind, probe, startedMs), { instance });
      this.states.set(key, state);
    }
    return state;
  }
}
