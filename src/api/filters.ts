// The API's request filter: authentication, the limits (limits.ts) and authorization with
// impersonation, in kube-apiserver's order, as one middleware. They were three, and each layer
// of Hono's middleware chain costs every request an async dispatch and a promise or two of its
// own; here each step answers synchronously where it can (a static token, system:masters, RBAC's
// remembered decisions) and the request awaits only the handler, once. What each step does is
// its own file's business: this one only orders them.
import type { Context, MiddlewareHandler, Next } from "hono";
import { authenticateRequest, isOpenPath, type Authenticator } from "./auth.ts";
import { authorizeRequest, type Authorizer } from "./authz.ts";
import { isLongRunning, type RequestLimits } from "./limits.ts";
import { requestQuery } from "./request-query.ts";

/**
 * `auth` undefined: the request was authenticated by a middleware before this one (with an
 * audit log, whose filter runs between authentication and the limits, as kube-apiserver's).
 */
export function requestFilter(auth: Authenticator | undefined, limits: RequestLimits, authorizer: Authorizer): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (auth && !isOpenPath(path)) {
      const user = authenticateRequest(c, auth);
      if (user instanceof Promise) await user;
    }
    if (limits.unlimited(path)) return authorizeThen(c, authorizer, next);
    const refused = limits.rateLimited(c);
    if (refused) return refused;
    if (isLongRunning(path, requestQuery(c))) return limits.longRunning(c, () => authorizeThen(c, authorizer, next));
    if (!limits.enter()) return limits.tooBusy();
    try {
      const authorized = authorizeRequest(c, authorizer);
      if (authorized) await authorized;
      await next();
    } finally {
      limits.leave();
    }
  };
}

async function authorizeThen(c: Context, authorizer: Authorizer, next: Next): Promise<void> {
  const authorized = authorizeRequest(c, authorizer);
  if (authorized) await authorized;
  await next();
}
