// The audit filter (k8s.io/apiserver/pkg/endpoints/filters/audit.go): each request the policy
// selects is written to the audit log as audit.k8s.io/v1 Events — RequestReceived when it
// arrives, ResponseStarted when a long-running request (watch, log follow) sends its headers,
// ResponseComplete when it is answered — at the policy's level: Metadata (who, what, when, the
// outcome), Request (and the request's object) or RequestResponse (and the response's).
// Metadata never carries a body, so a Secret's data appears only where the policy asks for it.
import type { Context, MiddlewareHandler } from "hono";
import { requestUser, type UserInfo } from "../auth.ts";
import { requestAttributes, type RequestAttributes } from "../authz-attributes.ts";
import { decodeBody } from "../content.ts";
import { isLongRunning, untilDone } from "../limits.ts";
import { startAuditAnnotations } from "./annotations.ts";
import type { AuditSink } from "./log-writer.ts";
import { decide, type Decision, type Level, type Stage } from "./policy.ts";
import type { Policy } from "./policy.ts";
import { formatMicroTime } from "../../apis/time.ts";

export interface AuditOptions {
  policy: Policy;
  sink: AuditSink;
  now?: () => Date;
}

const userInfo = (u: UserInfo | undefined) => (u ? { username: u.name, ...(u.uid && { uid: u.uid }), groups: u.groups, ...(u.extra && { extra: u.extra }) } : {});

function objectRef(a: RequestAttributes): Record<string, unknown> | undefined {
  if (!a.resourceRequest) return undefined;
  return {
    resource: a.resource,
    ...(a.namespace && { namespace: a.namespace }),
    ...(a.name && { name: a.name }),
    apiGroup: a.apiGroup || undefined,
    apiVersion: a.apiVersion,
    ...(a.subresource && { subresource: a.subresource }),
  };
}

function withoutManagedFields(obj: unknown): unknown {
  if (!obj || typeof obj !== "object") return obj;
  const o = obj as { metadata?: Record<string, unknown>; items?: unknown[] };
  const out: Record<string, unknown> = { ...o };
  if (o.metadata && "managedFields" in o.metadata) {
    const { managedFields: _, ...metadata } = o.metadata;
    out.metadata = metadata;
  }
  if (Array.isArray(o.items)) out.items = o.items.map(withoutManagedFields);
  return out;
}

async function readRequestObject(c: Context): Promise<unknown> {
  if (!["POST", "PUT", "PATCH"].includes(c.req.method)) return undefined;
  try {
    const bytes = new Uint8Array(await c.req.raw.clone().arrayBuffer());
    return bytes.byteLength ? decodeBody(bytes, c.req.header("content-type") ?? null) : undefined;
  } catch {
    return undefined; // the handler answers the bad body; the event just goes without it
  }
}

/** Fills what the URL didn't say (a create's name) from the request's object. */
function completeObjectRef(ref: Record<string, unknown> | undefined, body: unknown): void {
  const meta = (body as { metadata?: { name?: unknown; namespace?: unknown } } | undefined)?.metadata;
  if (!ref || !meta || typeof meta !== "object") return;
  if (!ref.name && typeof meta.name === "string" && meta.name) ref.name = meta.name;
  if (!ref.namespace && typeof meta.namespace === "string" && meta.namespace) ref.namespace = meta.namespace;
}

async function readResponseObject(res: Response): Promise<unknown> {
  if (!res.headers.get("content-type")?.includes("json")) return undefined;
  try {
    return await res.clone().json();
  } catch {
    return undefined;
  }
}

const atLeast = (level: Level, wanted: Level) => ["None", "Metadata", "Request", "RequestResponse"].indexOf(level) >= ["None", "Metadata", "Request", "RequestResponse"].indexOf(wanted);

