// Overload protection, after kube-apiserver's max-in-flight filter and the per-flow budgets of
// API Priority and Fairness, cut down to two mechanisms:
//   - at most `maxInFlight` short requests served at once; beyond that 429 at once (queueing
//     would only hold memory while clients time out). Long-running requests — watches,
//     `pods/log?follow`, exec/attach/portforward — last as long as the client wants and don't
//     count, as in Kubernetes.
//   - a token bucket per user, so one busy client cannot take every slot. Nodes (group
//     system:nodes) draw on their own, larger budget so heartbeats and status updates get
//     through while a noisy user is throttled; system:masters is exempt, as APF's "exempt"
//     priority level is.
// Rejections are Status TooManyRequests with a Retry-After header, which client-go honours.
import type { Context, MiddlewareHandler } from "hono";
import { tooManyRequests } from "../apis/errors.ts";
import type { UserInfo } from "./auth.ts";
import { requestQuery } from "./request-query.ts";

export interface RateBudget {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: the burst allowed after a quiet period. */
  burst: number;
}

/**
 * How far a watcher may fall behind before it is closed, as kube-apiserver closes a watcher
 * whose buffer stays full: a client that stops reading (or reads slower than the cluster
 * changes) would otherwise make the server hold every event for it. A closed watch is routine
 * for clients: they resume from the last resourceVersion they saw, or re-list.
 */
export interface WatchBudget {
  /** Bytes of events waiting for the client to read them. */
  maxQueuedBytes: number;
  /** How long more than `behindBytes` may stay unread. */
  maxBehindMs: number;
  behindBytes: number;
}

export const DEFAULT_WATCH_BUDGET: WatchBudget = { maxQueuedBytes: 8 * 1024 * 1024, maxBehindMs: 60_000, behindBytes: 256 * 1024 };

export interface LimitOptions {
  /** Short requests served at once (kube-apiserver's --max-requests-inflight + mutating). 0 = no limit. */
  maxInFlight?: number;
  /** Budget of each user outside system:nodes and system:masters; undefined = no per-user limit. */
  user?: RateBudget;
  /** Budget of each node user (group system:nodes). */
  node?: RateBudget;
  /** Groups never rate limited. */
  exemptGroups?: string[];
  /**
   * Long-running requests (watches, log follows) one user may have open at once; 0 = no cap.
   * Nodes (group system:nodes) have their own cap; exempt groups have none.
   */
  longRunningPerUser?: number;
  longRunningPerNode?: number;
  /** How far behind a watcher may fall before it is closed. */
  watch?: WatchBudget;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export const DEFAULT_LIMITS: Required<Omit<LimitOptions, "now">> = {
  maxInFlight: 400,
  user: { qps: 100, burst: 200 },
  node: { qps: 500, burst: 1000 },
  exemptGroups: ["system:masters"],
  longRunningPerUser: 100,
  longRunningPerNode: 500,
  watch: DEFAULT_WATCH_BUDGET,
};

const UNLIMITED_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);
const STREAMING_SUBRESOURCES = new Set(["exec", "attach", "portforward", "proxy"]);
const LONG_RUNNING_LAST_SEGMENTS = new Set([...STREAMING_SUBRESOURCES, "log"]);

/** Requests that stay open for as long as the client wants (kube's long-running request check). */
export function isLongRunning(path: string, query: URLSearchParams): boolean {
  const watch = query.get("watch");
  if (watch === "true" || watch === "1") return true;
  // Nothing below holds for a path with no "watch" in it whose last segment names no stream or
  // log (nearly every request): answered without splitting it.
  if (!path.includes("watch") && !LONG_RUNNING_LAST_SEGMENTS.has(path.slice(path.lastIndexOf("/") + 1))) return false;
  const segments = path.split("/");
  if ((segments[1] === "api" && segments[3] === "watch") || (segments[1] === "apis" && segments[4] === "watch")) return true;
  // .../{resource}/{name}/{subresource}
  const [resource, subresource] = [segments.at(-3), segments.at(-1) ?? ""];
  if (resource === "pods" && STREAMING_SUBRESOURCES.has(subresource)) return true;
  if (resource === "services" || resource === "nodes") return subresource === "proxy";
  return resource === "pods" && subresource === "log" && (query.get("follow") === "true" || query.get("follow") === "1");
}

/** A token bucket per key; buckets refill lazily when asked. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly budget: RateBudget,
    private readonly now: () => number,
  ) {}

  /** Takes a token for `key`: 0 when granted, else the seconds until one is available. */
  take(key: string): number {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { tokens: this.budget.burst, at: now }));
    b.tokens = Math.min(this.budget.burst, b.tokens + ((now - b.at) / 1000) * this.budget.qps);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.budget.qps));
  }
}

