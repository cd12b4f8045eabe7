// Sets of field paths, the unit of field ownership in managedFields, in Kubernetes' FieldsV1
// encoding (structured-merge-diff): a path is a list of tokens — "f:<field>" for a map/struct
// field, "k:{...}" for a list item by its key fields, "v:<json>" for an item of a set of
// primitives, "i:<n>" for a list position — and a set is a tree of them where {} marks a member
// and ".": {} marks a member that also has members below it.
import { deepEqual, isObject, type JsonObject } from "./json-value.ts";
import { fieldStrategy, listKeys, type FieldStrategy } from "./merge-keys.ts";

export type FieldPath = readonly string[];

/** Defaults the apiserver fills into list key fields before keying items (ports' protocol). */
const KEY_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: "TCP" };

/**
 * A path's map key. Tokens never hold a raw NUL (JSON escapes it; field names are validated).
 * Concatenated rather than `join`ed: this runs for every field of every write, and join costs a
 * third more.
 */
function keyOf(path: FieldPath): string {
  if (path.length === 0) return "";
  let key = path[0]!;
  for (let i = 1; i < path.length; i++) key += "\0" + path[i]!;
  return key;
}

/** "f:" tokens by field name, made once (bounded: cleared when full). */
const fieldTokens = new Map<string, string>();

/**
 * A field's path token, `f:<name>`. Every write walks the fields it touches and names each one
 * (a pod's status: about seventy): made anew, each is a string to build and then resolve when it
 * is hashed, garbage a moment later. Field names repeat across objects, so each token is made once.
 */
export function fieldToken(name: string): string {
  let token = fieldTokens.get(name);
  if (token === undefined) {
    if (fieldTokens.size >= 4096) fieldTokens.clear();
    fieldTokens.set(name, (token = `f:${name}`));
  }
  return token;
}

export class FieldSet {
  /** The paths by key; undefined while the set is only its FieldsV1 tree (decoded when needed). */
  private paths: Map<string, FieldPath> | undefined;
  /**
   * The FieldsV1 tree this set was read from, while the set is unchanged. Every write reads and
   * writes back every manager's set, and most stay as they were (a Lease renewal changes no
   * one's fields): such a set is answered from its tree, never decoded, and written back as
   * that tree when the tree is in toFieldsV1's form.
   */
  private source: JsonObject | undefined;
  /** `source`'s member count and whether it is in toFieldsV1's form, found in one walk when first asked. */
  private surveyed: TreeSurvey | undefined;

  /** With `tree`, the set read from that FieldsV1 tree (fromFieldsV1): no Map made for paths not decoded. */
  constructor(paths: Iterable<FieldPath> = [], tree?: JsonObject) {
    if (tree !== undefined) {
      this.source = tree;
      return;
    }
    this.paths = new Map();
    for (const path of paths) this.add(path);
  }

  add(path: FieldPath): void {
    if (this.paths === undefined && memberOf(this.source, path)) return;
    const paths = this.decoded();
    const size = paths.size;
    paths.set(keyOf(path), path);
    if (paths.size !== size) this.source = undefined;
  }
  delete(path: FieldPath): void {
    if (this.paths === undefined && !memberOf(this.source, path)) return;
    if (this.decoded().delete(keyOf(path))) this.source = undefined;
  }
  has(path: FieldPath): boolean {
    return this.paths === undefined ? memberOf(this.source, path) : this.paths.has(keyOf(path));
  }
  get size(): number {
    return this.paths === undefined ? this.survey().members : this.paths.size;
  }
  [Symbol.iterator](): IterableIterator<FieldPath> {
    return this.decoded().values();
  }

  /** Whether the set has this path or any path below it. */
  hasAtOrBelow(path: FieldPath): boolean {
    for (const p of this) if (p.length >= path.length && path.every((t, i) => p[i] === t)) return true;
    return false;
  }

  minus(other: FieldSet): FieldSet {
    const out = new FieldSet();
    const theirs = other.decoded();
    for (const [key, path] of this.decoded()) if (!theirs.has(key)) out.paths!.set(key, path);
    return out;
  }

