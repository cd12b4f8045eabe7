// Posting an AdmissionReview to a webhook, after kube-apiserver's webhook client: HTTPS only,
// the serving certificate verified against the configuration's caBundle (or the system roots
// when it has none) and, for a service, against the name `<service>.<namespace>.svc`; the
// request carries `?timeout=<n>s` and is abandoned when that time is up. Failures come back as
// CallError with upstream's wording (`Post "<url>?timeout=10s": <cause>`), which the
// dispatchers turn into the Status the client sees or ignore, by failurePolicy.
// "undici/index.js", not "undici": Bun swaps the bare specifier for a fetch-based stand-in whose
// Agent cannot carry a CA (see src/client/kube-client.ts). Loaded with the first webhook call:
// the whole of undici (fetch, WebSocket, caches, mocks ...) is ~3 MB resident, and a server
// without webhooks never calls one.
import type * as Undici from "undici/index.js";
type Agent = Undici.Agent;
const undici = (): typeof Undici => require("undici/index.js") as typeof Undici;
import type { Webhook } from "../../apis/admissionregistration/webhook.ts";
import { DEFAULT_TIMEOUT_SECONDS } from "../../apis/admissionregistration/webhook.ts";
import { resolveService, type ObjectGetter } from "./resolver.ts";

/** A webhook could not be called or answered nonsense (webhookutil.ErrCallingWebhook). */
export class CallError extends Error {}

/** The largest answer read from a webhook (kube-apiserver caps responses too). */
const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;

export class WebhookClient {
  // One agent per CA and server name, so TLS sessions and connections are reused.
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly get: ObjectGetter) {}

  async post(hook: Webhook, body: unknown): Promise<unknown> {
    const timeout = hook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const cc = hook.clientConfig;
    let display: string;
    let connect: string;
    let serverName: string | undefined;
    if (cc.service) {
      const resolved = resolveService(cc.service, this.get);
      display = `${resolved.displayURL}?timeout=${timeout}s`;
      if (!resolved.connectURL) throw new CallError(`failed to call webhook: Post "${display}": ${resolved.error}`);
      connect = `${resolved.connectURL}?timeout=${timeout}s`;
      serverName = resolved.serverName;
    } else {
      display = connect = `${cc.url}?timeout=${timeout}s`;
    }
    const fail = (why: string) => new CallError(`failed to call webhook: Post "${display}": ${why}`);
    let ca: string | undefined;
    if (cc.caBundle) ca = Buffer.from(cc.caBundle, "base64").toString("utf8");
    const dispatcher = this.agent(ca, serverName);
    const signal = AbortSignal.timeout(timeout * 1000);
    let status: number;
    let text: string;
    try {
      const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
      if (serverName) headers.host = new URL(display).host;
      const r = await undici().request(connect, { method: "POST", body: JSON.stringify(body), headers, dispatcher, signal });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of r.body) {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          r.body.destroy();
          throw fail("response body too large");
        }
        chunks.push(chunk);
      }
      status = r.statusCode;
      text = Buffer.concat(chunks).toString("utf8");
    } catch (err) {
      if (err instanceof CallError) throw err;
      if (signal.aborted) throw fail("context deadline exceeded");
      throw fail(describe(err));
    }
    if (status < 200 || status > 299) {
      const detail = text.trim() ? `an error on the server (${JSON.stringify(text.trim().slice(0, 200))}) has prevented the request from succeeding` : `the server responded with the status code ${status} but did not return more information`;
      throw new CallError(`failed to call webhook: ${detail}`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new CallError(`received invalid webhook response: the response is not JSON`);
    }
  }

  close(): void {
    for (const a of this.agents.values()) void a.close();
    this.agents.clear();
  }

  private agent(ca: string | undefined, serverName: string | undefined): Agent {
    const key = `${serverName ?? ""}\0${ca ?? ""}`;
    let agent = this.agents.get(key);
    if (!agent) {
      // No plain HTTP and no unverified TLS: the CA given, else the system roots.
      agent = new (undici().Agent)({ connect: { ca, servername: serverName, rejectUnauthorized: true }, keepAliveTimeout: 30_000 });
      if (this.agents.size > 64) this.close();
      this.agents.set(key, agent);
    }
    return agent;
  }
}

/** An error as Go's net/http would put it, as near as Node's errors allow. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  if (code === "ECONNREFUSED") return `dial tcp: connect: connection refused`;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(code)) return `tls: failed to verify certificate: ${message}`;
  return message;
}
