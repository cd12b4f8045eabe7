// SelfSubjectAccessReview and SubjectAccessReview (authorization.k8s.io/v1): create-only
// virtual resources that ask the authorizer a question and answer in status. Nothing is
// stored. `kubectl auth can-i` posts the first, for the caller (or whom it impersonates).
import type { Context } from "hono";
import { badRequest, fieldRequired, invalid } from "../../apis/errors.ts";
import { findResource } from "../../apis/registry.ts";
import { requestUser, type UserInfo } from "../auth.ts";
import type { Attributes } from "../authz-attributes.ts";
import type { Authorizer } from "../authz.ts";
import { decodeBody, expectObject, readBody } from "../content.ts";
import { checkTypeMeta } from "./context.ts";

const GROUP = "authorization.k8s.io";
type Obj = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : "");
const objOf = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);

/** The attributes a review's spec asks about. */
export function reviewAttributes(kind: string, spec: Obj, user: UserInfo): Attributes {
  const res = objOf(spec.resourceAttributes);
  const nonRes = objOf(spec.nonResourceAttributes);
  if (res && nonRes) throw invalid(kind, "", [{ reason: "FieldValueInvalid", message: "Invalid value: cannot be specified in combination with resourceAttributes", field: "spec.nonResourceAttributes" }], GROUP);
  if (!res && !nonRes) throw invalid(kind, "", [fieldRequired("spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified")], GROUP);
  if (nonRes) {
    return { user, verb: str(nonRes.verb), resourceRequest: false, path: str(nonRes.path), apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "" };
  }
  return {
    user,
    verb: str(res!.verb),
    resourceRequest: true,
    path: "",
    apiGroup: str(res!.group),
    apiVersion: str(res!.version),
    resource: str(res!.resource),
    subresource: str(res!.subresource),
    namespace: str(res!.namespace),
    name: str(res!.name),
  };
}

function subjectOf(spec: Obj): UserInfo {
  const user = str(spec.user);
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === "string") : [];
  if (!user && groups.length === 0) throw invalid("SubjectAccessReview", "", [fieldRequired("spec.user", "at least one of user or group must be specified")], GROUP);
  const extra = objOf(spec.extra) as Record<string, string[]> | undefined;
  return { name: user, groups, uid: str(spec.uid) || undefined, extra };
}

export async function handleAccessReview(c: Context, authorizer: Authorizer, kind: "SelfSubjectAccessReview" | "SubjectAccessReview"): Promise<Response> {
  const body = expectObject(decodeBody(await readBody(c.req.raw), c.req.header("content-type") ?? null));
  checkTypeMeta(findResource(GROUP, "v1", `${kind.toLowerCase()}s`)!, body);
  const spec = objOf(body.spec);
  if (!spec) throw badRequest("spec is required");
  const caller = requestUser(c);
  if (!caller) throw badRequest("no user");
  const user = kind === "SelfSubjectAccessReview" ? caller : subjectOf(spec);
  const decision = await authorizer.authorize(reviewAttributes(kind, spec, user));
  const status: Obj = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  const metadata = objOf(body.metadata) ?? {};
  return c.json({ apiVersion: `${GROUP}/v1`, kind, metadata: { ...metadata, creationTimestamp: null }, spec, status }, 201);
}
