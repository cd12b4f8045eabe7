// pods/portforward: kubectl 1.30+ tunnels its SPDY port-forward session through a WebSocket
// ("SPDY/3.1+portforward.k8s.io"); the tunnel is relayed byte for byte to the agent's
// /portforward/{namespace}/{pod}/{uid}, which hands it to the runtime's streaming server.
import { PORT_FORWARD_PROTOCOLS, requireWebSocket, upgradeAndRelay } from "../streaming.ts";
import type { HandlerContext } from "./context.ts";
import { connectAdmission, streamPod } from "./exec.ts";

export function handlePortForward(h: HandlerContext): Response | Promise<Response> {
  const ports = h.query.getAll("ports").map(Number);
  const admitted = connectAdmission(h, { kind: "PodPortForwardOptions", apiVersion: "v1", ports });
  return admitted ? admitted.then(() => portForwardAdmitted(h)) : portForwardAdmitted(h);
}

function portForwardAdmitted(h: HandlerContext): Response {
  const { pod, streams } = streamPod(h, h.deps.streams);
  const protocol = requireWebSocket(h.c, PORT_FORWARD_PROTOCOLS);
  const { namespace, name, uid } = pod.metadata;
  const params = new URLSearchParams();
  for (const p of h.query.getAll("ports")) params.append("ports", p);
  const path = `/portforward/${enc(namespace!)}/${enc(name!)}/${enc(uid!)}?${params}`;
  return upgradeAndRelay(h.c, streams(pod, path), protocol);
}

const enc = encodeURIComponent;
