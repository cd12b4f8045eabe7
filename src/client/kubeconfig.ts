// Reads a kubeconfig (the file kubectl uses) into client options: the current context's
// server, its CA and the user's bearer token — what kubun writes (src/cli/data-dir.ts).
// Client certificates and exec plugins are not supported: kubun authenticates with tokens.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type YAMLModule from "yaml";

// Loaded with the first kubeconfig: a node agent reads none, and would otherwise compile and keep
// the ~280 kB parser for nothing.
const parse = (text: string): unknown => (require("yaml") as typeof YAMLModule).parse(text);

export interface ConnectionOptions {
  /** https URL of the API server */
  server: string;
  /** bearer token */
  token?: string;
  /** PEM CA certificate(s) that sign the server's certificate */
  ca?: string;
  /** skip verifying the server's certificate */
  insecure?: boolean;
  /**
   * Reach the server through this unix socket instead (plain HTTP: the socket's file mode is the
   * transport's protection); `server` then only gives the path prefix. `kubun server` offers one
   * to its own controllers and scheduler.
   */
  socketPath?: string;
}

export interface KubeconfigContext extends ConnectionOptions {
  /** The context's default namespace, if it names one. */
  namespace?: string;
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Fields = Record<string, unknown>;

function entry(list: unknown, name: string, field: "cluster" | "user" | "context", path: string): Fields {
  const found = (Array.isArray(list) ? (list as Named<Fields>[]) : []).find((e) => e?.name === name);
  if (!found?.[field]) throw new Error(`kubeconfig ${path}: no ${field} named "${name}"`);
  return found[field];
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Parses kubeconfig text; relative file references resolve against `baseDir`. */
export function parseKubeconfig(text: string, opts: { context?: string; baseDir?: string; path?: string } = {}): KubeconfigContext {
  const path = opts.path ?? "<kubeconfig>";
  const doc = (parse(text) ?? {}) as Fields;
  const contextName = opts.context ?? str(doc["current-context"]);
  if (!contextName) throw new Error(`kubeconfig ${path}: no current-context`);
  const context = entry(doc.contexts, contextName, "context", path);
  const cluster = entry(doc.clusters, String(context.cluster), "cluster", path);
  const user = context.user !== undefined ? entry(doc.users, String(context.user), "user", path) : {};
  const file = (p: string) => readFileSync(isAbsolute(p) || !opts.baseDir ? p : join(opts.baseDir, p), "utf8");

  const server = str(cluster.server);
  if (!server) throw new Error(`kubeconfig ${path}: cluster "${context.cluster}" has no server`);
  const caData = str(cluster["certificate-authority-data"]);
  const caFile = str(cluster["certificate-authority"]);
  const tokenFile = str(user.tokenFile);
  return {
    server: server.replace(/\/+$/, ""),
    ca: caData ? Buffer.from(caData, "base64").toString("utf8") : caFile ? file(caFile) : undefined,
    insecure: cluster["insecure-skip-tls-verify"] === true || undefined,
    token: str(user.token) ?? (tokenFile ? file(tokenFile).trim() : undefined),
    namespace: str(context.namespace),
  };
}

export function loadKubeconfig(path: string, context?: string): KubeconfigContext {
  return parseKubeconfig(readFileSync(path, "utf8"), { context, baseDir: dirname(path), path });
}
