// Hono's router with its answers remembered per method and path. The API's routes make Hono
// fall back from its RegExpRouter to its TrieRouter (a literal path such as
// /apis/metrics.k8s.io/v1beta1/nodes beside /apis/:group/:version/*), whose search split and
// walked every request's path again: under bench:api it was as much of a create's CPU as its
// admission. Clients mostly repeat paths (every create of a collection posts to one), and the
// routes are fixed once the app serves (Hono refuses a route added after the first match), so an
// answer found once is the answer for good: a repeated path costs one map look-up. Paths that
// do not repeat (gets by name) are looked up as before; the memo is let go whole when it
// reaches its bound, so it never holds more than MAX_PATHS answers.
import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";

const MAX_PATHS = 1024;

export class RouteMemo<T> implements Router<T> {
  name = "RouteMemo";
  /** Per path, its answer per method (few methods are asked of one path). */
  private answers = new Map<string, { method: string; result: Result<T> }[]>();

  /** The router Hono makes by default (`new Hono()`), unless told another. */
  constructor(private readonly router: Router<T> = new SmartRouter<T>({ routers: [new RegExpRouter<T>(), new TrieRouter<T>()] })) {}

  add(method: string, path: string, handler: T): void {
    this.router.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    let known = this.answers.get(path);
    if (known) for (const a of known) if (a.method === method) return a.result;
    const result = this.router.match(method, path);
    if (!known) {
      if (this.answers.size >= MAX_PATHS) this.answers = new Map();
      this.answers.set(path, (known = []));
    }
    known.push({ method, result });
    return result;
  }
}
