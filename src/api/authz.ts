// Authorization: whether the authenticated user may do what the request asks. Authorizers are
// chained as in kube-apiserver (--authorization-mode=Node,RBAC): system:masters first, then
// the node authorizer, then RBAC; the first that allows wins, and a refusal is a 403 Status in
// Kubernetes' words. Impersonation (Impersonate-User/-Group/-Uid headers) is resolved here too,
// because it is itself authorized: the caller needs the "impersonate" verb on what it assumes.
import type { Context, MiddlewareHandler } from "hono";
import { requestQuery } from "./request-query.ts";
import { badRequest } from "../apis/errors.ts";
import { addAuditAnnotation } from "./audit/annotations.ts";
import { GROUP_MASTERS, requestUser, withAuthenticatedGroup, type UserInfo } from "./auth.ts";
import { forbiddenError, userRequestAttributes, type Attributes } from "./authz-attributes.ts";
import { stageEnd, stageStart } from "../store/stage-timers.ts";

export interface Decision {
  allowed: boolean;
  /** Why, when an authorizer has something to say (an RBAC binding that allowed, a node rule). */
  reason?: string;
}

export interface Authorizer {
  authorize(a: Attributes): Decision | Promise<Decision>;
}

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs?: string[];
}

/** What a user may do in a namespace, as SelfSubjectRulesReview lists it (kube's RuleResolver). */
export interface SubjectRules {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** True when some authorizer can't enumerate everything it would allow. */
  incomplete: boolean;
  evaluationError?: string;
}

export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): SubjectRules;
}

export const ALLOW: Decision = { allowed: true };
export const NO_OPINION: Decision = { allowed: false };

export const alwaysAllow: Authorizer = { authorize: () => ALLOW };

/** system:masters may do anything, without consulting RBAC (kube's privileged group). */
export const mastersAuthorizer: Authorizer = {
  authorize: (a) => (a.user.groups.includes(GROUP_MASTERS) ? ALLOW : NO_OPINION),
};

/** The first authorizer that allows decides; otherwise the last reason given explains the refusal. */
export class AuthorizerChain implements Authorizer, RuleResolver {
  constructor(private readonly chain: Authorizer[]) {}

  /** The union of what every authorizer that can enumerate its rules says. */
  rulesFor(user: UserInfo, namespace: string): SubjectRules {
    const out: SubjectRules = { resourceRules: [], nonResourceRules: [], incomplete: false };
    const errors: string[] = [];
    for (const z of this.chain) {
      if (!isRuleResolver(z)) continue;
      const r = z.rulesFor(user, namespace);
      out.resourceRules.push(...r.resourceRules);
      out.nonResourceRules.push(...r.nonResourceRules);
      out.incomplete ||= r.incomplete;
      if (r.evaluationError) errors.push(r.evaluationError);
    }
    // kube's aggregate error: the message alone, or "[a, b]" for several.
    if (errors.length) out.evaluationError = errors.length === 1 ? errors[0] : `[${errors.join(", ")}]`;
    return out;
  }

  /** Synchronous as long as the authorizers asked were (masters, Node and RBAC all are). */
  authorize(a: Attributes): Decision | Promise<Decision> {
    return this.#from(a, 0, undefined);
  }

