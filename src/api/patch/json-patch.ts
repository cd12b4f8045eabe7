// JSON patch (RFC 6902), the media type application/json-patch+json: `kubectl patch --type json`
// and client-node's typed patch methods.
//
// Errors follow the apiserver: a body that is not a list of operation objects is 400 BadRequest
// (decoding failed); an operation that cannot be applied (unknown op, missing path, failed test)
// is 422 Invalid (see rejected.ts).
import { badRequest, StatusError } from "../../apis/errors.ts";
import { deepEqual, isObject, setField, type JsonObject } from "./json-value.ts";
import { rejectedPatch } from "./rejected.ts";
import { jsonCopy } from "../json-copy.ts";

/** The apiserver's limit on operations in one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
  hasValue: boolean;
}

/** Applies ops (the parsed request body) to doc and returns the result; doc is not mutated. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  const operations = decode(ops);
  let result = jsonCopy(doc);
  for (const [i, op] of operations.entries()) {
    try {
      result = applyOperation(result, op);
    } catch (err) {
      if (err instanceof PatchFailure) throw rejectedPatch(`operation ${i} (${op.op} ${op.path}): ${err.message}`);
      throw err;
    }
  }
  return result;
}

function decode(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
      reason: "RequestEntityTooLarge",
      code: 413,
    });
  }
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw badRequest(`json: cannot unmarshal ${JSON.stringify(raw)} into operation ${i} of jsonpatch.Patch`);
    const op = typeof raw.op === "string" ? raw.op : "";
    const path = typeof raw.path === "string" ? raw.path : undefined;
    if (path === undefined) throw rejectedPatch(`operation ${i} (${op || "?"}): missing or non-string "path"`);
    const from = typeof raw.from === "string" ? raw.from : undefined;
    return { op, path, from, value: raw.value, hasValue: Object.hasOwn(raw, "value") };
  });
}

/** An operation that cannot be applied; turned into a 422 with the operation's index. */
class PatchFailure extends Error {}

function applyOperation(doc: unknown, op: Operation): unknown {
  switch (op.op) {
    case "add":
      return add(doc, parsePointer(op.path), requireValue(op));
    case "remove":
      return remove(doc, parsePointer(op.path)).doc;
    case "replace":
      return replace(doc, parsePointer(op.path), requireValue(op));
    case "move": {
      const from = parsePointer(requireFrom(op));
      const path = parsePointer(op.path);
      if (path.length > from.length && from.every((t, i) => t === path[i])) {
        throw new PatchFailure(`cannot move "${op.from}" into its own child "${op.path}"`);
      }
      const taken = remove(doc, from);
      return add(taken.doc, path, taken.value);
    }
    case "copy":
      return add(doc, parsePointer(op.path), structuredClone(get(doc, parsePointer(requireFrom(op)))));
    case "test": {
      const actual = get(doc, parsePointer(op.path));
      if (!deepEqual(actual, requireValue(op))) {
        throw new PatchFailure(`test failed: value is ${JSON.stringify(actual)}, expected ${JSON.stringify(op.value)}`);
      }
      return doc;
    }
    default:
      throw new PatchFailure(`unknown op ${JSON.stringify(op.op)}, expected one of add, remove, replace, move, copy, test`);
  }
}

function requireValue(op: Operation): unknown {
  if (!op.hasValue) throw new PatchFailure(`"${op.op}" needs a "value"`);
  return structuredClone(op.value);
}

function requireFrom(op: Operation): string {
  if (op.from === undefined) throw new PatchFailure(`"${op.op}" needs a string "from"`);
  return op.from;
}

/** Splits a JSON pointer (RFC 6901) into unescaped reference tokens. */
function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchFailure(`JSON pointer "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new PatchFailure(`JSON pointer "${pointer}" has an invalid escape`);
      return token.replaceAll("~1", "/").replaceAll("~0", "~");
    });
}

const showPath = (tokens: string[]) => "/" + tokens.map((t) => t.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

function arrayIndex(token: string, length: number, path: string[], allowEnd: boolean): number {
  if (allowEnd && token === "-") return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchFailure(`"${token}" is not an array index in ${showPath(path)}`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) {
    throw new PatchFailure(`array index ${index} out of bounds (length ${length}) in ${showPath(path)}`);
  }
  return index;
}

function get(doc: unknown, path: string[]): unknown {
  let current = doc;
  for (const [i, token] of path.entries()) {
    const seen = path.slice(0, i + 1);
    if (Array.isArray(current)) current = current[arrayIndex(token, current.length, seen, false)];
    else if (isObject(current) && Object.hasOwn(current, token)) current = current[token];
    else throw new PatchFailure(`path ${showPath(seen)} does not exist`);
  }
  return current;
}

/** The container that holds the last token of path; it must exist. */
function parentOf(doc: unknown, path: string[]): JsonObject | unknown[] {
  const parent = get(doc, path.slice(0, -1));
  if (Array.isArray(parent) || isObject(parent)) return parent;
  throw new PatchFailure(`path ${showPath(path.slice(0, -1))} is not an object or array`);
}

function add(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const token = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, path, true), 0, value);
  else setField(parent, token, value);
  return doc;
}

function replace(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const token = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[arrayIndex(token, parent.length, path, false)] = value;
  else if (Object.hasOwn(parent, token)) setField(parent, token, value);
  else throw new PatchFailure(`path ${showPath(path)} does not exist`);
  return doc;
}

function remove(doc: unknown, path: string[]): { doc: unknown; value: unknown } {
  if (path.length === 0) throw new PatchFailure("cannot remove the whole document");
  const parent = parentOf(doc, path);
  const token = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const [value] = parent.splice(arrayIndex(token, parent.length, path, false), 1);
    return { doc, value };
  }
  if (!Object.hasOwn(parent, token)) throw new PatchFailure(`path ${showPath(path)} does not exist`);
  const value = parent[token];
  delete parent[token];
  return { doc, value };
}
