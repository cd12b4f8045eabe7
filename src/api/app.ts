// The Hono app of the API server: health, discovery, OpenAPI, and every resource path.
import { Hono, type Context } from "hono";
import { internalError, methodNotAllowed, notAcceptable, notFound, pathNotFound, serviceUnavailable, StatusError } from "../apis/errors.ts";
import { StorageUnavailableError } from "../store/errors.ts";
import { authentication, requestUser, type Authenticator } from "./auth.ts";
import { auditing, auditingFailedAuthentication, type AuditOptions } from "./audit/middleware.ts";
import { admitNodeRequest } from "./node-restriction.ts";
import type { PodSecurityConfig } from "./pod-security/index.ts";
import { alwaysAllow, type Authorizer, type RuleResolver } from "./authz.ts";
import { handleAccessReview } from "./handlers/access-review.ts";
import { handleSelfSubjectReview, handleSelfSubjectRulesReview } from "./handlers/self-review.ts";
import { handleTokenRequest } from "./handlers/token-request.ts";
import { NODE_TOKEN_PATH, type NodeTokens } from "./tokens-node.ts";
import type { ServiceAccountTokens } from "./tokens.ts";
import { RequestLimits, type LimitOptions } from "./limits.ts";
import { requestFilter } from "./filters.ts";
import { requestQuery } from "./request-query.ts";
import { AGGREGATED_DISCOVERY, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo, wantsAggregatedDiscovery } from "./discovery.ts";
import type { ApiDeps, HandlerContext } from "./handlers/context.ts";
import { handleExec } from "./handlers/exec.ts";
import { handleFinalize } from "./handlers/finalize.ts";
import { handlePatch } from "./handlers/patch.ts";
import { handlePortForward } from "./handlers/portforward.ts";
import { handleGet, handleList } from "./handlers/read.ts";
import { handleHistory } from "./handlers/history.ts";
import { handleScheduling } from "./handlers/scheduling.ts";
import { handleBinding, handleLog, handleScale } from "./handlers/subresources.ts";
import { handleEviction } from "./handlers/eviction.ts";
import { handleWatch } from "./handlers/watch.ts";
import { WebhookAdmission } from "./webhooks/index.ts";
import { PolicyAdmission } from "./admission-policy/index.ts";
import { handleCreate, handleDelete, handleDeleteCollection, handleUpdate } from "./handlers/write.ts";
import { parseRequestInfo, splitGroupVersion } from "./request-info.ts";
import { QuotaLocks } from "./quota-admission.ts";
import { healthCheckRoutes, healthRoutes, ServerHealth } from "./health.ts";
import { MetricsWindow, metricsRoutes } from "./metrics/index.ts";
import { mountUi } from "../ui/index.ts";
import { RouteMemo } from "./route-memo.ts";

export interface AppOptions extends ApiDeps {
  auth: Authenticator;
  /** Who may do what (default: everyone everything, for tests of the API alone). */
  authorizer?: Authorizer;
  /** RBAC's rules for a user: with it, writes of roles and bindings are held to what their author holds. */
  ruleResolver?: RuleResolver;
  /** Issues service account tokens (TokenRequest); without it serviceaccounts/token is not served. */
  serviceAccountTokens?: ServiceAccountTokens;
  /** The join-token-for-node-credential exchange; without it the endpoint is not served. */
  nodeTokens?: NodeTokens;
  /** Address clients reach the server at, for /api's serverAddressByClientCIDRs. */
  serverAddress?: string;
  /** Where and what to audit (kube-apiserver's --audit-policy-file, --audit-log-path); none: no audit log. */
  audit?: AuditOptions;
  /** Max in-flight and per-user rate limits (defaults: DEFAULT_LIMITS). */
  limits?: LimitOptions;
  /** PodSecurity admission (defaults and exemptions); omitted, no Pod Security checks run. */
  podSecurityConfig?: PodSecurityConfig;
  /** What /readyz, /livez and /healthz check (default: the storage's store, the server counted as started). */
  health?: ServerHealth;
  /** The in-memory window metrics.k8s.io is served from (default: a new one). */
  metrics?: MetricsWindow;
}

function statusResponse(err: StatusError): Response {
  return new Response(JSON.stringify(err.status), { status: err.code, headers: { "content-type": "application/json" } });
}

/**
 * The datastore is away for a moment (PostgreSQL restarting, a lost connection): a 503 Status
 * with Retry-After, which client-go and kubectl retry, rather than a 500 or a hung request.
 */
function storageUnavailable(err: StorageUnavailableError): Response {
  const status = serviceUnavailable(err.message).status;
  status.details = { retryAfterSeconds: 1 };
  return new Response(JSON.stringify(status), { status: 503, headers: { "content-type": "application/json", "retry-after": "1" } });
}

