// What a write changed, as field paths for managedFields: one walk over the old and the new object
// together, entering only the parts a write in this scope can own (a status write walks status
// alone), instead of two full field sets of both objects and a lookup from the root for every
// path. The rules are fieldsOf's (field-set.ts): for the paths the new object sets, `changed`
// holds those the old one did not set or set to another value (a list item's or set value's
// presence is its whole value), `removed` those only the old one set.
import { deepEqual, isObject, type JsonObject } from "./json-value.ts";
import { FieldSet, fieldToken, keyToken, walkMap, walkValue } from "./field-set.ts";
import { kid, treeMap, treeNode, treeValue, type TreeNode } from "./field-tree.ts";
import { fieldStrategy, listKeys, rootType, type FieldStrategy } from "./merge-keys.ts";

export interface FieldDiff {
  changed: FieldSet;
  removed: FieldSet;
}

/** Two items of one list with the same key: the walk gives up and the caller diffs field sets. */
export class DuplicateListKeys extends Error {}

type Keep = (name: string) => boolean;

export function diffFields(old: unknown, updated: unknown, kind: string, keepTop: Keep, keepMetadata: Keep): FieldDiff {
  const diff: FieldDiff = { changed: new FieldSet(), removed: new FieldSet() };
  const type = rootType(kind);
  const o = isObject(old) ? old : {};
  const n = isObject(updated) ? updated : {};
  diffMap(o, n, [], type, diff, keepTop, (name, field) => (name === "metadata" ? (a, b, p) => diffMap(a, b, p, field.type, diff, keepMetadata) : undefined));
  return diff;
}

type Into = (old: JsonObject, updated: JsonObject, path: string[]) => void;

function diffMap(
  old: JsonObject,
  updated: JsonObject,
  path: string[],
  type: string | undefined,
  diff: FieldDiff,
  keep?: Keep,
  special?: (name: string, field: FieldStrategy) => Into | undefined,
): void {
  for (const name of Object.keys(updated)) {
    if (keep && !keep(name)) continue;
    const value = updated[name];
    const field = fieldStrategy(type, name);
    const p = [...path, fieldToken(name)];
    const into = special?.(name, field);
    if (!Object.hasOwn(old, name)) {
      // New metadata (a create's) is entered like one that changed, so its system fields are
      // passed over here rather than collected and filtered out after.
      if (into && shapeOf(value, field) === "map") into({}, value as JsonObject, p);
      else walkValue(value, p, field, diff.changed);
      continue;
    }
    if (into && shapeOf(value, field) === "map" && shapeOf(old[name], field) === "map") into(old[name] as JsonObject, value as JsonObject, p);
    else diffValue(old[name], value, p, field, diff);
  }
  for (const name of Object.keys(old)) {
    if ((keep && !keep(name)) || Object.hasOwn(updated, name)) continue;
    walkValue(old[name], [...path, fieldToken(name)], fieldStrategy(type, name), diff.removed);
  }
}

type Shape = "map" | "list" | "leaf";

/** How fieldsOf treats a value: a map it enters, a merged list it enters item by item, or a leaf. */
function shapeOf(value: unknown, field: FieldStrategy): Shape {
  if (isObject(value) && Object.keys(value).length > 0 && !field.atomic) return "map";
  if (Array.isArray(value) && value.length > 0 && field.strategy === "merge") return "list";
  return "leaf";
}

function diffValue(old: unknown, updated: unknown, path: string[], field: FieldStrategy, diff: FieldDiff): void {
  const shape = shapeOf(updated, field);
  if (shape !== shapeOf(old, field)) {
    // Different shapes set disjoint paths: everything new changed, everything old went.
    walkValue(updated, path, field, diff.changed);
    walkValue(old, path, field, diff.removed);
  } else if (shape === "leaf") {
    if (!deepEqual(old, updated)) diff.changed.add(path);
  } else if (shape === "map") {
    diffMap(old as JsonObject, updated as JsonObject, path, field.type, diff);
  } else {
    diffList(old as unknown[], updated as unknown[], path, field, diff);
  }
}

/** A merged list's items by their path token, as fieldsOf names them (other items set nothing). */
function itemsByToken(list: unknown[], field: FieldStrategy): Map<string, unknown> {
  const keyed = listKeys(field).length > 0;
  const items = new Map<string, unknown>();
  for (const item of list) {
    let token: string | undefined;
    if (isObject(item)) token = keyed ? keyToken(item, field) : undefined;
    else if (!Array.isArray(item)) token = `v:${JSON.stringify(item)}`;
    if (token === undefined) continue;
    if (items.has(token)) {
      if (token.startsWith("k:")) throw new DuplicateListKeys(token);
      continue; // a repeated set value is one member
    }
    items.set(token, item);
  }
  return items;
}