export function auditing(opts: AuditOptions): MiddlewareHandler {
  const now = opts.now ?? (() => new Date());
  return async (c, next) => {
    const caller = requestUser(c);
    const query = new URL(c.req.url).searchParams;
    const attrs = requestAttributes(c.req.method, c.req.path, query);
    const decision: Decision = decide(opts.policy, caller, attrs);
    if (decision.level === "None") return next();

    const received = now();
    const annotations = startAuditAnnotations(c);
    const base = {
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      level: decision.level,
      auditID: c.req.header("audit-id") || crypto.randomUUID(),
      requestURI: c.req.url.slice(new URL(c.req.url).origin.length),
      verb: attrs.verb,
      user: userInfo(caller),
      sourceIPs: [sourceIP(c)].filter(Boolean),
      userAgent: c.req.header("user-agent"),
      objectRef: objectRef(attrs),
      requestReceivedTimestamp: formatMicroTime(received),
    };
    const clean = (o: unknown) => (decision.omitManagedFields ? withoutManagedFields(o) : o);
    // The body names what a create is about (LogRequestObject fills objectRef from it); logged from Request on.
    const body = await readRequestObject(c);
    completeObjectRef(base.objectRef, body);
    const requestObject = atLeast(decision.level, "Request") ? clean(body) : undefined;
    const emit = (stage: Stage, extra: object = {}) => {
      if (decision.omitStages.has(stage)) return;
      const acting = requestUser(c);
      opts.sink.write({
        ...base,
        stage,
        ...(acting && acting !== caller && { impersonatedUser: userInfo(acting) }),
        ...(requestObject !== undefined && { requestObject }),
        ...extra,
        stageTimestamp: formatMicroTime(now()),
        ...(Object.keys(annotations).length && { annotations }),
      });
    };
    emit("RequestReceived");
    await next();
    const res = c.res;
    const responseStatus = await statusOf(res);
    if (isLongRunning(c.req.path, query) && res.status < 300 && res.body) {
      emit("ResponseStarted", { responseStatus });
      c.res = new Response(untilDone(res.body, () => emit("ResponseComplete", { responseStatus })), res);
      return;
    }
    const responseObject = atLeast(decision.level, "RequestResponse") ? clean(await readResponseObject(res)) : undefined;
    emit("ResponseComplete", { responseStatus, ...(responseObject !== undefined && { responseObject }) });
  };
}

/** The Status of the answer: its code, and for a failure the Status the server sent. */
async function statusOf(res: Response): Promise<object> {
  if (res.status < 400) return { metadata: {}, code: res.status };
  try {
    const s = (await res.clone().json()) as { status?: string; message?: string; reason?: string; code?: number };
    return { metadata: {}, status: s.status ?? "Failure", message: s.message, reason: s.reason, code: res.status };
  } catch {
    return { metadata: {}, status: "Failure", code: res.status };
  }
}

function sourceIP(c: Context): string | undefined {
  const server = c.env as { requestIP?(r: Request): { address: string } | null } | undefined;
  return server?.requestIP?.(c.req.raw)?.address;
}

/**
 * Requests refused for want of a valid credential never reach the audit filter (it runs after
 * authentication, to know the user): as kube-apiserver's WithFailedAuthenticationAudit, each
 * 401 the policy selects for an unknown user is logged as one ResponseStarted Event, whose
 * responseStatus says which credentials were tried.
 */
export function auditingFailedAuthentication(opts: AuditOptions): MiddlewareHandler {
  const now = opts.now ?? (() => new Date());
  return async (c, next) => {
    const received = now();
    await next();
    if (c.res.status !== 401 || requestUser(c)) return;
    const query = new URL(c.req.url).searchParams;
    const attrs = requestAttributes(c.req.method, c.req.path, query);
    const decision = decide(opts.policy, undefined, attrs);
    if (decision.level === "None" || decision.omitStages.has("ResponseStarted")) return;
    opts.sink.write({
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      level: decision.level,
      auditID: c.req.header("audit-id") || crypto.randomUUID(),
      stage: "ResponseStarted",
      requestURI: c.req.url.slice(new URL(c.req.url).origin.length),
      verb: attrs.verb,
      user: {},
      sourceIPs: [sourceIP(c)].filter(Boolean),
      userAgent: c.req.header("user-agent"),
      objectRef: objectRef(attrs),
      responseStatus: { metadata: {}, message: attemptedCredentials(c, query), code: 401 },
      requestReceivedTimestamp: formatMicroTime(received),
      stageTimestamp: formatMicroTime(now()),
    });
  };
}

/** kube's getAuthMethods: which kinds of credential the refused request carried. */
function attemptedCredentials(c: Context, query: URLSearchParams): string {
  const methods: string[] = [];
  const [scheme, rest] = (c.req.header("authorization") ?? "").trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === "basic" && rest) methods.push("basic");
  if (scheme?.toLowerCase() === "bearer" && rest) methods.push("bearer");
  if (query.get("access_token")?.trim()) methods.push("access_token");
  return methods.length ? `Authentication failed, attempted: ${methods.join(", ")}` : "Authentication failed, no credentials provided";
}
