// Strategic merge patch (application/strategic-merge-patch+json), after
// k8s.io/apimachinery/pkg/util/strategicpatch (StrategicMergeMapPatch): maps merge recursively,
// null deletes, lists with a patch strategy merge item by item (by merge key, or as a set of
// primitives), other lists are replaced. Directives: $patch (replace/delete/merge),
// $retainKeys, $setElementOrder/<list>, $deleteFromPrimitiveList/<list>.
//
// Where Kubernetes would copy a new value verbatim (a field the live object lacks), we merge it
// into an empty value instead, so directives and nulls inside it never reach the stored object.
// `$patch: merge` is accepted as "merge as usual" in maps and list items; Kubernetes rejects it.
import { badRequest } from "../../apis/errors.ts";
import { isObject, setField, type JsonObject } from "./json-value.ts";
import { orderMergedList, type Identity } from "./list-order.ts";
import { fieldStrategy, rootType, type FieldStrategy } from "./merge-keys.ts";
import { rejectedPatch } from "./rejected.ts";
import { jsonCopy } from "../json-copy.ts";

const PATCH = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ELEMENT_ORDER = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";

/** Applies a strategic merge patch to an object of the given kind; neither input is mutated. */
export function strategicMerge(original: unknown, patch: unknown, kind: string): unknown {
  if (!isObject(patch)) throw badRequest("invalid JSON document");
  const base = isObject(original) ? jsonCopy(original) : {};
  return mergeMap(base, jsonCopy(patch), rootType(kind));
}

/** Merges patch into original (both owned by us, mutated freely). */
function mergeMap(original: JsonObject, patch: JsonObject, type: string | undefined): JsonObject {
  if (Object.hasOwn(patch, PATCH)) {
    const directive = patch[PATCH];
    delete patch[PATCH];
    if (directive === "replace") return mergeMap({}, patch, type);
    if (directive === "delete") return {};
    if (directive !== "merge") throw badPatchType(directive, patch);
  }
  retainKeys(original, patch);
  setElementOrder(original, patch, type);

  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      deleteFromPrimitiveList(original, key.slice(DELETE_FROM_PRIMITIVE_LIST.length), value);
    } else if (value === null) {
      delete original[key];
    } else {
      const current = Object.hasOwn(original, key) ? original[key] : undefined;
      setField(original, key, mergeValue(current, value, fieldStrategy(type, key)));
    }
  }
  return original;
}

function mergeValue(current: unknown, patch: unknown, field: FieldStrategy): unknown {
  if (field.replace) return patch;
  if (isObject(patch)) return mergeMap(isObject(current) ? current : {}, patch, field.type);
  if (Array.isArray(patch) && field.strategy === "merge") {
    return mergeList(Array.isArray(current) ? current : [], patch, field);
  }
  return patch;
}

function mergeList(original: unknown[], patch: unknown[], field: FieldStrategy): unknown[] {
  const kind = elementKind(original, patch);
  if (kind === "none") return [];
  if (kind === "primitive") {
    const merged = [...original];
    for (const item of patch) if (!merged.includes(item)) merged.push(item);
    return orderMergedList(merged, patch, original, (item) => item);
  }

  const key = field.mergeKey;
  if (!key) throw badRequest(`cannot merge lists without merge key for type ${field.type ?? "object"}`);
  const id: Identity = (item) => (item as JsonObject)[key];

  let base = original;
  let replace = false;
  const items: JsonObject[] = [];
  for (const item of patch as JsonObject[]) {
    if (!Object.hasOwn(item, PATCH)) {
      items.push(item);
      continue;
    }
    const directive = item[PATCH];
    if (directive === "delete") {
      requireMergeKey(item, key);
      base = base.filter((o) => id(o) !== item[key]);
    } else if (directive === "replace") {
      replace = true;
    } else if (directive === "merge") {
      delete item[PATCH];
      if (Object.hasOwn(item, key)) items.push(item);
    } else {
      throw badPatchType(directive, item);
    }
  }
  if (replace) return items.map((item) => mergeMap({}, item, field.type));

  const merged = [...base];
  for (const item of items) {
    requireMergeKey(item, key);
    const at = merged.findIndex((o) => id(o) === item[key]);
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, field.type);
    else merged.push(mergeMap({}, item, field.type));
  }
  return orderMergedList(merged, items, base, id);
}