  /** The paths `keep` keeps (their keys copied, not made again: this is on every write's path). */
  filter(keep: (path: FieldPath) => boolean): FieldSet {
    const out = new FieldSet();
    for (const [key, path] of this.decoded()) if (keep(path)) out.paths!.set(key, path);
    return out;
  }

  /** A set read from a FieldsV1 tree; the tree is decoded only if the set is asked for its paths or changed. */
  static fromFieldsV1(tree: unknown): FieldSet {
    return new FieldSet([], isObject(tree) ? tree : {});
  }

  /** Only while the set is its unchanged `source` (the survey is of that tree). */
  private survey(): TreeSurvey {
    return (this.surveyed ??= surveyTree(this.source));
  }

  private decoded(): Map<string, FieldPath> {
    if (this.paths !== undefined) return this.paths;
    const paths = (this.paths = new Map());
    const walk = (node: unknown, path: string[]) => {
      if (!isObject(node)) return;
      const tokens = Object.keys(node);
      if (tokens.length === 0 && path.length > 0) paths.set(keyOf(path), path);
      for (const token of tokens) {
        if (token === ".") paths.set(keyOf(path), path);
        else walk(node[token], [...path, token]);
      }
    };
    walk(this.source, []);
    return paths;
  }

  toFieldsV1(): JsonObject {
    if (this.source !== undefined && this.survey().canonical) return this.source;
    // Paths in token order make every node's tokens come in sorted, so no node is sorted on its
    // own; a member whose first member below it arrives gets its "." (which sorts first) then.
    // Their keys sort as they do (NUL, which joins a key's tokens, sorts before every other
    // character), natively, with no comparator called per pair.
    const decoded = this.decoded();
    const keys = [...decoded.keys()].sort();
    const root: JsonObject = {};
    const leaves = new Set<JsonObject>();
    for (const key of keys) {
      const path = decoded.get(key)!;
      let node = root;
      for (const token of path) {
        let child = node[token] as JsonObject | undefined;
        if (child === undefined) {
          if (leaves.delete(node)) node["."] = {};
          node[token] = child = {};
        }
        node = child;
      }
      leaves.add(node);
    }
    return root;
  }
}

/**
 * Whether a FieldsV1 tree holds `path` as a member, as its decoding would: the node the path
 * names is an empty tree below the root, or has a "." token.
 */
function memberOf(tree: JsonObject | undefined, path: FieldPath): boolean {
  let node: unknown = tree;
  for (const token of path) {
    if (!isObject(node) || !Object.hasOwn(node, token)) return false;
    node = node[token];
  }
  if (!isObject(node)) return false;
  if (Object.hasOwn(node, ".")) return true;
  return path.length > 0 && Object.keys(node).length === 0;
}

interface TreeSurvey {
  members: number;
  canonical: boolean;
}

/**
 * The members of a FieldsV1 tree, counted without decoding it, and whether the tree is in
 * toFieldsV1's form (tokens sorted, every value a tree, "." empty and only beside other tokens);
 * a tree that is not would be written otherwise once decoded.
 */
function surveyTree(tree: JsonObject | undefined): TreeSurvey {
  let members = 0;
  let canonical = true;
  const walk = (node: unknown, depth: number): void => {
    if (!isObject(node)) {
      canonical = false;
      return;
    }
    const tokens = Object.keys(node);
    if (tokens.length === 0 && depth > 0) members++;
    let previous = "";
    for (const token of tokens) {
      if (token <= previous) canonical = false;
      previous = token;
      if (token === ".") {
        const dot = node[token];
        if (tokens.length === 1 || !isObject(dot) || Object.keys(dot).length > 0) canonical = false;
        members++;
      } else walk(node[token], depth + 1);
    }
  };
  walk(tree, 0);
  return { members, canonical };
}

/**
 * The fields an object sets, typed by `type` (see merge-keys.ts): every leaf value, every item
 * of a keyed list (and the fields inside it), every value of a set. Atomic lists and maps, empty
 * maps and empty lists are leaves.
 */
export function fieldsOf(obj: unknown, type: string | undefined): FieldSet {
  const set = new FieldSet();
  if (isObject(obj)) walkMap(obj, [], type, set);
  return set;
}

