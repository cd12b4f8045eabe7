// The node's own credentials. The join token only lets an agent in once: at start the agent
// trades it for a token of user system:node:<name> (the server's /apis/kubun.io/v1/nodetokens),
// keeps that in its data dir and uses it for everything after — so the node authorizer can
// hold each node to its own objects, and deleting the node's token Secret revokes it. On
// restart the kept token is reused while the server still accepts it.
//
// The same exchange brings the serving certificate of the agent's log and streaming endpoint,
// signed by the cluster CA for the node's addresses (kubelet's serving certificate); it is kept
// beside the token and asked for again when the node's addresses change.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KeyPairPem } from "../src/pki/index.ts";
import { certificateHosts } from "../src/pki/hosts.ts";
import { KubeClient } from "../src/client/index.ts";
import { isUnauthorized } from "../src/apis/errors.ts";

export const NODE_TOKEN_PATH = "/apis/kubun.io/v1/nodetokens";

export interface NodeCredentialOptions {
  server: string;
  ca?: string;
  joinToken: string;
  nodeName: string;
  dataDir: string;
  /** IPs and names the serving certificate must cover; none: no serving certificate is asked for. */
  addresses?: string[];
}

export interface NodeCredentials {
  token: string;
  /** The endpoint's serving certificate, when addresses were given and the server signs them. */
  serving?: KeyPairPem;
}

const files = (dataDir: string, nodeName: string) => ({
  token: join(dataDir, `node-${nodeName}.token`),
  cert: join(dataDir, `node-${nodeName}.crt`),
  key: join(dataDir, `node-${nodeName}.key`),
});

/** Whether the server accepts the token (401 means it was revoked or belongs to another server). */
async function accepted(opts: NodeCredentialOptions, token: string): Promise<boolean> {
  const client = new KubeClient({ server: opts.server, token, ca: opts.ca, userAgent: `kubun-agent/${opts.nodeName}` });
  try {
    await client.request("GET", "/api");
    return true;
  } catch (err) {
    if (isUnauthorized(err)) return false;
    throw err;
  } finally {
    await client.close();
  }
}

/** Trades the join token for a fresh node token (and a serving certificate for `addresses`). */
export async function exchangeJoinToken(opts: NodeCredentialOptions): Promise<NodeCredentials> {
  const client = new KubeClient({ server: opts.server, token: opts.joinToken, ca: opts.ca, userAgent: `kubun-agent/${opts.nodeName}` });
  try {
    const body = { nodeName: opts.nodeName, ...(opts.addresses?.length ? { addresses: opts.addresses } : {}) };
    const res = await client.request<{ token?: string; serving?: KeyPairPem }>("POST", NODE_TOKEN_PATH, { body });
    if (!res?.token) throw new Error("the server's node token answer holds no token");
    if (opts.addresses?.length && !(res.serving?.cert && res.serving.key)) throw new Error("the server's node token answer holds no serving certificate");
    return { token: res.token, serving: res.serving };
  } finally {
    await client.close();
  }
}

/** The kept serving certificate, if it still covers every address. */
function keptServing(opts: NodeCredentialOptions): KeyPairPem | undefined {
  const f = files(opts.dataDir, opts.nodeName);
  if (!existsSync(f.cert) || !existsSync(f.key)) return undefined;
  const serving = { cert: readFileSync(f.cert, "utf8"), key: readFileSync(f.key, "utf8") };
  const covered = new Set(certificateHosts(serving.cert));
  return (opts.addresses ?? []).every((a) => covered.has(a)) ? serving : undefined;
}

/** The credentials to talk to and be reached by the API server with: the kept ones if still good, else new ones. */
export async function nodeCredential(opts: NodeCredentialOptions): Promise<NodeCredentials> {
  const f = files(opts.dataDir, opts.nodeName);
  const serving = opts.addresses?.length ? keptServing(opts) : undefined;
  if (existsSync(f.token) && (serving || !opts.addresses?.length)) {
    const kept = readFileSync(f.token, "utf8").trim();
    if (kept && (await accepted(opts, kept))) return { token: kept, serving };
  }
  const fresh = await exchangeJoinToken(opts);
  writeFileSync(f.token, `${fresh.token}\n`, { mode: 0o600 });
  if (fresh.serving) {
    writeFileSync(f.cert, fresh.serving.cert);
    writeFileSync(f.key, fresh.serving.key, { mode: 0o600 });
  }
  return fresh;
}
