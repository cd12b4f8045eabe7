// The web dashboard's server side: serves the single-page app under /ui/. The app is built from
// src/ui/web/ with Bun's bundler the first time someone asks for it (nothing is built, and
// nothing costs, for a server nobody opens the dashboard on), then held in memory. The pages
// carry no privileges: the browser calls the API of the same origin with the bearer token its
// user pasted, so RBAC decides what each user sees and may do.
import type { Hono } from "hono";
import { join } from "node:path";

const WEB = join(import.meta.dir, "web");

export interface UiBundle {
  js: string;
  /** The script gzipped once, for browsers that take it (all of them). */
  jsGzip: Uint8Array;
  css: string;
  html: string;
}

let built: Promise<UiBundle> | undefined;

/** Builds (once per process) the dashboard's script, stylesheet and page. */
export function uiBundle(): Promise<UiBundle> {
  built ??= (async () => {
    const out = await Bun.build({ entrypoints: [join(WEB, "main.ts")], target: "browser", minify: true, format: "esm" });
    if (!out.success) {
      built = undefined;
      throw new Error(`building the dashboard failed: ${out.logs.map(String).join("; ")}`);
    }
    const js = await out.outputs[0]!.text();
    const css = await Bun.file(join(WEB, "style.css")).text();
    const html = await Bun.file(join(WEB, "index.html")).text();
    return { js, jsGzip: Bun.gzipSync(js), css, html };
  })();
  return built;
}

const HEADERS = {
  // The page runs only its own script and talks only to its own origin.
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' wss: ws:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
};

/** Mounts /ui/ (before authentication: the files are public, the API calls they make are not). */
export function mountUi(app: Hono): void {
  app.get("/ui", (c) => c.redirect("/ui/"));
  app.get("/ui/", async () => new Response((await uiBundle()).html, { headers: { ...HEADERS, "content-type": "text/html; charset=utf-8" } }));
  app.get("/ui/app.js", async (c) => {
    const b = await uiBundle();
    const headers = { ...HEADERS, "content-type": "text/javascript; charset=utf-8", vary: "accept-encoding" };
    if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) return new Response(b.jsGzip, { headers: { ...headers, "content-encoding": "gzip" } });
    return new Response(b.js, { headers });
  });
  app.get("/ui/app.css", async () => new Response((await uiBundle()).css, { headers: { ...HEADERS, "content-type": "text/css; charset=utf-8" } }));
}

/** True for the dashboard's own files, which need no token. */
export const isUiPath = (path: string) => path === "/ui" || path === "/ui/" || path === "/ui/app.js" || path === "/ui/app.css";
