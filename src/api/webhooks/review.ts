// The admission.k8s.io AdmissionReview sent to a webhook and the checks on its answer, after
// kube-apiserver's webhook/request (CreateV1AdmissionReview, VerifyAdmissionResponse): the
// answer must be an AdmissionReview of the version sent, for the same uid; only a mutating
// webhook may answer a patch, and only a JSONPatch.
import type { UserInfo } from "../auth.ts";
import type { Status } from "../../apis/meta.ts";
import type { AdmissionAttributes } from "./attributes.ts";
import { CallError } from "./client.ts";

export interface AdmissionResult {
  allowed: boolean;
  status?: Partial<Status>;
  /** The decoded JSON patch operations, when the webhook mutates. */
  patch?: unknown;
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

/** The AdmissionReview of `a`, in the first version of `versions` kubun speaks. */
export function admissionReview(a: AdmissionAttributes, uid: string, versions: readonly string[] | undefined): Record<string, unknown> {
  const version = (versions ?? []).find((v) => v === "v1" || v === "v1beta1") ?? "v1";
  const gvr = { group: a.resource.group, version: a.resource.version, resource: a.resource.resource };
  const request: Record<string, unknown> = {
    uid,
    kind: a.kind,
    resource: gvr,
    requestKind: a.kind,
    requestResource: gvr,
    operation: a.operation,
    userInfo: userInfo(a.user),
    object: a.object ?? null,
    oldObject: a.oldObject ?? null,
    dryRun: a.dryRun,
    options: a.options ?? null,
  };
  if (a.subresource) request.subResource = request.requestSubResource = a.subresource;
  if (a.name) request.name = a.name;
  if (a.namespace) request.namespace = a.namespace;
  return { apiVersion: `admission.k8s.io/${version}`, kind: "AdmissionReview", request };
}

function userInfo(u: UserInfo | undefined): Record<string, unknown> {
  if (!u) return { username: "system:anonymous", groups: ["system:unauthenticated"] };
  const out: Record<string, unknown> = { username: u.name, groups: u.groups };
  if (u.uid) out.uid = u.uid;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks a webhook's answer to `sent` and decodes it; CallError when it isn't a valid answer. */
export function admissionResult(sent: Record<string, unknown>, answer: unknown, mutating: boolean): AdmissionResult {
  const invalid = (why: string) => new CallError(`received invalid webhook response: ${why}`);
  if (!isObject(answer) || answer.apiVersion !== sent.apiVersion || answer.kind !== "AdmissionReview") {
    const got = isObject(answer) ? `${String(answer.apiVersion ?? "")}, Kind=${String(answer.kind ?? "")}` : typeof answer;
    throw invalid(`expected webhook response of ${String(sent.apiVersion)}, Kind=AdmissionReview, got ${got}`);
  }
  const response = answer.response;
  if (!isObject(response)) throw invalid("webhook response was absent");
  const uid = (sent.request as { uid: string }).uid;
  if (response.uid !== uid) throw invalid(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? "")}`);
  if (typeof response.allowed !== "boolean") throw invalid("response.allowed must be a boolean");
  const result: AdmissionResult = { allowed: response.allowed, warnings: [], auditAnnotations: {} };
  if (isObject(response.status)) result.status = response.status as Partial<Status>;
  if (Array.isArray(response.warnings)) result.warnings = response.warnings.filter((w): w is string => typeof w === "string");
  if (isObject(response.auditAnnotations)) {
    for (const [k, v] of Object.entries(response.auditAnnotations)) if (typeof v === "string") result.auditAnnotations[k] = v;
  }
  const hasPatch = typeof response.patch === "string" && response.patch.length > 0;
  if (!mutating && (hasPatch || response.patchType !== undefined)) throw invalid("validating webhook may not return response.patch or response.patchType");
  if (hasPatch) {
    if (response.patchType !== "JSONPatch") {
      throw invalid(response.patchType === undefined ? "webhook returned response.patch but not response.patchType" : `webhook returned invalid response.patchType of ${JSON.stringify(response.patchType)}`);
    }
    try {
      result.patch = JSON.parse(Buffer.from(response.patch as string, "base64").toString("utf8"));
    } catch {
      throw invalid("response.patch is not base64-encoded JSON");
    }
  } else if (response.patchType !== undefined && response.patchType !== "JSONPatch") {
    throw invalid(`webhook returned invalid response.patchType of ${JSON.stringify(response.patchType)}`);
  }
  return result;
}
