// The patch engine: pure functions the API server calls for PATCH requests (and, for
// managedFields, for every write). Objects are plain JSON.
import { badRequest, unsupportedMediaType } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { isObject } from "./json-value.ts";
import { jsonPatch } from "./json-patch.ts";
import { mergePatch, mergePatchInPlace } from "./merge-patch.ts";
import { strategicMerge } from "./strategic-merge.ts";

export { mergePatch, mergePatchInPlace } from "./merge-patch.ts";
export { jsonPatch, MAX_JSON_PATCH_OPERATIONS } from "./json-patch.ts";
export { strategicMerge } from "./strategic-merge.ts";
export { fieldStrategy, rootType, type FieldStrategy } from "./merge-keys.ts";
export { setCustomKindSchema } from "./custom-types.ts";
export { serverSideApply, BEFORE_FIRST_APPLY, type ApplyOptions } from "./apply.ts";
export { updateManagedFields } from "./managed-fields.ts";
export { FieldSet, fieldsOf, pathString } from "./field-set.ts";

export const MERGE_PATCH = "application/merge-patch+json";
export const JSON_PATCH = "application/json-patch+json";
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
export const APPLY_PATCH = "application/apply-patch+yaml";

/** The media type of a Content-Type header, without parameters, lower case. */
export function patchMediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/**
 * Applies one of the three classic patch types, chosen by Content-Type; body is the parsed JSON
 * request body (the list of operations for a JSON patch). Server-side apply
 * (application/apply-patch+yaml) needs a manager and force, so callers route it to
 * serverSideApply; here it is, like any other media type, a 415. `ownsLive`: `live` is a private
 * copy the caller gives up (storage.update's), which a merge patch then patches in place.
 */
export function applyPatch(contentType: string, live: KubeObject, body: unknown, kind: string, ownsLive = false): KubeObject {
  let result: unknown;
  switch (patchMediaType(contentType)) {
    case MERGE_PATCH:
      // The apiserver's merge patch library rejects anything but an object (ErrBadJSONPatch).
      if (!isObject(body)) throw badRequest("Invalid JSON Patch");
      result = ownsLive ? mergePatchInPlace(live, body) : mergePatch(live, body);
      break;
    case JSON_PATCH:
      result = jsonPatch(live, body);
      break;
    case STRATEGIC_MERGE_PATCH:
      result = strategicMerge(live, body, kind);
      break;
    default:
      throw unsupportedMediaType(contentType);
  }
  if (!isObject(result) || !isObject(result.metadata)) {
    throw badRequest("the patched object must be a JSON object with metadata");
  }
  return result as KubeObject;
}