const isWatch = (q: URLSearchParams) => q.get("watch") === "true" || q.get("watch") === "1";

/**
 * A get or list without a resourceVersion asks for the newest state (kube's default, a quorum
 * read): where other servers share the datastore, this server first applies what they committed.
 * resourceVersion "0" (any), or a continue token (its own revision), read what this server has.
 */
async function fresh(h: HandlerContext, serve: (h: HandlerContext) => Response): Promise<Response> {
  if (!h.query.get("resourceVersion") && !h.query.get("continue")) await h.deps.storage.store.consistentRead?.();
  return serve(h);
}

/** Not async itself: the handler's own promise is the answer, without another hop around it. */
function dispatch(h: HandlerContext): Response | Promise<Response> {
  const method = h.c.req.method;
  const { name, subresource } = h.info;
  if (name && (method === "PUT" || method === "PATCH" || method === "DELETE")) admitNodeRequest(requestUser(h.c), h.r, name);
  const allowed = (verb: string) => {
    if (!h.r.verbs.includes(verb)) throw methodNotAllowed();
  };
  if (h.info.watchPath || (method === "GET" && isWatch(h.query))) {
    allowed("watch");
    return handleWatch(h);
  }
  if (subresource === "history" && name && method === "GET") return handleHistory(h);
  if (subresource === "scheduling" && name && method === "GET") return handleScheduling(h);
  if (subresource) {
    const sub = h.r.subresources.find((s) => s.name === subresource);
    if (!sub || !name) throw notFound({ resource: `${h.r.resource}/${subresource}`, group: h.r.group }, name ?? "");
    switch (subresource) {
      case "scale":
        return handleScale(h);
      case "binding":
        if (method !== "POST") throw methodNotAllowed();
        return handleBinding(h);
      case "eviction":
        if (method !== "POST") throw methodNotAllowed();
        return handleEviction(h);
      case "log":
        if (method !== "GET") throw methodNotAllowed();
        return handleLog(h);
      // Streams: kube maps both the GET (WebSocket) and the POST (SPDY) upgrade to the "create" verb.
      case "exec":
      case "attach":
        if (method !== "GET" && method !== "POST") throw methodNotAllowed();
        return handleExec(h, subresource);
      case "portforward":
        if (method !== "GET" && method !== "POST") throw methodNotAllowed();
        return handlePortForward(h);
      case "finalize":
        if (method !== "PUT") throw methodNotAllowed();
        return handleFinalize(h);
      case "status":
        if (method === "GET") return fresh(h, handleGet);
        if (method === "PUT") return handleUpdate(h);
        if (method === "PATCH") return handlePatch(h);
        throw methodNotAllowed();
      default:
        throw methodNotAllowed();
    }
  }
  if (name) {
    switch (method) {
      case "GET":
        allowed("get");
        return fresh(h, handleGet);
      case "PUT":
        allowed("update");
        return handleUpdate(h);
      case "PATCH":
        allowed("patch");
        return handlePatch(h);
      case "DELETE":
        allowed("delete");
        return handleDelete(h);
    }
    throw methodNotAllowed();
  }
  switch (method) {
    case "GET":
      allowed("list");
      return fresh(h, handleList);
    case "POST":
      allowed("create");
      return handleCreate(h);
    case "DELETE":
      allowed("deletecollection");
      return handleDeleteCollection(h);
  }
  throw methodNotAllowed();
}

