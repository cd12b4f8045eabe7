// create (POST), update (PUT), delete and deletecollection.
import { badRequest, staleConflict, isNotFound } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { groupVersion } from "../../apis/registry.ts";
import { decodeBody, expectObject, readBody } from "../content.ts";
import { qualified, type DeleteOptions } from "../storage.ts";
import { converterFor } from "../../apis/conversion.ts";
import { strictDecodingError, unknownFields } from "../openapi/validation.ts";
import { checkTypeMeta, respond, respondObject, writeOptions, type HandlerContext } from "./context.ts";
import { listObjects } from "./read.ts";
import { requestUser } from "../auth.ts";
import { addAuditAnnotation } from "../audit/annotations.ts";
import { stageEnd, stageStart, TAIL_TRACE, traceRequest } from "../../store/stage-timers.ts";

export async function readObject(h: HandlerContext): Promise<Record<string, unknown>> {
  const bytes = await readBody(h.c.req.raw);
  const t = stageStart();
  const body = expectObject(decodeBody(bytes, h.c.req.header("content-type") ?? null));
  stageEnd("decode", t);
  return body;
}

/** The body of a create or update: the URL's kind, apiVersion and namespace, or none. */
async function readResourceBody(h: HandlerContext): Promise<KubeObject> {
  return resourceBody(h, await readBody(h.c.req.raw));
}

