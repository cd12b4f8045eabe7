// Container probes: one check (httpGet to the pod IP, tcpSocket, exec through the runtime) and
// the per-container bookkeeping of periods, initial delay and success/failure thresholds.
import { connect } from "node:net";
import type { Container, Probe } from "../../src/apis/index.ts";

export type ProbeKind = "liveness" | "readiness" | "startup";

export interface ProbeTarget {
  podIP?: string;
  /** Runs a command in the container (CRI ExecSync); resolves with its exit code. */
  exec(cmd: string[], timeoutSeconds: number): Promise<number>;
}

function resolvePort(port: number | string, c: Container): number {
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

/** Runs the probe's handler once; true means success. */
export async function probeOnce(probe: Probe, c: Container, target: ProbeTarget): Promise<boolean> {
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  try {
    if (probe.exec) return (await target.exec(probe.exec.command ?? [], timeoutSeconds)) === 0;
    const host = probe.httpGet?.host || probe.tcpSocket?.host || target.podIP;
    if (!host) return false;
    if (probe.httpGet) {
      const g = probe.httpGet;
      const url = `${(g.scheme ?? "HTTP").toLowerCase()}://${host.includes(":") ? `[${host}]` : host}:${resolvePort(g.port, c)}${g.path ?? "/"}`;
      const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
      const res = await fetch(url, { headers: { "user-agent": "kube-probe/1.32", ...headers }, signal: AbortSignal.timeout(timeoutSeconds * 1000), redirect: "manual", tls: { rejectUnauthorized: false } } as RequestInit);
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 400;
    }
    if (probe.tcpSocket) return await tcpCheck(host, resolvePort(probe.tcpSocket.port, c), timeoutSeconds * 1000);
  } catch {
    return false;
  }
  return true; // grpc probes are not supported: treated as passing rather than killing the pod
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
