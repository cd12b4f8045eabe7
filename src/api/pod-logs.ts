// pods/log, kubelet's model: the API server finds the pod's node and proxies the request to
// the agent's /containerLogs endpoint on the node's InternalIP and daemon endpoint port, over
// mutual TLS: the agent's serving certificate is checked against the cluster CA and the API
// server presents its kube-apiserver-kubelet-client certificate, the only client agents accept.
import { serviceUnavailable } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import type { Storage } from "./storage.ts";

export interface LogRequest {
  pod: KubeObject;
  container?: string;
  query: URLSearchParams;
  signal: AbortSignal;
}

/** Serves pods/log; the agent provides it (until then the server answers 503). */
export type LogProvider = (req: LogRequest) => Promise<Response>;

const NODES = findResource("", "v1", "nodes")!;
const FORWARDED = ["follow", "tailLines", "sinceSeconds", "timestamps", "previous", "limitBytes"];

type Obj = Record<string, any>;

/** The API server's side of the mutual TLS with agents: its client certificate and the CA that signed the agents'. */
export interface AgentClientTls {
  cert: string;
  key: string;
  ca: string;
}

/** The agent's log endpoint of a node, from its status: InternalIP and daemonEndpoints.kubeletEndpoint.Port. */
export function agentEndpoint(node: Obj): string | undefined {
  const ip = (node.status?.addresses ?? []).find((a: Obj) => a.type === "InternalIP")?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!ip || !port) return undefined;
  return `https://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
}

/** A LogProvider that proxies to agents, presenting the client certificate in `tls`. */
export function agentLogs(storage: Storage, tls: AgentClientTls): LogProvider {
  return async ({ pod, container, query, signal }) => {
    const nodeName = (pod as Obj).spec?.nodeName as string;
    const base = agentEndpoint(storage.get(NODES, undefined, nodeName) as Obj);
    if (!base) throw serviceUnavailable(`node "${nodeName}" publishes no agent endpoint for logs`);
    const params = new URLSearchParams();
    for (const k of FORWARDED) if (query.has(k)) params.set(k, query.get(k)!);
    const { namespace, name } = pod.metadata;
    const url = `${base}/containerLogs/${namespace}/${name}/${container}?${params}`;
    let res: Response;
    try {
      res = await fetch(url, { tls, signal });
    } catch (err) {
      throw serviceUnavailable(`the agent of node "${nodeName}" did not answer: ${(err as Error).message}`);
    }
    // The agent answers errors as Status JSON already; pass its answer through as-is.
    return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "text/plain" } });
  };
}
