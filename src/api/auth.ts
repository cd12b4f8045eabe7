// Authentication: who a request comes from. A chain of authenticators, each of which knows one
// kind of bearer token (static, node, service account); the first that recognises the token
// names the user. What that user may do is authorization's business (authz.ts).
import type { Context, MiddlewareHandler } from "hono";
import { unauthorized } from "../apis/errors.ts";
import { stageEnd, stageStart } from "../store/stage-timers.ts";

export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface Authenticator {
  authenticate(token: string): UserInfo | undefined | Promise<UserInfo | undefined>;
}

export const GROUP_MASTERS = "system:masters";
export const GROUP_AUTHENTICATED = "system:authenticated";
export const GROUP_NODES = "system:nodes";
export const GROUP_BOOTSTRAPPERS = "system:bootstrappers";
export const USER_CONTROLLER_MANAGER = "system:kube-controller-manager";
export const USER_SCHEDULER = "system:kube-scheduler";
export const NODE_USER_PREFIX = "system:node:";

/** Static tokens: the admin's, the join token, the controller manager's and scheduler's. */
export class StaticTokens implements Authenticator {
  private readonly users = new Map<string, UserInfo>();

  add(token: string, user: UserInfo): this {
    this.users.set(token, user);
    return this;
  }

  authenticate(token: string): UserInfo | undefined {
    return this.users.get(token);
  }
}

/**
 * Tries each authenticator in turn, as kube-apiserver's union token authenticator does. The
 * answer is synchronous as long as the authenticators asked were (static and node tokens are
 * map lookups): only a link that answers with a promise makes the rest of the chain wait.
 */
export class AuthenticatorChain implements Authenticator {
  constructor(private readonly chain: Authenticator[]) {}

  authenticate(token: string): UserInfo | undefined | Promise<UserInfo | undefined> {
    return this.#from(token, 0);
  }

  #from(token: string, first: number): UserInfo | undefined | Promise<UserInfo | undefined> {
    for (let i = first; i < this.chain.length; i++) {
      const user = this.chain[i]!.authenticate(token);
      if (user instanceof Promise) return user.then((u) => (u ? withAuthenticatedGroup(u) : this.#from(token, i + 1)));
      if (user) return withAuthenticatedGroup(user);
    }
    return undefined;
  }
}

/** Every authenticated user is in system:authenticated, whatever its authenticator says. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes(GROUP_AUTHENTICATED) ? user : { ...user, groups: [...user.groups, GROUP_AUTHENTICATED] };
}

const OPEN_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);

/** The user a request was authenticated as (set by `authentication`). */
export function requestUser(c: { get(key: never): unknown }): UserInfo | undefined {
  return c.get("user" as never) as UserInfo | undefined;
}

const WEBSOCKET_BEARER = "base64url.bearer.authorization.k8s.io.";

/**
 * The bearer token of a request: the Authorization header or, for a WebSocket upgrade (browsers
 * can't set headers on one), the `base64url.bearer.authorization.k8s.io.<token>` subprotocol,
 * as kube-apiserver's WebSocket protocol authenticator reads it.
 */
export function bearerToken(authorization: string | undefined, upgrade: string | undefined, protocols: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  if (m) return m[1];
  if ((upgrade ?? "").toLowerCase() !== "websocket" || !protocols) return undefined;
  for (const p of protocols.split(",").map((s) => s.trim())) {
    if (!p.startsWith(WEBSOCKET_BEARER)) continue;
    try {
      const token = Buffer.from(p.slice(WEBSOCKET_BEARER.length), "base64url").toString("utf8");
      return token || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The paths anyone may ask without a credential. */
export const isOpenPath = (path: string) => OPEN_PATHS.has(path);

/**
 * The request's user, or a 401 thrown; a promise only when the authenticator that knew the token
 * answered with one. Sets the user on the context for the steps after.
 */
export function authenticateRequest(c: Context, auth: Authenticator): UserInfo | Promise<UserInfo> {
  // Timed up to the authenticator's answer, not across its await (other requests run meanwhile).
  const t = stageStart();
  // The WebSocket headers are read only when the Authorization header names no bearer token.
  const authorization = c.req.header("authorization");
  const token = bearerToken(authorization, undefined, undefined) ?? bearerToken(authorization, c.req.header("upgrade"), c.req.header("sec-websocket-protocol"));
  const answer = token ? auth.authenticate(token) : undefined;
  stageEnd("authn", t);
  return answer instanceof Promise ? answer.then((user) => authenticated(c, user)) : authenticated(c, answer);
}

function authenticated(c: Context, user: UserInfo | undefined): UserInfo {
  if (!user) throw unauthorized();
  c.set("user" as never, user as never);
  return user;
}

export function authentication(auth: Authenticator): MiddlewareHandler {
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const user = authenticateRequest(c, auth);
    if (user instanceof Promise) await user;
    return next();
  };
}
