// Node credentials: an agent trades the cluster's join token for a bearer token of its own,
// user system:node:<name> in group system:nodes (kube gets there with a CSR and a client
// certificate; a token keeps kubun's one auth mechanism). The server keeps only the token's
// SHA-256, in a Secret of type kubun.io/node-token in kube-system, so deleting that Secret
// revokes the node, and asking again rotates its token.
//
// The same exchange hands the agent a serving certificate for the addresses it names, signed by
// the cluster CA (kubelet's serving certificate): the API server checks the agent's log and
// streaming endpoint with it, as kube-apiserver checks kubelet's.
//
//   POST /apis/kubun.io/v1/nodetokens  {"nodeName": "n1", "addresses": ["10.0.0.5", "n1"]}
//     →  {"nodeName": "n1", "token": "...", "serving": {"cert": "<PEM>", "key": "<PEM>"}}
import { timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { Context } from "hono";
import { badRequest, isAlreadyExists } from "../apis/errors.ts";
import { findResource } from "../apis/registry.ts";
import { isDNS1123Subdomain } from "../apis/validation.ts";
import { GROUP_NODES, NODE_USER_PREFIX, type Authenticator, type UserInfo } from "./auth.ts";
import { decodeBody, expectObject, readBody } from "./content.ts";
import type { KeyPairPem } from "../pki/certificates.ts";
import type { Storage } from "./storage.ts";

export const NODE_TOKEN_PATH = "/apis/kubun.io/v1/nodetokens";
export const NODE_TOKEN_SECRET_TYPE = "kubun.io/node-token";
const NAMESPACE = "kube-system";
const PREFIX = "knode";
const MAX_ADDRESSES = 16;
const SECRETS = findResource("", "v1", "secrets")!;

const sha256 = (s: string) => new Uint8Array(new Bun.CryptoHasher("sha256").update(s).digest());
export const nodeTokenSecretName = (nodeName: string) => `node-token.${nodeName}`;

/** The addresses a serving certificate may name: IPs and DNS names, a handful. */
function servingAddresses(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_ADDRESSES) throw badRequest(`addresses must be a list of at most ${MAX_ADDRESSES} IPs or DNS names`);
  for (const a of value) {
    if (typeof a !== "string" || (!isIP(a) && isDNS1123Subdomain(a).length)) throw badRequest(`invalid address ${JSON.stringify(a)}: want an IP or a DNS name`);
  }
  return [...new Set(value as string[])];
}

export class NodeTokens implements Authenticator {
  /** `ca` signs the agents' serving certificates; without it the exchange hands out tokens only. */
  constructor(
    private readonly storage: Storage,
    private readonly ca?: KeyPairPem,
  ) {}

  /** A serving certificate for the node's endpoint, kubelet's subject (system:node:<name> in system:nodes). */
  async issueServing(nodeName: string, addresses: string[]): Promise<KeyPairPem | undefined> {
    if (!this.ca || !addresses.length) return undefined;
    // The issuer loads with the first node's certificate (see src/cli/data-dir.ts).
    const { issueCertificate } = await import("../pki/certificates.ts");
    return issueCertificate(this.ca, { commonName: `${NODE_USER_PREFIX}${nodeName}`, organization: GROUP_NODES, hosts: addresses, usage: "server" });
  }

  /** A fresh token for the node; any previous one stops working. */
  async issue(nodeName: string): Promise<string> {
    const errs = isDNS1123Subdomain(nodeName);
    if (errs.length) throw badRequest(`invalid node name ${JSON.stringify(nodeName)}: ${errs.join("; ")}`);
    const token = `${PREFIX}.${Buffer.from(nodeName).toString("base64url")}.${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
    const name = nodeTokenSecretName(nodeName);
    const data = {
      "node-name": Buffer.from(nodeName).toString("base64"),
      "token-sha256": Buffer.from(sha256(token)).toString("base64"),
    };
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: NAMESPACE }, type: NODE_TOKEN_SECRET_TYPE, data };
    try {
      await this.storage.create(SECRETS, NAMESPACE, structuredClone(secret));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await this.storage.update(SECRETS, NAMESPACE, name, (current) => ({ ...current, type: NODE_TOKEN_SECRET_TYPE, data }));
    }
    return token;
  }

  authenticate(token: string): UserInfo | undefined {
    const parts = token.split(".");
    if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
    const nodeName = Buffer.from(parts[1]!, "base64url").toString("utf8");
    if (isDNS1123Subdomain(nodeName).length) return undefined;
    let stored: Uint8Array;
    try {
      const secret = this.storage.get(SECRETS, NAMESPACE, nodeTokenSecretName(nodeName));
      if (secret.type !== NODE_TOKEN_SECRET_TYPE || secret.metadata.deletionTimestamp) return undefined;
      stored = new Uint8Array(Buffer.from(String((secret.data as Record<string, string> | undefined)?.["token-sha256"] ?? ""), "base64"));
    } catch {
      return undefined;
    }
    const given = sha256(token);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
    return { name: `${NODE_USER_PREFIX}${nodeName}`, groups: [GROUP_NODES] };
  }

  /** The exchange endpoint; authorization (create nodetokens.kubun.io) has already let the caller in. */
  async handle(c: Context): Promise<Response> {
    const body = expectObject(decodeBody(await readBody(c.req.raw), c.req.header("content-type") ?? null));
    const nodeName = body.nodeName;
    if (typeof nodeName !== "string" || !nodeName) throw badRequest("nodeName is required");
    const addresses = servingAddresses(body.addresses);
    const token = await this.issue(nodeName);
    const serving = await this.issueServing(nodeName, addresses);
    return c.json({ apiVersion: "kubun.io/v1", kind: "NodeToken", nodeName, token, ...(serving ? { serving } : {}) }, 201);
  }
}
