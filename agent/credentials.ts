// The node's own credential. The join token only lets an agent in once: at start the agent
// trades it for a token of user system:node:<name> (the server's /apis/kubun.io/v1/nodetokens),
// keeps that in its data dir and uses it for everything after — so the node authorizer can
// hold each node to its own objects, and deleting the node's token Secret revokes it. On
// restart the kept token is reused while the server still accepts it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KubeClient } from "../src/client/index.ts";

export const NODE_TOKEN_PATH = "/apis/kubun.io/v1/nodetokens";

export interface NodeCredentialOptions {
  server: string;
  ca?: string;
  joinToken: string;
  nodeName: string;
  dataDir: string;
}

const tokenFile = (dataDir: string, nodeName: string) => join(dataDir, `node-${nodeName}.token`);

/** Whether the server accepts the token (401 means it was revoked or belongs to another server). */
async function accepted(opts: NodeCredentialOptions, token: string): Promise<boolean> {
  const client = new KubeClient({ server: opts.server, token, ca: opts.ca, userAgent: `kubun-agent/${opts.nodeName}` });
  try {
    await client.request("GET", "/api");
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 401) return false;
    throw err;
  } finally {
    await client.close();
  }
}

/** Trades the join token for a fresh node token. */
export async function exchangeJoinToken(opts: NodeCredentialOptions): Promise<string> {
  const client = new KubeClient({ server: opts.server, token: opts.joinToken, ca: opts.ca, userAgent: `kubun-agent/${opts.nodeName}` });
  try {
    const res = await client.request<{ token?: string }>("POST", NODE_TOKEN_PATH, { body: { nodeName: opts.nodeName } });
    if (!res?.token) throw new Error("the server's node token answer holds no token");
    return res.token;
  } finally {
    await client.close();
  }
}

/** The node token to talk to the API server with: the kept one if still good, else a new one. */
export async function nodeCredential(opts: NodeCredentialOptions): Promise<string> {
  const file = tokenFile(opts.dataDir, opts.nodeName);
  if (existsSync(file)) {
    const kept = readFileSync(file, "utf8").trim();
    if (kept && (await accepted(opts, kept))) return kept;
  }
  const token = await exchangeJoinToken(opts);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
