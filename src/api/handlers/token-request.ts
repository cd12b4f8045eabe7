// The TokenRequest subresource (POST serviceaccounts/{name}/token, authentication.k8s.io/v1):
// issues a signed token for the service account, as `kubectl create token` asks. Bound to a
// pod when boundObjectRef names one, so the token names the pod too.
import type { Context } from "hono";
import { badRequest, fieldInvalid, fieldNotSupported, invalid, notFound } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { findResource } from "../../apis/registry.ts";
import { decodeBody, expectObject, readBody } from "../content.ts";
import { formatTime } from "../../apis/time.ts";
import type { Storage } from "../storage.ts";
import type { ServiceAccountTokens } from "../tokens.ts";
import { checkTypeMeta } from "./context.ts";

const SERVICE_ACCOUNTS = findResource("", "v1", "serviceaccounts")!;
const PODS = findResource("", "v1", "pods")!;
const GROUP = "authentication.k8s.io";
const MIN_EXPIRATION = 600; // kube refuses less than 10 minutes
const MAX_EXPIRATION = 2 ** 32;
const DEFAULT_EXPIRATION = 3600;

type Obj = Record<string, unknown>;
const objOf = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);

export async function handleTokenRequest(c: Context, storage: Storage, tokens: ServiceAccountTokens, namespace: string, name: string): Promise<Response> {
  const body = expectObject(decodeBody(await readBody(c.req.raw), c.req.header("content-type") ?? null));
  checkTypeMeta(SERVICE_ACCOUNTS, body, "TokenRequest", `${GROUP}/v1`);
  const spec = objOf(body.spec) ?? {};
  const causes = [];
  const exp = spec.expirationSeconds === undefined || spec.expirationSeconds === null ? DEFAULT_EXPIRATION : Number(spec.expirationSeconds);
  if (!Number.isInteger(exp) || exp < MIN_EXPIRATION) causes.push(fieldInvalid("spec.expirationSeconds", spec.expirationSeconds, "may not specify a duration less than 10 minutes"));
  else if (exp > MAX_EXPIRATION) causes.push(fieldInvalid("spec.expirationSeconds", spec.expirationSeconds, "may not specify a duration larger than 2^32 seconds"));
  const audiences = Array.isArray(spec.audiences) ? spec.audiences.filter((a): a is string => typeof a === "string") : [];
  const bound = objOf(spec.boundObjectRef);
  if (bound && bound.kind !== "Pod") causes.push(fieldNotSupported("spec.boundObjectRef.kind", bound.kind, ["Pod"]));
  if (causes.length) throw invalid("TokenRequest", name, causes, GROUP);

  const sa: KubeObject = storage.get(SERVICE_ACCOUNTS, namespace, name);
  let pod: { name: string; uid: string } | undefined;
  if (bound) {
    const p = storage.get(PODS, namespace, String(bound.name ?? ""));
    if (bound.uid && bound.uid !== p.metadata.uid) throw notFound({ resource: "pods" }, String(bound.name));
    pod = { name: p.metadata.name!, uid: p.metadata.uid! };
  }
  if (sa.metadata.deletionTimestamp) throw badRequest(`service account ${namespace}/${name} is being deleted`);
  const { token, expiration } = await tokens.issue(sa, { audiences, expirationSeconds: exp, pod });
  const metadata = { ...(objOf(body.metadata) ?? {}), name, namespace, creationTimestamp: formatTime(new Date()) };
  return c.json(
    {
      kind: "TokenRequest",
      apiVersion: `${GROUP}/v1`,
      metadata,
      spec: { audiences: audiences.length ? audiences : [tokens.issuer], expirationSeconds: exp, boundObjectRef: bound ?? null },
      status: { token, expirationTimestamp: formatTime(expiration) },
    },
    201,
  );
}