export function createApp(opts: AppOptions): Hono {
  // Hono's default router, with each method and path's answer remembered (route-memo.ts).
  const app = new Hono({ router: new RouteMemo() });
  const authorizer = opts.authorizer ?? alwaysAllow;
  const escalation = opts.ruleResolver && { authorizer, ruleResolver: opts.ruleResolver, storage: opts.storage };
  const deps: ApiDeps = { storage: opts.storage, now: opts.now, logs: opts.logs, streams: opts.streams, escalation, watchBudget: opts.limits?.watch };
  deps.quota = { store: opts.storage.store, locks: new QuotaLocks(), now: opts.now };
  if (opts.podSecurityConfig) deps.podSecurity = { config: opts.podSecurityConfig, storage: opts.storage };
  deps.webhooks = opts.webhooks ?? new WebhookAdmission(opts.storage);
  deps.policies = new PolicyAdmission(opts.storage);

  app.onError((err) => {
    if (err instanceof StatusError) return statusResponse(err);
    if (err instanceof StorageUnavailableError) return storageUnavailable(err);
    console.error("kubun: internal error:", err);
    return statusResponse(internalError(err instanceof Error ? err.message : String(err)));
  });
  app.notFound(() => statusResponse(pathNotFound()));

  const health = opts.health ?? new ServerHealth(opts.storage.store, { ready: true });
  healthRoutes(app, health);
  app.get("/version", (c) => c.json(versionInfo()));
  mountUi(app);
  // Authentication, the limits and authorization run as one filter (filters.ts); with an audit
  // log, its filters wrap authentication and sit between it and the limits, as kube-apiserver's.
  if (opts.audit) {
    app.use("*", auditingFailedAuthentication(opts.audit));
    app.use("*", authentication(opts.auth));
    app.use("*", auditing(opts.audit));
  }
  app.use("*", requestFilter(opts.audit ? undefined : opts.auth, new RequestLimits(opts.limits), authorizer));
  healthCheckRoutes(app, health);

  // kubectl asks for aggregated discovery first: one answer instead of a request per group-version.
  const aggregated = (c: Context, core: boolean) =>
    new Response(JSON.stringify(aggregatedDiscovery(core)), { headers: { "content-type": AGGREGATED_DISCOVERY, vary: "Accept" } });
  app.get("/api", (c) => (wantsAggregatedDiscovery(c.req.header("accept")) ? aggregated(c, true) : c.json(apiVersions(opts.serverAddress ?? new URL(c.req.url).host))));
  app.get("/apis", (c) => (wantsAggregatedDiscovery(c.req.header("accept")) ? aggregated(c, false) : c.json(apiGroupList())));
  app.get("/api/:version", (c) => jsonOr404(c, apiResourceList("", c.req.param("version"))));
  app.get("/apis/:group", (c) => jsonOr404(c, apiGroup(c.req.param("group"))));
  app.get("/apis/:group/:version", (c) => jsonOr404(c, apiResourceList(c.req.param("group"), c.req.param("version"))));

  // The OpenAPI documents' builders (and protobufjs, yaml) load with the first request for one:
  // most servers' clients never ask, and the code stays out of the resident set until then.
  const openapi = () => import("./openapi/index.ts");
  app.get("/openapi/v2", async (c) => {
    const { negotiateOpenapiV2, OPENAPI_V2_PROTOBUF, openapiV2, openapiV2Protobuf } = await openapi();
    // kubectl asks for the v2 document in gnostic's protobuf only; other clients take JSON.
    const encoding = negotiateOpenapiV2(c.req.header("accept"));
    if (!encoding) throw notAcceptable(`only application/json and ${OPENAPI_V2_PROTOBUF} are served for /openapi/v2`);
    if (encoding === "json") return c.json(openapiV2());
    return c.body(openapiV2Protobuf(), 200, { "content-type": OPENAPI_V2_PROTOBUF });
  });
  app.get("/openapi/v3", async (c) => c.json((await openapi()).openapiV3Index()));
  app.get("/openapi/v3/*", async (c) => jsonOr404(c, (await openapi()).openapiV3GroupVersion(c.req.path.slice("/openapi/v3/".length))));

  // Virtual resources and subresources that are computed, not stored.
  app.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", (c) => handleAccessReview(c, authorizer, "SelfSubjectAccessReview"));
  app.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", (c) => handleAccessReview(c, authorizer, "SubjectAccessReview"));
  app.post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", (c) => handleSelfSubjectRulesReview(c, authorizer));
  app.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", (c) => handleSelfSubjectReview(c));
  const { nodeTokens, serviceAccountTokens } = opts;
  if (nodeTokens) app.post(NODE_TOKEN_PATH, (c) => nodeTokens.handle(c));
  if (serviceAccountTokens) {
    app.post("/api/v1/namespaces/:namespace/serviceaccounts/:name/token", (c) =>
      handleTokenRequest(c, opts.storage, serviceAccountTokens, c.req.param("namespace"), c.req.param("name")),
    );
  }

  metricsRoutes(app, { store: opts.storage.store, window: opts.metrics ?? new MetricsWindow(), now: opts.now });

  const resources = (c: Context) => {
    const gv = splitGroupVersion(c.req.path);
    if (!gv) throw pathNotFound();
    const info = parseRequestInfo(gv);
    const query = requestQuery(c);
    const res = dispatch({ c, deps, info, r: info.resource, query });
    // A deprecated custom resource version says so on every answer, as kube-apiserver does.
    const deprecated = info.resource.custom?.deprecationWarning;
    return deprecated ? withWarning(res, `299 - ${JSON.stringify(deprecated).replace(/[^\x20-\x7e]/g, "?")}`) : res;
  };
  app.all("/api/:version/*", resources);
  app.all("/apis/:group/:version/*", resources);
  return app;
}

async function withWarning(answer: Response | Promise<Response>, warning: string): Promise<Response> {
  const res = await answer;
  res.headers.append("warning", warning);
  return res;
}

function jsonOr404(c: Context, body: unknown): Response {
  if (body === undefined) throw pathNotFound();
  return c.json(body);
}
