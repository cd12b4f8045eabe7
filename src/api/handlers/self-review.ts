// SelfSubjectReview (authentication.k8s.io/v1) and SelfSubjectRulesReview
// (authorization.k8s.io/v1): create-only virtual resources that tell callers about
// themselves — who they were authenticated as (`kubectl auth whoami`) and what they may do in
// a namespace (`kubectl auth can-i --list`). Nothing is stored.
import type { Context } from "hono";
import { badRequest } from "../../apis/errors.ts";
import { findResource } from "../../apis/registry.ts";
import { requestUser, type UserInfo } from "../auth.ts";
import { isRuleResolver, type Authorizer, type SubjectRules } from "../authz.ts";
import { decodeBody, expectObject, readBody } from "../content.ts";
import { checkTypeMeta } from "./context.ts";

type Obj = Record<string, unknown>;
const objOf = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);

async function readReview(c: Context, group: string, resource: string): Promise<{ body: Obj; user: UserInfo }> {
  const bytes = await readBody(c.req.raw);
  // whoami may post no body at all; an empty review is a valid one.
  const body = bytes.byteLength ? expectObject(decodeBody(bytes, c.req.header("content-type") ?? null)) : {};
  checkTypeMeta(findResource(group, "v1", resource)!, body);
  const user = requestUser(c);
  if (!user) throw badRequest("no user");
  return { body, user };
}

const answerMetadata = (body: Obj) => ({ ...(objOf(body.metadata) ?? {}), creationTimestamp: null });

export async function handleSelfSubjectReview(c: Context): Promise<Response> {
  const group = "authentication.k8s.io";
  const { body, user } = await readReview(c, group, "selfsubjectreviews");
  const userInfo: Obj = { username: user.name, groups: user.groups };
  if (user.uid) userInfo.uid = user.uid;
  if (user.extra && Object.keys(user.extra).length) userInfo.extra = user.extra;
  return c.json({ apiVersion: `${group}/v1`, kind: "SelfSubjectReview", metadata: answerMetadata(body), status: { userInfo } }, 201);
}

export async function handleSelfSubjectRulesReview(c: Context, authorizer: Authorizer): Promise<Response> {
  const group = "authorization.k8s.io";
  const { body, user } = await readReview(c, group, "selfsubjectrulesreviews");
  const spec = objOf(body.spec) ?? {};
  const namespace = typeof spec.namespace === "string" ? spec.namespace : "";
  const rules: SubjectRules = isRuleResolver(authorizer)
    ? authorizer.rulesFor(user, namespace)
    : { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: "the authorizer cannot list rules" };
  const status: Obj = { resourceRules: rules.resourceRules, nonResourceRules: rules.nonResourceRules, incomplete: rules.incomplete };
  if (rules.evaluationError) status.evaluationError = rules.evaluationError;
  return c.json({ apiVersion: `${group}/v1`, kind: "SelfSubjectRulesReview", metadata: answerMetadata(body), spec, status }, 201);
}