/** All items of both lists are maps, or all primitives; lists of lists are not supported. */
function elementKind(...lists: unknown[][]): "map" | "primitive" | "none" {
  let kind: "map" | "primitive" | "none" = "none";
  for (const item of lists.flat()) {
    if (Array.isArray(item)) throw rejectedPatch("lists of lists are not supported");
    const k = isObject(item) ? "map" : "primitive";
    if (kind !== "none" && k !== kind) throw badRequest(`list element types are not identical: ${JSON.stringify(lists)}`);
    kind = k;
  }
  return kind;
}

/** $retainKeys: keep only the listed keys of the original map (used when a union changes member). */
function retainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const keys = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(keys)) throw badRequest("invalid patch format of retainKeys");
  const keep = new Set(keys);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw rejectedPatch("patch content doesn't match retainKeys list");
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/**
 * $setElementOrder/<list>: merges the list now (removing it from the patch) and orders it as the
 * directive says, the patch's order winning over the live order.
 */
function setElementOrder(original: JsonObject, patch: JsonObject, type: string | undefined): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    const name = directiveKey.slice(SET_ELEMENT_ORDER.length);
    if (!Array.isArray(order) || !name) throw badRequest("invalid patch format of setElementOrder list");

    const current = Object.hasOwn(original, name) ? original[name] : undefined;
    const patchList = Object.hasOwn(patch, name) ? patch[name] : undefined;
    if (patchList === null) continue; // the list itself is deleted below
    if ((current !== undefined && !Array.isArray(current)) || (patchList !== undefined && !Array.isArray(patchList))) {
      throw badRequest(`invalid patch format of setElementOrder list: ${name} is not a list`);
    }
    if (current === undefined && patchList === undefined) continue;

    const field = fieldStrategy(type, name);
    const key = field.mergeKey;
    if (patchList) validateOrder(patchList, order, key);
    const merged = patchList ? (mergeValue(current, patchList, field) as unknown[]) : (current as unknown[]);
    const id: Identity = key ? (item) => (isObject(item) ? item[key] : undefined) : (item) => item;
    setField(original, name, orderMergedList(merged, order, current ?? [], id));
    delete patch[name];
  }
}

/** The patch list's items (deletions aside) must appear in the $setElementOrder list, in order. */
function validateOrder(patchList: unknown[], order: unknown[], key: string | undefined): void {
  const id = (item: unknown) => (key && isObject(item) ? item[key] : item);
  const items = patchList.filter((item) => !(isObject(item) && Object.hasOwn(item, PATCH)));
  let at = 0;
  for (const entry of order) if (at < items.length && id(items[at]) === id(entry)) at++;
  if (at < items.length) {
    throw badRequest(
      `The order in patch list:\n${JSON.stringify(patchList)}\n doesn't match $setElementOrder list:\n${JSON.stringify(order)}\n`,
    );
  }
}

function deleteFromPrimitiveList(original: JsonObject, name: string, values: unknown): void {
  if (!name || !Array.isArray(values)) throw badRequest("invalid patch format of primitive list");
  const current = Object.hasOwn(original, name) ? original[name] : undefined;
  if (Array.isArray(current)) setField(original, name, current.filter((item) => !values.includes(item)));
}

function requireMergeKey(item: JsonObject, key: string): void {
  if (!Object.hasOwn(item, key)) throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
}

const badPatchType = (directive: unknown, where: JsonObject) =>
  badRequest(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(where)}`);
