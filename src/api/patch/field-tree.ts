// FieldsV1 trees built as a walk goes, for the writes whose set is made in one walk: a create's
// (createdFieldsV1, managed-fields.ts) and a manager's new on the object (diffTrees,
// field-diff.ts). Nothing here makes a path per field, a joined key or a FieldSet: the walk puts
// each field straight into its node, and emitTree writes the tree out in toFieldsV1's form
// (field-set.ts), byte for byte, which the tests beside this file compare.
import { isObject, type JsonObject } from "./json-value.ts";
import { fieldToken, keyToken } from "./field-set.ts";
import { fieldStrategy, listKeys, type FieldStrategy } from "./merge-keys.ts";

/**
 * A node of a FieldsV1 tree being built (a create's set, a new manager's): a member (a leaf
 * field, a keyed list item, a set value), with the nodes below it by token. A node made as a walk
 * goes may end up with nothing in it (a merged list of items that set no field): such a node is
 * left out. Most nodes have a few tokens (a pod's spec the most, about ten): two small arrays
 * searched in order cost less than a Map made for every node; a wide node gets an index.
 */
export interface TreeNode {
  member: boolean;
  tokens: string[];
  kids: TreeNode[];
  /** Positions by token, once the node is wide (a ConfigMap's data): searching in order would grow with the square. */
  index: Map<string, number> | undefined;
}

/** Tokens a node holds before it gets an index. */
const NARROW = 16;

/**
 * A node's tokens and kids until its first kid: most nodes are leaves (a pod status's ~70 fields),
 * and two arrays made for each that stay empty are garbage. Never written to (kid replaces them).
 */
const NONE: never[] = [];

export const treeNode = (): TreeNode => ({ member: false, tokens: NONE, kids: NONE, index: undefined });

export function kid(node: TreeNode, token: string): TreeNode {
  if (node.tokens === NONE) {
    node.tokens = [];
    node.kids = [];
  }
  const i = node.index ? (node.index.get(token) ?? -1) : node.tokens.indexOf(token);
  if (i >= 0) return node.kids[i]!;
  const child = treeNode();
  node.index?.set(token, node.tokens.length);
  node.tokens.push(token);
  node.kids.push(child);
  if (node.tokens.length === NARROW) node.index = new Map(node.tokens.map((t, at) => [t, at]));
  return child;
}

/**
 * The node as toFieldsV1 writes it: tokens sorted, "." first for a member with members below;
 * undefined when empty. A tree is written once: a narrow node's tokens (and kids) are sorted in
 * place, which makes no array per node (a wide node's index is dropped with its order).
 */
export function emitTree(node: TreeNode): JsonObject | undefined {
  const { tokens, kids } = node;
  if (tokens.length === 0) return node.member ? {} : undefined;
  // Token order, compared as toFieldsV1's sort does (tokens in a node are distinct): by insertion
  // for the few tokens most nodes have, by the native sort for a wide node.
  if (tokens.length < NARROW) {
    for (let i = 1; i < tokens.length; i++) {
      const token = tokens[i]!;
      const child = kids[i]!;
      let at = i;
      for (; at > 0 && tokens[at - 1]! > token; at--) {
        tokens[at] = tokens[at - 1]!;
        kids[at] = kids[at - 1]!;
      }
      tokens[at] = token;
      kids[at] = child;
    }
  } else {
    const order = tokens.map((_, i) => i).sort((a, b) => (tokens[a]! < tokens[b]! ? -1 : 1));
    node.tokens = order.map((i) => tokens[i]!);
    node.kids = order.map((i) => kids[i]!);
    node.index = undefined;
  }
  let out: JsonObject | undefined;
  for (let i = 0; i < node.tokens.length; i++) {
    const child = emitTree(node.kids[i]!);
    if (child === undefined) continue;
    out ??= node.member ? { ".": {} } : {};
    out[node.tokens[i]!] = child;
  }
  return out ?? (node.member ? {} : undefined);
}

/** As walkValue (field-set.ts) adds the fields a value sets, below `node` of a FieldsV1 tree being built. */
export function treeValue(value: unknown, node: TreeNode, field: FieldStrategy): void {
  if (isObject(value) && Object.keys(value).length > 0 && !field.atomic) return treeMap(value, node, field.type);
  if (Array.isArray(value) && value.length > 0 && field.strategy === "merge") {
    const keyed = listKeys(field).length > 0;
    for (const item of value) {
      if (isObject(item) && keyed) {
        const itemNode = kid(node, keyToken(item, field));
        itemNode.member = true;
        treeMap(item, itemNode, field.type);
      } else if (!isObject(item) && !Array.isArray(item)) kid(node, `v:${JSON.stringify(item)}`).member = true;
    }
    return;
  }
  node.member = true;
}

/** As walkMap: the fields of a map, those `keep` keeps. */
export function treeMap(obj: JsonObject, node: TreeNode, type: string | undefined, keep?: (name: string) => boolean): void {
  for (const name of Object.keys(obj)) {
    if (keep && !keep(name)) continue;
    treeValue(obj[name], kid(node, fieldToken(name)), fieldStrategy(type, name));
  }
}

