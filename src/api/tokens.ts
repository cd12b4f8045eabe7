// Service account tokens: JWTs signed ES256 with a key of the server (kept in its data dir),
// shaped as kube-apiserver's bound tokens (iss, sub, aud, exp, and the "kubernetes.io" claim
// naming the service account and its uid). A token authenticates only while it is unexpired,
// meant for this server's audience, and its service account (and the pod it is bound to, if
// any) still exists with the same uid — deleting and recreating either revokes its tokens.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { KubeObject } from "../apis/meta.ts";
import type { Authenticator, UserInfo } from "./auth.ts";
import { serviceAccountUser } from "./rbac-rules.ts";

export const DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";

export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  "kubernetes.io": {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
  };
}

const ALG = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const b64url = (data: Uint8Array | string) => Buffer.from(data).toString("base64url");
const fromB64url = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));

/** Loads the signing key pair from `path` (a JWK file), creating it the first time. */
export async function loadSigningKey(path: string): Promise<CryptoKeyPair> {
  if (existsSync(path)) {
    const jwk = JSON.parse(readFileSync(path, "utf8")) as Parameters<typeof crypto.subtle.importKey>[1] & { d?: string };
    const privateKey = await crypto.subtle.importKey("jwk", jwk, ALG, true, ["sign"]);
    const { d: _, ...pub } = jwk;
    const publicKey = await crypto.subtle.importKey("jwk", { ...pub, key_ops: ["verify"] }, ALG, true, ["verify"]);
    return { privateKey, publicKey };
  }
  const pair = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  writeFileSync(path, JSON.stringify(await crypto.subtle.exportKey("jwk", pair.privateKey)), { mode: 0o600 });
  return pair;
}

/** Looks a service account or pod up by namespace and name (undefined when it doesn't exist). */
export type ObjectGetter = (resource: "serviceaccounts" | "pods", namespace: string, name: string) => KubeObject | undefined;

export interface IssueOptions {
  audiences?: string[];
  expirationSeconds?: number;
  pod?: { name: string; uid: string };
}

export class ServiceAccountTokens implements Authenticator {
  private readonly kid: Promise<string>;

  constructor(
    private readonly keys: CryptoKeyPair,
    private readonly getObject: ObjectGetter,
    private readonly opts: { issuer?: string; now?: () => Date } = {},
  ) {
    this.kid = crypto.subtle
      .exportKey("raw", keys.publicKey)
      .then((raw) => crypto.subtle.digest("SHA-256", raw))
      .then((d) => b64url(new Uint8Array(d)).slice(0, 32));
  }

  get issuer(): string {
    return this.opts.issuer ?? DEFAULT_ISSUER;
  }

  private nowSeconds(): number {
    return Math.floor((this.opts.now?.() ?? new Date()).getTime() / 1000);
  }

  /** Signs a token for the service account; returns it with its expiry. */
  async issue(sa: KubeObject, opts: IssueOptions = {}): Promise<{ token: string; expiration: Date }> {
    const now = this.nowSeconds();
    const exp = now + (opts.expirationSeconds ?? 3600);
    const namespace = sa.metadata.namespace ?? "";
    const name = sa.metadata.name ?? "";
    const claims: ServiceAccountClaims = {
      iss: this.issuer,
      sub: serviceAccountUser(namespace, name),
      aud: opts.audiences?.length ? opts.audiences : [this.issuer],
      exp,
      iat: now,
      nbf: now,
      jti: crypto.randomUUID(),
      "kubernetes.io": { namespace, serviceaccount: { name, uid: sa.metadata.uid ?? "" }, ...(opts.pod ? { pod: opts.pod } : {}) },
    };
    const header = { alg: "ES256", kid: await this.kid };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = await crypto.subtle.sign(SIGN, this.keys.privateKey, new TextEncoder().encode(signingInput));
    return { token: `${signingInput}.${b64url(new Uint8Array(sig))}`, expiration: new Date(exp * 1000) };
  }

  /** The claims of a token this server signed, still valid and meant for it; undefined otherwise. */
  async verify(token: string): Promise<ServiceAccountClaims | undefined> {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const [h, p, s] = parts as [string, string, string];
    let claims: ServiceAccountClaims;
    try {
      const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: string };
      if (header.alg !== "ES256") return undefined;
      const ok = await crypto.subtle.verify(SIGN, this.keys.publicKey, fromB64url(s), new TextEncoder().encode(`${h}.${p}`));
      if (!ok) return undefined;
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as ServiceAccountClaims;
    } catch {
      return undefined;
    }
    const now = this.nowSeconds();
    if (claims.iss !== this.issuer || typeof claims.exp !== "number" || claims.exp <= now) return undefined;
    if (typeof claims.nbf === "number" && claims.nbf > now + 60) return undefined;
    if (!Array.isArray(claims.aud) || !claims.aud.includes(this.issuer)) return undefined;
    return claims;
  }

  async authenticate(token: string): Promise<UserInfo | undefined> {
    const claims = await this.verify(token);
    const k = claims?.["kubernetes.io"];
    if (!k?.serviceaccount) return undefined;
    const sa = this.getObject("serviceaccounts", k.namespace, k.serviceaccount.name);
    if (!sa || sa.metadata.uid !== k.serviceaccount.uid || sa.metadata.deletionTimestamp) return undefined;
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      const pod = this.getObject("pods", k.namespace, k.pod.name);
      if (!pod || pod.metadata.uid !== k.pod.uid || pod.metadata.deletionTimestamp) return undefined;
      extra["authentication.kubernetes.io/pod-name"] = [k.pod.name];
      extra["authentication.kubernetes.io/pod-uid"] = [k.pod.uid];
    }
    return {
      name: serviceAccountUser(k.namespace, k.serviceaccount.name),
      uid: k.serviceaccount.uid,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${k.namespace}`],
      extra,
    };
  }
}