function rejected(retryAfterSeconds: number, message?: string): Response {
  const status = tooManyRequests(retryAfterSeconds).status;
  if (message) status.message = message;
  return new Response(JSON.stringify(status), {
    status: 429,
    headers: { "content-type": "application/json", "retry-after": String(retryAfterSeconds) },
  });
}

/** The body, calling `done` once when it ends, fails or the client goes away. Reads pass straight through. */
export function untilDone(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const r = await reader.read();
          if (!r.done) return controller.enqueue(r.value);
          finish();
          controller.close();
        } catch (err) {
          finish();
          controller.error(err);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    // Nothing is read ahead: what the client has not taken stays queued in `body`, where its producer sees it.
    { highWaterMark: 0 },
  );
}

/** Counts long-running requests per user; `acquire` answers a release function, or undefined when the user is at the cap. */
class OpenStreams {
  private readonly open = new Map<string, number>();

  acquire(user: string, cap: number): (() => void) | undefined {
    const n = this.open.get(user) ?? 0;
    if (cap > 0 && n >= cap) return undefined;
    this.open.set(user, n + 1);
    return () => {
      const left = (this.open.get(user) ?? 1) - 1;
      if (left > 0) this.open.set(user, left);
      else this.open.delete(user);
    };
  }
}

/**
 * The limits' state and steps, for `limits` below and for the API's request filter
 * (filters.ts), which runs the same steps without a middleware layer of their own.
 * They run after authentication: they read the user the authenticator put on the context.
 */
export class RequestLimits {
  private readonly o: Required<Omit<LimitOptions, "now">>;
  private readonly users: TokenBuckets | undefined;
  private readonly nodes: TokenBuckets | undefined;
  private inFlight = 0;
  private readonly streams = new OpenStreams();

  constructor(opts: LimitOptions = {}) {
    this.o = { ...DEFAULT_LIMITS, ...opts };
    const now = opts.now ?? (() => performance.now());
    this.users = this.o.user && new TokenBuckets(this.o.user, now);
    this.nodes = this.o.node && new TokenBuckets(this.o.node, now);
  }

  /** Paths no limit applies to (health checks, /version). */
  unlimited(path: string): boolean {
    return UNLIMITED_PATHS.has(path);
  }

  /** The 429 of a user over its budget, or undefined when it may go on. */
  rateLimited(c: Context): Response | undefined {
    const user = c.get("user" as never) as UserInfo | undefined;
    if (!user || user.groups.some((g) => this.o.exemptGroups.includes(g))) return undefined;
    const buckets = user.groups.includes("system:nodes") ? this.nodes : this.users;
    const wait = buckets ? buckets.take(user.name) : 0;
    return wait > 0 ? rejected(wait) : undefined;
  }

  /** A short request takes a slot (true), or there is none left (false: answer `tooBusy`). */
  enter(): boolean {
    if (this.o.maxInFlight > 0 && this.inFlight >= this.o.maxInFlight) return false;
    this.inFlight++;
    return true;
  }

  leave(): void {
    this.inFlight--;
  }

  tooBusy(): Response {
    return rejected(1, "Too many requests in flight, please try again later.");
  }

  /** A watch or log follow: counted against its user's cap until its body ends. */
  async longRunning(c: Context, next: () => Promise<void>): Promise<Response | void> {
    const o = this.o;
    const user = c.get("user" as never) as UserInfo | undefined;
    if (!user || user.groups.some((g) => o.exemptGroups.includes(g))) return next();
    const cap = user.groups.includes("system:nodes") ? o.longRunningPerNode : o.longRunningPerUser;
    const release = this.streams.acquire(user.name, cap);
    if (!release) return rejected(1, `Too many long-running requests (watches, log follows) open for user ${JSON.stringify(user.name)}: at most ${cap}`);
    try {
      await next();
    } catch (err) {
      release();
      throw err;
    }
    const body = c.res.body;
    if (!body || c.res.status === 101) return release();
    c.res = new Response(untilDone(body, release), c.res);
  }
}

/** The limits as a middleware of their own (the API runs them in its request filter, filters.ts). */
export function limits(opts: LimitOptions = {}): MiddlewareHandler {
  const l = new RequestLimits(opts);
  return async (c, next) => {
    const path = c.req.path;
    if (l.unlimited(path)) return next();
    const refused = l.rateLimited(c);
    if (refused) return refused;
    if (isLongRunning(path, requestQuery(c))) return l.longRunning(c, next);
    if (!l.enter()) return l.tooBusy();
    try {
      await next();
    } finally {
      l.leave();
    }
  };
}
