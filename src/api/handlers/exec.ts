// pods/exec and pods/attach: checks the pod and container as kube-apiserver does, then answers
// the WebSocket upgrade and relays the stream to the agent's /exec or /attach endpoint (kubelet's
// paths: /{exec|attach}/{namespace}/{pod}/{uid}/{container}).
import { badRequest, serviceUnavailable } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { REMOTE_COMMAND_PROTOCOLS, requireWebSocket, upgradeAndRelay, type AgentStreams } from "../streaming.ts";
import type { HandlerContext } from "./context.ts";
import { requestUser } from "../auth.ts";
import { addAuditAnnotation } from "../audit/annotations.ts";

type Obj = Record<string, any>;

/** The query the agent gets: kubectl's options, nothing else. */
const FORWARDED = ["command", "stdin", "stdout", "stderr", "tty"];

/** The container a stream goes to: the named one, or the only/first one as kube-apiserver picks it. */
export function streamContainer(pod: KubeObject, requested: string | undefined): string {
  const spec = (pod as Obj).spec ?? {};
  const all: Obj[] = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
  if (requested) {
    if (!all.some((c) => c.name === requested)) throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    return requested;
  }
  const containers: Obj[] = spec.containers ?? [];
  if (containers.length !== 1) {
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.map((c) => c.name).join(" ")}]`);
  }
  return containers[0]!.name;
}

/** The scheduled pod a stream goes to; a pod without a node has nobody to answer. */
export function streamPod(h: HandlerContext, streams: AgentStreams | undefined): { pod: KubeObject; streams: AgentStreams } {
  const pod = h.deps.storage.get(h.r, h.info.namespace, h.info.name!);
  const nodeName = (pod as Obj).spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${h.info.name} does not have a host assigned`);
  if (!streams) throw serviceUnavailable(`no agent serves streams for node "${nodeName}"`);
  return { pod, streams };
}

export function handleExec(h: HandlerContext, kind: "exec" | "attach"): Response | Promise<Response> {
  const q = h.query;
  const flag = (k: string) => ["true", "1"].includes(q.get(k) ?? "");
  const options: Record<string, unknown> = { kind: kind === "exec" ? "PodExecOptions" : "PodAttachOptions", apiVersion: "v1", stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr"), tty: flag("tty") };
  if (q.get("container")) options.container = q.get("container");
  if (kind === "exec") options.command = q.getAll("command");
  const admitted = connectAdmission(h, options);
  return admitted ? admitted.then(() => execAdmitted(h, kind)) : execAdmitted(h, kind);
}

/** The CONNECT admission webhooks and policies of a stream, before anything else (as kube-apiserver's connect handler). */
export function connectAdmission(h: HandlerContext, options: Record<string, unknown>): Promise<void> | undefined {
  const request = { user: requestUser(h.c), subresource: h.info.subresource, dryRun: false, warnings: [], annotate: (k: string, v: string) => addAuditAnnotation(h.c, k, v) };
  return h.deps.webhooks?.connect(h.r, request, h.info.namespace ?? "", h.info.name!, options, h.deps.policies);
}

function execAdmitted(h: HandlerContext, kind: "exec" | "attach"): Response {
  // The request is checked before the upgrade: kubectl then shows why, whichever protocol it tried.
  const { pod, streams } = streamPod(h, h.deps.streams);
  const container = streamContainer(pod, h.query.get("container") ?? undefined);
  if (kind === "exec" && h.query.getAll("command").length === 0) throw badRequest("you must specify at least 1 command");
  const protocol = requireWebSocket(h.c, REMOTE_COMMAND_PROTOCOLS);
  const params = new URLSearchParams();
  for (const k of FORWARDED) for (const v of h.query.getAll(k)) params.append(k, v);
  const { namespace, name, uid } = pod.metadata;
  const path = `/${kind}/${enc(namespace!)}/${enc(name!)}/${enc(uid!)}/${enc(container)}?${params}`;
  return upgradeAndRelay(h.c, streams(pod, path), protocol);
}

const enc = encodeURIComponent;
