// The typed Kubernetes client generated from kubun's own OpenAPI (kube.d.ts, written by
// scripts/gen-client.ts), on openapi-fetch. Paths and bodies are typed per operation:
//   const kube = createKubeClient("https://127.0.0.1:6443", { token, ca });
//   const { data, error } = await kube.GET("/api/v1/namespaces/{namespace}/pods/{name}", {
//     params: { path: { namespace: "default", name: "web" } },
//   });
// Patches name their media type: `headers: { "content-type": "application/merge-patch+json" }`.
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./kube.d.ts";

export type { components, operations, paths } from "./kube.d.ts";

export type KubeClient = Client<paths>;

export interface KubeClientOptions {
  /** bearer token sent as `Authorization: Bearer <token>` */
  token?: string;
  /** PEM CA certificate(s) that sign the server's certificate */
  ca?: string | string[];
  /** headers sent with every request */
  headers?: Record<string, string>;
  /** the fetch to send requests with (defaults to the global one) */
  fetch?: (request: Request, init?: RequestInit) => Promise<Response>;
}

/** A typed client for a kubun (or any Kubernetes) API server at `baseUrl`. */
export function createKubeClient(baseUrl: string, options: KubeClientOptions = {}): KubeClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const send = options.fetch ?? ((request: Request, init?: RequestInit) => fetch(request, init));
  // Bun's fetch takes the trusted CA in its init (`tls.ca`); openapi-fetch only hands us the Request.
  const init = options.ca ? ({ tls: { ca: options.ca } } as RequestInit) : undefined;
  return createClient<paths>({ baseUrl, headers, fetch: (request) => send(request, init) });
}
