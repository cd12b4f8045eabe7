// Bearer-token authentication. Who may do what is a later layer (RBAC); here a request
// either carries a token the server knows or gets 401.
import type { MiddlewareHandler } from "hono";
import { unauthorized } from "../apis/errors.ts";

export interface UserInfo {
  name: string;
  groups: string[];
}

export interface Authenticator {
  authenticate(token: string): UserInfo | undefined;
}

/** Static tokens: the admin's and the agents' join token (k3s's K3S_TOKEN model). */
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

const OPEN_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);

export function authentication(auth: Authenticator): MiddlewareHandler {
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const user = m ? auth.authenticate(m[1]!) : undefined;
    if (!user) throw unauthorized();
    c.set("user" as never, user as never);
    return next();
  };
}
