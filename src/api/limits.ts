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

export interface RateBudget {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: the burst allowed after a quiet period. */
  burst: number;
}

export interface LimitOptions {
  /** Short requests served at once (kube-apiserver's --max-requests-inflight + mutating). 0 = no limit. */
  maxInFlight?: number;
  /** Budget of each user outside system:nodes and system:masters; undefined = no per-user limit. */
  user?: RateBudget;
  /** Budget of each node user (group system:nodes). */
  node?: RateBudget;
  /** Groups never rate limited. */
  exemptGroups?: string[];
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export const DEFAULT_LIMITS: Required<Omit<LimitOptions, "now">> = {
  maxInFlight: 400,
  user: { qps: 100, burst: 200 },
  node: { qps: 500, burst: 1000 },
  exemptGroups: ["system:masters"],
};

const UNLIMITED_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);
const STREAMING_SUBRESOURCES = new Set(["exec", "attach", "portforward", "proxy"]);

/** Requests that stay open for as long as the client wants (kube's long-running request check). */
export function isLongRunning(path: string, query: URLSearchParams): boolean {
  const watch = query.get("watch");
  if (watch === "true" || watch === "1") return true;
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

/** Runs after authentication: it reads the user the authenticator put on the context. */
export function limits(opts: LimitOptions = {}): MiddlewareHandler {
  const o = { ...DEFAULT_LIMITS, ...opts };
  const now = opts.now ?? (() => performance.now());
  const users = o.user && new TokenBuckets(o.user, now);
  const nodes = o.node && new TokenBuckets(o.node, now);
  let inFlight = 0;

  const rateLimit = (c: Context): number => {
    const user = c.get("user" as never) as UserInfo | undefined;
    if (!user || user.groups.some((g) => o.exemptGroups.includes(g))) return 0;
    const buckets = user.groups.includes("system:nodes") ? nodes : users;
    return buckets ? buckets.take(user.name) : 0;
  };

  return async (c, next) => {
    const path = c.req.path;
    if (UNLIMITED_PATHS.has(path)) return next();
    const wait = rateLimit(c);
    if (wait > 0) return rejected(wait);
    if (isLongRunning(path, new URL(c.req.url).searchParams)) return next();
    if (o.maxInFlight > 0 && inFlight >= o.maxInFlight) {
      return rejected(1, "Too many requests in flight, please try again later.");
    }
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
    }
  };
}