  #from(a: Attributes, first: number, reason: string | undefined): Decision | Promise<Decision> {
    for (let i = first; i < this.chain.length; i++) {
      const d = this.chain[i]!.authorize(a);
      if (d instanceof Promise) return d.then((d) => (d.allowed ? d : this.#from(a, i + 1, reason ?? d.reason)));
      if (d.allowed) return d;
      reason ??= d.reason;
    }
    return { allowed: false, reason };
  }
}

export function isRuleResolver(z: unknown): z is RuleResolver {
  return typeof (z as Partial<RuleResolver>).rulesFor === "function";
}

const SA_PREFIX = "system:serviceaccount:";

/** The user the request acts as: the impersonated one if the caller may impersonate it. */
export function impersonate(headers: Headers, user: UserInfo, authorizer: Authorizer): UserInfo | Promise<UserInfo> {
  // Almost every request impersonates no one: that answer needs no promise.
  const name = headers.get("impersonate-user");
  if (!name && !headers.has("impersonate-group") && !headers.has("impersonate-uid")) return user;
  return impersonating(headers, name, user, authorizer);
}

async function impersonating(headers: Headers, name: string | null, user: UserInfo, authorizer: Authorizer): Promise<UserInfo> {
  const groups = (headers.get("impersonate-group") ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter(Boolean);
  const uid = headers.get("impersonate-uid") ?? undefined;
  if (!name) {
    if (groups.length || uid) throw badRequest("requested impersonation without a user: Impersonate-User is required");
    return user;
  }
  const check = async (resource: string, resourceName: string, namespace = "", apiGroup = "") => {
    const a: Attributes = {
      user,
      verb: "impersonate",
      resourceRequest: true,
      path: "",
      apiGroup,
      apiVersion: "",
      resource,
      subresource: "",
      namespace,
      name: resourceName,
    };
    if (!(await authorizer.authorize(a)).allowed) throw forbiddenError(a);
  };
  const assumed: UserInfo = { name, groups: [...groups], uid };
  if (name.startsWith(SA_PREFIX)) {
    const [ns, sa] = name.slice(SA_PREFIX.length).split(":");
    await check("serviceaccounts", sa ?? "", ns ?? "");
    // A service account brings its groups, as its own token would.
    assumed.groups.push("system:serviceaccounts", `system:serviceaccounts:${ns}`);
  } else {
    await check("users", name);
  }
  for (const g of groups) await check("groups", g);
  if (uid) await check("uids", uid, "", "authentication.k8s.io");
  return name === "system:anonymous" ? assumed : withAuthenticatedGroup({ ...assumed, groups: [...new Set(assumed.groups)] });
}

/**
 * Impersonation resolved and the request authorized, or a 403 thrown; a promise only where an
 * impersonation check or an authorizer answered with one (system:masters, Node and RBAC answer
 * at once). Requests without a user (the open paths) have nothing to authorize.
 */
export function authorizeRequest(c: Context, authorizer: Authorizer): void | Promise<void> {
  const caller = requestUser(c);
  if (!caller) return;
  // Timed in its synchronous runs, not across awaits (other requests run meanwhile).
  const t = stageStart();
  const assumed = impersonate(c.req.raw.headers, caller, authorizer);
  stageEnd("authz", t);
  return assumed instanceof Promise ? assumed.then((user) => authorizeAs(c, authorizer, caller, user)) : authorizeAs(c, authorizer, caller, assumed);
}

function authorizeAs(c: Context, authorizer: Authorizer, caller: UserInfo, user: UserInfo): void | Promise<void> {
  const t = stageStart();
  if (user !== caller) c.set("user" as never, user as never);
  const a = userRequestAttributes(user, c.req.method, c.req.path, requestQuery(c));
  const decision = authorizer.authorize(a);
  stageEnd("authz", t);
  return decision instanceof Promise ? decision.then((d) => decided(c, a, d)) : decided(c, a, decision);
}

function decided(c: Context, a: Attributes, d: Decision): void {
  const t = stageStart();
  addAuditAnnotation(c, "authorization.k8s.io/decision", d.allowed ? "allow" : "forbid");
  if (d.reason) addAuditAnnotation(c, "authorization.k8s.io/reason", d.reason);
  stageEnd("authz", t);
  if (!d.allowed) throw forbiddenError(a, d.reason);
}

export function authorization(authorizer: Authorizer): MiddlewareHandler {
  return async (c, next) => {
    const authorized = authorizeRequest(c, authorizer);
    if (authorized) await authorized;
    return next();
  };
}
