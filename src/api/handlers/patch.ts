// PATCH: JSON patch, merge patch, strategic merge patch and server-side apply.
import { badRequest, staleConflict, unsupportedMediaType } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { PATCH_TYPES, decodeBody, expectObject, mediaType, readBody } from "../content.ts";
import { applyPatch, serverSideApply, APPLY_PATCH, MERGE_PATCH } from "../patch/index.ts";
import { formatTime } from "../../apis/time.ts";
import { qualified } from "../storage.ts";
import { converterFor } from "../../apis/conversion.ts";
import { checkTypeMeta, respond, respondObject, withTypeMeta, writeOptions, type HandlerContext } from "./context.ts";
import { stageEnd, stageStart } from "../../store/stage-timers.ts";

/**
 * Applies a PATCH request's body to `current`; shared by resources and their subresources.
 * `owned`: `current` is storage.update's private copy, which the patch may consume (in place).
 */
export function patchObject(h: HandlerContext, current: KubeObject, type: string, body: unknown, kind = h.r.kind, owned = false): KubeObject {
  const resourceVersion = current.metadata.resourceVersion; // read before `current` may be patched in place
  const t = stageStart();
  const patched = applyPatch(type, current, body, kind, owned);
  stageEnd("patch", t);
  // A patch that names a resourceVersion is a precondition (kubectl patch --resource-version).
  if (patched.metadata?.resourceVersion !== resourceVersion) {
    throw staleConflict(qualified(h.r), h.info.name!);
  }
  return patched;
}

export async function readPatch(h: HandlerContext): Promise<{ type: string; body: unknown }> {
  const type = mediaType(h.c.req.header("content-type"));
  if (!(PATCH_TYPES as readonly string[]).includes(type)) throw unsupportedMediaType(type);
  // Custom resources have no patch strategies to merge by, so kube-apiserver refuses strategic merge for them.
  if (h.r.custom && type === "application/strategic-merge-patch+json") {
    const err = unsupportedMediaType(type);
    err.status.message = "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";
    throw err;
  }
  const bytes = await readBody(h.c.req.raw);
  const t = stageStart();
  const body = decodeBody(bytes, type);
  stageEnd("decode", t);
  if (type === "application/json-patch+json") {
    if (!Array.isArray(body)) throw badRequest("json patch must be an array of operations");
  } else expectObject(body, "patch");
  return { type, body };
}

export async function handlePatch(h: HandlerContext): Promise<Response> {
  const { type, body } = await readPatch(h);
  const opts = writeOptions(h);
  const { storage } = h.deps;
  const conv = converterFor(h.r);
  if (type === APPLY_PATCH && conv) {
    throw badRequest(`server-side apply is not supported on ${h.r.group}/${h.r.version} ${h.r.resource}: apply the stored version instead`);
  }
  if (type === APPLY_PATCH) {
    const manager = h.query.get("fieldManager");
    if (!manager) throw badRequest("PATCH requests with apply must specify fieldManager");
    opts.applied = true;
    const subresource = h.info.subresource;
    const applied = expectObject(body) as KubeObject;
    checkTypeMeta(h.r, applied);
    // An applied configuration names its type, as kube-apiserver insists.
    if (!applied.apiVersion || !applied.kind) throw badRequest("apiVersion and kind must be set in an applied configuration");
    applied.metadata ??= {};
    if (applied.metadata?.name !== undefined && applied.metadata.name !== h.info.name) {
      throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${h.info.name})`);
    }
    const force = h.query.get("force") === "true";
    const now = formatTime(h.deps.now());
    let exists = true;
    try {
      storage.get(h.r, h.info.namespace, h.info.name!);
    } catch {
      exists = false;
    }
    if (!exists && !h.info.subresource) {
      const fresh = serverSideApply(undefined, withTypeMeta(h.r, applied), { manager, force, kind: h.r.kind, now, subresource });
      fresh.metadata = { ...fresh.metadata, name: h.info.name };
      const created = await storage.create(h.r, h.info.namespace, fresh, opts);
      return respondObject(h, created, 201, opts.warnings);
    }
    const updated = await storage.update(
      h.r,
      h.info.namespace,
      h.info.name!,
      (current) => serverSideApply(current, withTypeMeta(h.r, applied), { manager, force, kind: h.r.kind, now, subresource }),
      opts,
    );
    return respondObject(h, updated, 200, opts.warnings);
  }
  // A converted version is patched in its own shape: the stored object converted, patched, converted back.
  // Otherwise `current` is storage.update's private copy (copyOfStored): the patch may consume it.
  const patch = conv ? (current: KubeObject) => conv.toStorage(patchObject(h, conv.fromStorage(current), type, body)) : (current: KubeObject) => patchObject(h, current, type, body, h.r.kind, true);
  // A merge patch applied in place to that copy changes only the top-level fields it names.
  if (!conv && type === MERGE_PATCH) opts.touches = new Set(Object.keys(body as object));
  const updated = await storage.update(h.r, h.info.namespace, h.info.name!, patch, opts);
  const t = stageStart();
  const res = respondObject(h, updated, 200, opts.warnings);
  stageEnd("response", t);
  return res;
}