/** Adds the fields of a map (typed by `type`) below `path` to `set`. */
export function walkMap(obj: JsonObject, path: string[], type: string | undefined, set: FieldSet): void {
  // Keys, not entries: no [name, value] pair made per field (this walk is on every write's path).
  for (const name of Object.keys(obj)) walkValue(obj[name], [...path, fieldToken(name)], fieldStrategy(type, name), set);
}

/** Adds the fields a value at `path` sets (the path itself for a leaf) to `set`. */
export function walkValue(value: unknown, path: string[], field: FieldStrategy, set: FieldSet): void {
  if (isObject(value) && Object.keys(value).length > 0 && !field.atomic) return walkMap(value, path, field.type, set);
  if (Array.isArray(value) && value.length > 0 && field.strategy === "merge") {
    for (const item of value) {
      if (isObject(item) && listKeys(field).length > 0) {
        const itemPath = [...path, keyToken(item, field)];
        set.add(itemPath);
        walkMap(item, itemPath, field.type, set);
      } else if (!isObject(item) && !Array.isArray(item)) {
        set.add([...path, `v:${JSON.stringify(item)}`]);
      }
    }
    return;
  }
  set.add(path);
}

/**
 * A keyed list item's token: `k:` and the JSON of an object of its key fields, in the list's key
 * order. Written out field by field, which is that JSON (key names are field names, never
 * index-like, so JSON.stringify would keep their order): no object built and stringified per
 * item of every list of every write (a pod status's conditions and containers).
 */
export function keyToken(item: JsonObject, field: FieldStrategy): string {
  let body = "";
  for (const name of listKeys(field)) {
    const value = Object.hasOwn(item, name) ? item[name] : KEY_DEFAULTS[name];
    if (value !== undefined) body += `${body ? "," : ""}${JSON.stringify(name)}:${JSON.stringify(value)}`;
  }
  return `k:{${body}}`;
}

function matchesKey(item: unknown, key: JsonObject): boolean {
  if (!isObject(item)) return false;
  return Object.entries(key).every(([name, want]) => deepEqual(Object.hasOwn(item, name) ? item[name] : KEY_DEFAULTS[name], want));
}

/** Finds the child that one path token names inside a container (a map or a list). */
function locate(container: unknown, token: string): { found: boolean; value?: unknown; index?: number } {
  const body = token.slice(2);
  switch (token.slice(0, 2)) {
    case "f:":
      return isObject(container) && Object.hasOwn(container, body) ? { found: true, value: container[body] } : { found: false };
    case "k:":
    case "v:": {
      if (!Array.isArray(container)) return { found: false };
      const wanted = JSON.parse(body) as unknown;
      const index = token.startsWith("k:")
        ? container.findIndex((item) => matchesKey(item, wanted as JsonObject))
        : container.findIndex((item) => deepEqual(item, wanted));
      return index >= 0 ? { found: true, value: container[index], index } : { found: false };
    }
    case "i:": {
      const index = Number(body);
      return Array.isArray(container) && index < container.length ? { found: true, value: container[index], index } : { found: false };
    }
    default:
      return { found: false };
  }
}

/** The value at path, if the object has it. */
export function valueAt(obj: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let current: unknown = obj;
  for (const token of path) {
    const step = locate(current, token);
    if (!step.found) return { found: false };
    current = step.value;
  }
  return { found: true, value: current };
}

/** Removes the field, list item or set value at path; a missing path is a no-op. */
export function removeAt(obj: unknown, path: FieldPath): void {
  if (path.length === 0) return;
  const parent = valueAt(obj, path.slice(0, -1));
  if (!parent.found) return;
  const token = path[path.length - 1]!;
  const step = locate(parent.value, token);
  if (!step.found) return;
  if (step.index !== undefined) (parent.value as unknown[]).splice(step.index, 1);
  else delete (parent.value as JsonObject)[token.slice(2)];
}

/** A path as Kubernetes prints it in conflicts: .spec.containers[name="web"].image */
export function pathString(path: FieldPath): string {
  return path
    .map((token) => {
      const body = token.slice(2);
      switch (token.slice(0, 2)) {
        case "f:":
          return `.${body}`;
        case "k:":
          return `[${Object.entries(JSON.parse(body) as JsonObject).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}]`;
        case "v:":
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join("");
}