function diffList(old: unknown[], updated: unknown[], path: string[], field: FieldStrategy, diff: FieldDiff): void {
  const before = itemsByToken(old, field);
  const after = itemsByToken(updated, field);
  for (const [token, item] of after) {
    const itemPath = [...path, token];
    const was = before.get(token);
    if (was === undefined) {
      diff.changed.add(itemPath);
      if (isObject(item)) walkMap(item, itemPath, field.type, diff.changed);
    } else if (isObject(item) && isObject(was)) {
      diffMap(was, item, itemPath, field.type, diff);
    }
  }
  for (const [token, item] of before) {
    if (after.has(token)) continue;
    const itemPath = [...path, token];
    diff.removed.add(itemPath);
    if (isObject(item)) walkMap(item, itemPath, field.type, diff.removed);
  }
}


/** The diff as two FieldsV1 trees being built (see diffTrees). */
export interface TreeDiff {
  changed: TreeNode;
  removed: TreeNode;
}

/**
 * A place in both trees of a TreeDiff: its nodes are made when a field is first put at or below
 * it, so the fields a write left as they were cost no node (a status write walks the old status's
 * unchanged parts too).
 */
class Place {
  constructor(
    private readonly up: Place | undefined,
    private readonly token: string,
    private c?: TreeNode,
    private r?: TreeNode,
  ) {}
  changed(): TreeNode {
    return (this.c ??= kid(this.up!.changed(), this.token));
  }
  removed(): TreeNode {
    return (this.r ??= kid(this.up!.removed(), this.token));
  }
}

/**
 * A part the tree walk does not follow as diffFields does (a metadata that is a map on one side
 * only, whose system fields diffFields collects and its caller filters out): the caller uses
 * diffFields.
 */
export class NotTreeable extends Error {}

/**
 * diffFields' two sets, built as FieldsV1 trees in the same walk (emitTree writes each as
 * toFieldsV1 writes the set): no path array per field, no joined key, no FieldSet. For a write
 * whose result is a set made of `changed` alone (a manager new on the object); throws
 * DuplicateListKeys where diffFields does, and NotTreeable (above).
 */
export function diffTrees(old: unknown, updated: unknown, kind: string, keepTop: Keep, keepMetadata: Keep): TreeDiff {
  const diff: TreeDiff = { changed: treeNode(), removed: treeNode() };
  const type = rootType(kind);
  const o = isObject(old) ? old : {};
  const n = isObject(updated) ? updated : {};
  treeDiffMap(o, n, new Place(undefined, "", diff.changed, diff.removed), type, keepTop, keepMetadata);
  return diff;
}

/** As diffMap; `metadata`, at the top only, is the Keep its map is entered with. */
function treeDiffMap(old: JsonObject, updated: JsonObject, at: Place, type: string | undefined, keep?: Keep, metadata?: Keep): void {
  for (const name of Object.keys(updated)) {
    if (keep && !keep(name)) continue;
    const value = updated[name];
    const field = fieldStrategy(type, name);
    const token = fieldToken(name);
    const special = metadata !== undefined && name === "metadata";
    if (!Object.hasOwn(old, name)) {
      if (special && shapeOf(value, field) === "map") treeDiffMap({}, value as JsonObject, new Place(at, token), field.type, metadata);
      else treeValue(value, kid(at.changed(), token), field);
      continue;
    }
    if (special) {
      const shapes = (shapeOf(value, field) === "map" ? 1 : 0) + (shapeOf(old[name], field) === "map" ? 1 : 0);
      if (shapes === 2) treeDiffMap(old[name] as JsonObject, value as JsonObject, new Place(at, token), field.type, metadata);
      else if (shapes === 1) throw new NotTreeable(name);
      else treeDiffValue(old[name], value, new Place(at, token), field);
    } else treeDiffValue(old[name], value, new Place(at, token), field);
  }
  for (const name of Object.keys(old)) {
    if ((keep && !keep(name)) || Object.hasOwn(updated, name)) continue;
    treeValue(old[name], kid(at.removed(), fieldToken(name)), fieldStrategy(type, name));
  }
}

function treeDiffValue(old: unknown, updated: unknown, at: Place, field: FieldStrategy): void {
  const shape = shapeOf(updated, field);
  if (shape !== shapeOf(old, field)) {
    treeValue(updated, at.changed(), field);
    treeValue(old, at.removed(), field);
  } else if (shape === "leaf") {
    if (!deepEqual(old, updated)) at.changed().member = true;
  } else if (shape === "map") {
    treeDiffMap(old as JsonObject, updated as JsonObject, at, field.type);
  } else {
    treeDiffList(old as unknown[], updated as unknown[], at, field);
  }
}

function treeDiffList(old: unknown[], updated: unknown[], at: Place, field: FieldStrategy): void {
  const before = itemsByToken(old, field);
  const after = itemsByToken(updated, field);
  for (const [token, item] of after) {
    const was = before.get(token);
    if (was === undefined) {
      const node = kid(at.changed(), token);
      node.member = true;
      if (isObject(item)) treeMap(item, node, field.type);
    } else if (isObject(item) && isObject(was)) {
      treeDiffMap(was, item, new Place(at, token), field.type);
    }
  }
  for (const [token, item] of before) {
    if (after.has(token)) continue;
    const node = kid(at.removed(), token);
    node.member = true;
    if (isObject(item)) treeMap(item, node, field.type);
  }
}
