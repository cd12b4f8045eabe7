// JSON merge patch (RFC 7386), the media type application/merge-patch+json. kubectl uses it for
// `label`, `annotate`, `scale` and `patch --type merge`.
import { isObject, setField, type JsonObject } from "./json-value.ts";
import { jsonCopy } from "../json-copy.ts";

/** Returns target patched by patch; neither input is mutated. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  return mergeInto(jsonCopy(target), patch);
}

/**
 * mergePatch for a target the caller owns outright — a private copy no one else holds, such as
 * the one storage.update hands its tryUpdate: patched in place (and returned) instead of copied
 * a second time. The patch is still not mutated (a retried update applies it again).
 */
export function mergePatchInPlace(target: unknown, patch: unknown): unknown {
  return mergeInto(target, patch);
}

function mergeInto(target: unknown, patch: unknown): unknown {
  // A non-object patch (including an array) replaces the target wholesale.
  if (!isObject(patch)) return jsonCopy(patch);
  const result: JsonObject = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setField(result, key, mergeInto(Object.hasOwn(result, key) ? result[key] : undefined, value));
  }
  return result;
}
