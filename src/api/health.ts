// /readyz, /livez and /healthz with real checks, answered as kube-apiserver's healthz package
// answers them: "ok", or with ?verbose one "[+]name ok" / "[-]name failed: reason withheld"
// line per check and "<endpoint> check passed|failed"; a failing endpoint is a 500 with the
// list; /readyz/<check> answers one check with its reason. ?exclude=<check> skips one.
//
// readyz fails while the server should get no traffic: it is still starting, it is shutting
// down, or the store cannot take writes. livez fails when the process is wedged and a restart is
// the cure: the store's database does not answer reads, or the event loop stalled for long.
import type { Hono } from "hono";
import type { Store } from "../store/types.ts";

export interface HealthCheck {
  name: string;
  /** Why the check fails now, or undefined when it passes. */
  check(): string | undefined;
}

export interface EventLoopMonitorOptions {
  /** How often the monitor's timer should fire (default 200 ms). */
  intervalMs?: number;
  /** A tick this late counts as a stall (default 10 s). */
  maxStallMs?: number;
  /** How long a stall keeps livez failing (default 60 s). */
  windowMs?: number;
  now?: () => number;
}

/** Notices event-loop stalls: a timer that should fire every intervalMs and fires late. */
export class EventLoopMonitor {
  private last: number;
  private stall: { at: number; ms: number } | undefined;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly intervalMs: number;
  private readonly maxStallMs: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(opts: EventLoopMonitorOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 200;
    this.maxStallMs = opts.maxStallMs ?? 10_000;
    this.windowMs = opts.windowMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.last = this.now();
    this.timer = setInterval(() => this.observe(), this.intervalMs);
    this.timer.unref?.();
  }

  /** One tick of the timer (the test calls it with its own clock). */
  observe(): void {
    const now = this.now();
    const late = now - this.last - this.intervalMs;
    this.last = now;
    if (late >= this.maxStallMs) this.stall = { at: now, ms: late };
  }

  failure(): string | undefined {
    // A check running now also measures the stall that is only now ending.
    this.observe();
    if (!this.stall || this.now() - this.stall.at > this.windowMs) return undefined;
    return `the event loop stalled for ${(this.stall.ms / 1000).toFixed(1)}s`;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface ServerHealthOptions {
  /** The server begins ready (the API alone, in tests) instead of starting. */
  ready?: boolean;
  eventLoop?: EventLoopMonitorOptions;
}

/** The server's lifecycle and the checks of each health endpoint. */
export class ServerHealth {
  private phase: "starting" | "running" | "stopping";
  private readonly loop: EventLoopMonitor;
  readonly readyz: HealthCheck[];
  readonly livez: HealthCheck[];
  readonly healthz: HealthCheck[];

  constructor(store: Pick<Store, "writeFailure" | "readFailure">, opts: ServerHealthOptions = {}) {
    this.phase = opts.ready ? "running" : "starting";
    this.loop = new EventLoopMonitor(opts.eventLoop);
    const ping: HealthCheck = { name: "ping", check: () => undefined };
    const etcdRead: HealthCheck = { name: "etcd", check: () => store.readFailure?.() };
    const etcdWrite: HealthCheck = { name: "etcd", check: () => store.readFailure?.() ?? store.writeFailure?.() };
    const started: HealthCheck = { name: "poststarthook/kubun-bootstrap", check: () => (this.phase === "starting" ? "not finished" : undefined) };
    const shutdown: HealthCheck = { name: "shutdown", check: () => (this.phase === "stopping" ? "process is shutting down" : undefined) };
    const eventLoop: HealthCheck = { name: "event-loop", check: () => this.loop.failure() };
    this.readyz = [ping, etcdWrite, started, shutdown];
    this.livez = [ping, etcdRead, eventLoop, started];
    this.healthz = [ping, etcdRead, started];
  }

  /** Start-up is done: the bootstrap objects are written and the controllers run. */
  markStarted(): void {
    if (this.phase === "starting") this.phase = "running";
  }

  /** Shutdown has begun: readyz fails so load balancers stop sending, while requests in flight finish. */
  markShuttingDown(): void {
    this.phase = "stopping";
  }

  stop(): void {
    this.loop.stop();
  }
}

const TEXT = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };

/** The answer of one endpoint over its checks (healthz.handleRootHealth). */
export function answerHealth(endpoint: string, checks: HealthCheck[], query: URLSearchParams): Response {
  const excluded = new Set(query.getAll("exclude").flatMap((e) => e.split(",")).filter(Boolean));
  let out = "";
  let failed = false;
  for (const c of checks) {
    if (excluded.delete(c.name)) {
      out += `[+]${c.name} excluded: ok\n`;
      continue;
    }
    if (c.check() === undefined) out += `[+]${c.name} ok\n`;
    else {
      failed = true;
      out += `[-]${c.name} failed: reason withheld\n`;
    }
  }
  if (excluded.size) out += `warning: some health checks cannot be excluded: no matches for ${[...excluded].map((e) => `"${e}"`).join(",")}\n`;
  if (failed) return new Response(`${out}${endpoint} check failed\n`, { status: 500, headers: TEXT });
  if (!query.has("verbose") && query.getAll("exclude").length === 0) return new Response("ok", { headers: TEXT });
  return new Response(`${out}${endpoint} check passed\n`, { headers: TEXT });
}

/** The answer of /<endpoint>/<check>: "ok", or a 500 with the reason. */
export function answerOneCheck(checks: HealthCheck[], name: string): Response | undefined {
  const c = checks.find((x) => x.name === name);
  if (!c) return undefined;
  const failure = c.check();
  if (failure === undefined) return new Response("ok", { headers: TEXT });
  return new Response(`internal server error: ${failure}\n`, { status: 500, headers: TEXT });
}

const ENDPOINTS = ["readyz", "livez", "healthz"] as const;

/** Serves the three endpoints (open to everyone, as system:public-info-viewer allows): register before authentication. */
export function healthRoutes(app: Hono, health: ServerHealth): void {
  for (const endpoint of ENDPOINTS) app.get(`/${endpoint}`, (c) => answerHealth(endpoint, health[endpoint], new URL(c.req.url).searchParams));
}

/** Serves /<endpoint>/<check>, which tell the reason: register after authentication and authorization. */
export function healthCheckRoutes(app: Hono, health: ServerHealth): void {
  for (const endpoint of ENDPOINTS) {
    app.get(`/${endpoint}/*`, (c) => {
      const name = c.req.path.slice(endpoint.length + 2);
      return answerOneCheck(health[endpoint], name) ?? new Response("404 page not found\n", { status: 404, headers: TEXT });
    });
  }
}
