// Subresources other than status: scale (autoscaling/v1 Scale), binding (pods) and log (pods).
import { badRequest, conflict, invalid, serviceUnavailable } from "../../apis/errors.ts";
import { formatTime } from "../../apis/time.ts";
import { toScale } from "../../apis/autoscaling/scale.ts";
import { validateScale } from "../../apis/index.ts";
import type { KubeObject, StatusCause } from "../../apis/meta.ts";
import { qualified } from "../storage.ts";
import { checkTypeMeta, respond, writeOptions, type HandlerContext } from "./context.ts";
import { patchObject, readPatch } from "./patch.ts";
import { readObject } from "./write.ts";
import { APPLY_PATCH } from "../patch/index.ts";

type Obj = Record<string, any>;

export { toScale };

function setPath(obj: Obj, path: string, value: unknown): void {
  const fields = path.slice(1).split(".");
  let cur = obj;
  for (const f of fields.slice(0, -1)) {
    if (!cur[f] || typeof cur[f] !== "object") cur[f] = {};
    cur = cur[f];
  }
  cur[fields.at(-1)!] = value;
}


export async function handleScale(h: HandlerContext): Promise<Response> {
  const { storage } = h.deps;
  const method = h.c.req.method;
  const paths = h.r.custom?.scale;
  if (method === "GET") return respond(h, toScale(storage.get(h.r, h.info.namespace, h.info.name!), paths));
  const opts = { ...writeOptions(h), subresource: undefined };
  let desired: (scale: KubeObject) => KubeObject;
  if (method === "PUT") {
    const body = await readObject(h);
    checkTypeMeta(h.r, body, "Scale", "autoscaling/v1");
    desired = (scale) => {
      const rv = (body.metadata as Obj | undefined)?.resourceVersion;
      if (rv && rv !== scale.metadata.resourceVersion) throw conflict(qualified(h.r), h.info.name!, "the object has been modified; please apply your changes to the latest version and try again");
      return body as KubeObject;
    };
  } else {
    const { type, body } = await readPatch(h);
    if (type === APPLY_PATCH) throw badRequest("server-side apply is not supported on the scale subresource");
    desired = (scale) => patchObject(h, scale, type, body, "Scale");
  }
  const updated = await storage.update(
    h.r,
    h.info.namespace,
    h.info.name!,
    (current) => {
      const scale = desired(toScale(current, paths)) as Obj;
      const causes: StatusCause[] = [];
      validateScale(causes, scale);
      if (causes.length) throw invalid("Scale", h.info.name!, causes, "autoscaling");
      const replicas = scale.spec?.replicas;
      if (paths) setPath(current as Obj, paths.specReplicasPath, replicas);
      else (current as Obj).spec = { ...(current as Obj).spec, replicas };
      return current;
    },
    opts,
  );
  return respond(h, toScale(updated, paths));
}

export async function handleBinding(h: HandlerContext): Promise<Response> {
  const body = await readObject(h);
  checkTypeMeta(h.r, body, "Binding", "v1");
  const target = body.target as Obj | undefined;
  if (!target?.name) throw invalid("Binding", h.info.name!, [{ reason: "FieldValueRequired", field: "target.name", message: "Required value" }]);
  const opts = { ...writeOptions(h), subresource: "binding" };
  const now = formatTime(h.deps.now());
  await h.deps.storage.update(
    h.r,
    h.info.namespace,
    h.info.name!,
    (pod) => {
      const p = pod as Obj;
      if (p.spec.nodeName) throw conflict(qualified(h.r), h.info.name!, `pod ${h.info.name} is already assigned to node "${p.spec.nodeName}"`);
      if (pod.metadata.deletionTimestamp) throw conflict(qualified(h.r), h.info.name!, "pod is being deleted, cannot be assigned to a host");
      p.spec.nodeName = target.name;
      const conditions: Obj[] = (p.status.conditions ?? []).filter((c: Obj) => c.type !== "PodScheduled");
      conditions.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now });
      p.status.conditions = conditions;
      return pod;
    },
    opts,
  );
  return respond(h, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
}

export async function handleLog(h: HandlerContext): Promise<Response> {
  const pod = h.deps.storage.get(h.r, h.info.namespace, h.info.name!);
  const container = h.query.get("container") ?? undefined;
  const containers: Obj[] = (pod as Obj).spec?.containers ?? [];
  if (container && ![...containers, ...((pod as Obj).spec?.initContainers ?? [])].some((c) => c.name === container)) {
    throw badRequest(`container ${container} is not valid for pod ${h.info.name}`);
  }
  if (!container && containers.length > 1) {
    throw badRequest(`a container name must be specified for pod ${h.info.name}, choose one of: [${containers.map((c) => c.name).join(" ")}]`);
  }
  const nodeName = (pod as Obj).spec?.nodeName;
  if (!h.deps.logs || !nodeName) {
    throw serviceUnavailable(nodeName ? `no agent serves logs for node "${nodeName}"` : `pod ${h.info.name} is not scheduled to a node yet`);
  }
  return h.deps.logs({ pod, container: container ?? containers[0]?.name, query: h.query, signal: h.c.req.raw.signal });
}