function resourceBody(h: HandlerContext, bytes: Uint8Array): KubeObject {
  const body = expectObject(decodeBody(bytes, h.c.req.header("content-type") ?? null));
  checkTypeMeta(h.r, body);
  // withTypeMeta's key order (apiVersion, kind, then the body's), with a copy of the metadata, in one copy.
  const obj = { apiVersion: groupVersion(h.r), kind: h.r.kind, ...body, metadata: { ...((body.metadata as object) ?? {}) } } as KubeObject;
  if (h.r.namespaced && obj.metadata.namespace !== undefined && obj.metadata.namespace !== h.info.namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  const conv = converterFor(h.r);
  if (!conv) return obj;
  // Fields the served version does not have are checked before conversion drops them (storage checks the stored version).
  if ((h.query.get("fieldValidation") ?? "Warn") === "Strict") {
    const unknown = unknownFields(h.r.group, h.r.version, h.r.kind, obj);
    if (unknown.length) throw strictDecodingError(h.r.kind, h.r.version, unknown);
  }
  return conv.toStorage(obj);
}

export async function handleCreate(h: HandlerContext): Promise<Response> {
  const started = TAIL_TRACE ? performance.now() : 0;
  const bytes = await readBody(h.c.req.raw);
  let t = stageStart();
  const obj = resourceBody(h, bytes);
  const ns = h.info.namespace;
  const opts = writeOptions(h);
  stageEnd("decode", t);
  const created = await h.deps.storage.create(h.r, ns, obj, opts);
  t = stageStart();
  const res = respondObject(h, created, 201, opts.warnings);
  stageEnd("response", t);
  if (TAIL_TRACE) traceRequest(started, Number(created.metadata.resourceVersion));
  return res;
}

export async function handleUpdate(h: HandlerContext): Promise<Response> {
  const obj = await readResourceBody(h);
  const ns = h.info.namespace;
  const opts = writeOptions(h);
  const wanted = obj.metadata.resourceVersion;
  const updated = await h.deps.storage.update(
    h.r,
    ns,
    h.info.name!,
    (current) => {
      if (wanted && wanted !== current.metadata.resourceVersion) throw staleConflict(qualified(h.r), h.info.name!);
      return structuredClone(obj);
    },
    opts,
  );
  return respondObject(h, updated, 200, opts.warnings);
}

/** DeleteOptions from the body (kubectl) or the query (curl, client-node). */
async function deleteOptions(h: HandlerContext): Promise<DeleteOptions> {
  const bytes = await readBody(h.c.req.raw);
  const body = bytes.byteLength ? expectObject(decodeBody(bytes, h.c.req.header("content-type") ?? "application/json"), "DeleteOptions") : {};
  return parseDeleteOptions(h, body);
}

/** A DeleteOptions object (a delete's body, an Eviction's deleteOptions) with the query's options added. */
export function parseDeleteOptions(h: HandlerContext, body: Record<string, unknown>): DeleteOptions {
  // Another kind of object is no DeleteOptions: deleting on its strength would ignore what it says.
  const deleteOptionsVersions = ["v1", "meta.k8s.io/v1", groupVersion(h.r)];
  checkTypeMeta(h.r, body, "DeleteOptions", deleteOptionsVersions.includes(body.apiVersion as string) ? (body.apiVersion as string) : "v1");
  if (body.dryRun !== undefined && (!Array.isArray(body.dryRun) || body.dryRun.some((d) => typeof d !== "string"))) {
    throw badRequest("DeleteOptions.dryRun must be a list of strings");
  }
  if (body.preconditions !== undefined && (body.preconditions === null || typeof body.preconditions !== "object" || Array.isArray(body.preconditions))) {
    throw badRequest("DeleteOptions.preconditions must be an object");
  }
  const q = h.query;
  const grace = body.gracePeriodSeconds ?? (q.has("gracePeriodSeconds") ? Number(q.get("gracePeriodSeconds")) : undefined);
  if (grace !== undefined && (typeof grace !== "number" || !Number.isInteger(grace))) {
    throw badRequest("gracePeriodSeconds must be an integer");
  }
  const policy = (body.propagationPolicy as string | undefined) ?? q.get("propagationPolicy") ?? undefined;
  if (policy !== undefined && !["Background", "Foreground", "Orphan"].includes(policy)) {
    throw badRequest(`propagationPolicy must be one of Background, Foreground, Orphan (got ${policy})`);
  }
  const dryRun = [...((body.dryRun as string[] | undefined) ?? []), ...q.getAll("dryRun")];
  if (dryRun.some((d) => d !== "All")) throw badRequest(`Invalid dry run value: ${dryRun.join(",")}; supported: All`);
  return {
    gracePeriodSeconds: grace as number | undefined,
    propagationPolicy: policy,
    preconditions: body.preconditions as DeleteOptions["preconditions"],
    dryRun: dryRun.includes("All"),
  };
}

/** The admission webhooks of a DELETE (webhooks/), with the object as it is now; its warnings. */
async function admitDelete(h: HandlerContext, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<string[]> {
  const warnings: string[] = [];
  if (!h.deps.webhooks) return warnings;
  const current = h.deps.storage.get(h.r, namespace, name);
  const options: Record<string, unknown> = { kind: "DeleteOptions", apiVersion: "meta.k8s.io/v1" };
  if (opts.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.propagationPolicy) options.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions) options.preconditions = opts.preconditions;
  if (opts.dryRun) options.dryRun = ["All"];
  const request = { user: requestUser(h.c), subresource: undefined, dryRun: !!opts.dryRun, warnings, annotate: (k: string, v: string) => addAuditAnnotation(h.c, k, v) };
  await h.deps.webhooks.admitDelete(h.r, request, current, options, h.deps.policies);
  return warnings;
}

export async function handleDelete(h: HandlerContext): Promise<Response> {
  const opts = await deleteOptions(h);
  const warnings = await admitDelete(h, h.info.namespace, h.info.name!, opts);
  const obj = await h.deps.storage.delete(h.r, h.info.namespace, h.info.name!, opts);
  return respondObject(h, obj, 200, warnings);
}

export async function handleDeleteCollection(h: HandlerContext): Promise<Response> {
  const opts = await deleteOptions(h);
  const { items } = listObjects(h);
  const deleted: KubeObject[] = [];
  for (const item of items) {
    try {
      await admitDelete(h, item.metadata.namespace, item.metadata.name!, opts);
      deleted.push(await h.deps.storage.delete(h.r, item.metadata.namespace, item.metadata.name!, opts));
    } catch (err) {
      // Gone meanwhile: deletecollection is best effort per item, like Kubernetes'.
      if (!isNotFound(err)) throw err;
    }
  }
  return respond(h, { kind: h.r.listKind, apiVersion: groupVersion(h.r), metadata: {}, items: deleted });
}
