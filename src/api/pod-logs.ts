// pods/log, kubelet's model: the API server finds the pod's node and proxies the request to
// the agent's /containerLogs endpoint on the node's InternalIP and daemon endpoint port.
import { serviceUnavailable } from "../apis/errors.ts";
import { findResource } from "../apis/registry.ts";
import type { LogProvider } from "./handlers/context.ts";
import type { Storage } from "./storage.ts";

const NODES = findResource("", "v1", "nodes")!;
const FORWARDED = ["follow", "tailLines", "sinceSeconds", "timestamps", "previous", "limitBytes"];

type Obj = Record<string, any>;

/** The agent's log endpoint of a node, from its status: InternalIP and daemonEndpoints.kubeletEndpoint.Port. */
export function agentEndpoint(node: Obj): string | undefined {
  const ip = (node.status?.addresses ?? []).find((a: Obj) => a.type === "InternalIP")?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!ip || !port) return undefined;
  return `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
}

/** A LogProvider that proxies to agents, presenting `secret` (the agents' join token). */
export function agentLogs(storage: Storage, secret: string): LogProvider {
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
      res = await fetch(url, { headers: { "x-kubun-agent-secret": secret }, signal });
    } catch (err) {
      throw serviceUnavailable(`the agent of node "${nodeName}" did not answer: ${(err as Error).message}`);
    }
    // The agent answers errors as Status JSON already; pass its answer through as-is.
    return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "text/plain" } });
  };
}
