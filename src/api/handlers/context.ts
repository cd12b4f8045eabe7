// What every resource handler gets: the parsed URL, the query, the storage and helpers to answer.
import type { Context } from "hono";
import type { KubeObject } from "../../apis/meta.ts";
import { groupVersion, type ResourceInfo } from "../../apis/registry.ts";
import type { RequestInfo } from "../request-info.ts";
import type { LogProvider } from "../pod-logs.ts";
import type { AgentStreams } from "../streaming.ts";
import type { Storage, WriteOptions } from "../storage.ts";
import { badRequest } from "../../apis/errors.ts";
import { objectJson } from "../../store/index.ts";
import { converterFor } from "../../apis/conversion.ts";
import { requestUser } from "../auth.ts";
import { admissionFor } from "../admission.ts";
import { addAuditAnnotation } from "../audit/annotations.ts";
import type { EscalationDeps } from "../rbac-escalation.ts";
import type { QuotaDeps } from "../quota-admission.ts";
import type { WatchBudget } from "../limits.ts";
import type { PodSecurityDeps } from "../pod-security/index.ts";
import type { WebhookAdmission } from "../webhooks/index.ts";
import type { PolicyAdmission } from "../admission-policy/index.ts";

export interface ApiDeps {
  storage: Storage;
  now: () => Date;
  logs?: LogProvider;
  /** Where pods/exec, attach and portforward streams are relayed to. */
  streams?: AgentStreams;
  /** What RBAC escalation prevention consults; without it (the API alone, in tests) no check runs. */
  escalation?: EscalationDeps;
  /** What ResourceQuota admission reads and locks (quota-admission.ts). */
  quota?: QuotaDeps;
  /** How far behind a watcher may fall before it is closed (default DEFAULT_WATCH_BUDGET). */
  watchBudget?: WatchBudget;
  /** PodSecurity admission's configuration; without it (the API alone, in tests) no check runs. */
  podSecurity?: PodSecurityDeps;
  /** Admission webhooks (webhooks/); without them (the API alone, in tests) none are called. */
  webhooks?: WebhookAdmission;
  /** ValidatingAdmissionPolicies (admission-policy/); without them none are enforced. */
  policies?: PolicyAdmission;
}

export interface HandlerContext {
  c: Context;
  deps: ApiDeps;
  info: RequestInfo;
  r: ResourceInfo;
  query: URLSearchParams;
}

const NO_DRY_RUN: readonly string[] = [];
const FIELD_VALIDATIONS = new Set(["Strict", "Warn", "Ignore"]);

/** The User-Agent up to its first "/" (`userAgent.split("/")[0]`), without splitting the rest. */
function clientName(userAgent: string | undefined): string | undefined {
  if (userAgent === undefined) return undefined;
  const slash = userAgent.indexOf("/");
  return slash < 0 ? userAgent : userAgent.slice(0, slash);
}

export function writeOptions(h: HandlerContext): WriteOptions {
  const q = h.query;
  const dryRun = q.has("dryRun") ? q.getAll("dryRun") : NO_DRY_RUN;
  if (dryRun.some((d) => d !== "All")) throw badRequest(`Invalid dry run value: ${dryRun.join(",")}; supported: All`);
  const fv = q.get("fieldValidation") ?? "Warn";
  if (!FIELD_VALIDATIONS.has(fv)) {
    throw badRequest(`fieldValidation must be one of Ignore, Warn, Strict (got ${fv})`);
  }
  const warnings: string[] = [];
  const annotate = (k: string, v: string) => addAuditAnnotation(h.c, k, v);
  const fieldManager = q.get("fieldManager") ?? clientName(h.c.req.header("user-agent"));
  const user = requestUser(h.c);
  const webhooks = h.deps.webhooks && {
    admission: h.deps.webhooks,
    policies: h.deps.policies,
    request: { user, subresource: h.info.subresource, dryRun: dryRun.length > 0, fieldManager, warnings, annotate },
  };
  return {
    dryRun: dryRun.length > 0,
    // Kubernetes names an unnamed manager after the client: the User-Agent up to its first "/".
    fieldManager,
    fieldValidation: fv as WriteOptions["fieldValidation"],
    warnings,
    subresource: h.info.subresource,
    admit: admissionFor(user, h.r, h.deps.escalation, h.deps.quota, { deps: h.deps.podSecurity, subresource: h.info.subresource, warnings, annotate }, webhooks),
  };
}

/** JSON answer with the Warning headers collected while writing. */
export function respond(h: HandlerContext, body: unknown, status = 200, warnings: string[] = []): Response {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  // Most answers carry no warning: their headers are one shared object, copied by the Response.
  if (warnings.length === 0) return new Response(text, { status, headers: JSON_HEADERS });
  const headers = new Headers(JSON_HEADERS);
  // Header values are ASCII: anything else in a warning (an unknown field named "🙂") goes \u-escaped.
  const ascii = (w: string) => JSON.stringify(w).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
  for (const w of warnings) headers.append("warning", `299 - ${ascii(w)}`);
  return new Response(text, { status, headers });
}

const JSON_HEADERS = { "content-type": "application/json" };

/** The JSON of a stored object: made once per revision and shared by every answer (objectJson). */
export function respondObject(h: HandlerContext, obj: KubeObject, status = 200, warnings: string[] = []): Response {
  return respond(h, servedJson(h.r, obj), status, warnings);
}

/**
 * A stored object's JSON in the URL's version: the shared stored text, its conversion
 * (conversion.ts), or — for a custom resource stored in another version of its CRD — the object
 * with the URL's apiVersion, as the `None` conversion strategy converts.
 */
export function servedJson(r: ResourceInfo, obj: KubeObject): string {
  const conv = converterFor(r);
  if (conv) return JSON.stringify(conv.fromStorage(obj));
  if (!r.custom || obj.apiVersion === groupVersion(r)) return objectJson(obj);
  return JSON.stringify({ ...obj, apiVersion: groupVersion(r) });
}

/** Fills apiVersion/kind from the URL: client-node posts bodies without them. */
export function withTypeMeta(r: ResourceInfo, obj: KubeObject): KubeObject {
  return { apiVersion: groupVersion(r), kind: r.kind, ...obj, metadata: obj.metadata };
}

/** A body's apiVersion/kind must name the URL's resource when given. */
export function checkTypeMeta(r: ResourceInfo, obj: Record<string, unknown>, kind = r.kind, apiVersion = groupVersion(r)): void {
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (obj.kind !== undefined && obj.kind !== kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${kind})`);
  }
  if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== "object" || Array.isArray(obj.metadata))) {
    throw badRequest("metadata must be an object");
  }
}
