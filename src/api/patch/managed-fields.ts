// metadata.managedFields bookkeeping shared by server-side apply and by ordinary writes
// (create, update, the classic patches), after the apiserver's fieldmanager.
//
// Simplified: an Update manager owns the leaf fields (and new list items) whose value it
// changed; writes take those fields away from every other manager, as in Kubernetes. Entries
// are not merged across apiVersions (kubun serves one version per group).
import type { KubeObject, ManagedFieldsEntry } from "../../apis/meta.ts";
import { deepEqual } from "./json-value.ts";
import { DuplicateListKeys, NotTreeable, diffFields, diffTrees, type FieldDiff } from "./field-diff.ts";
import { emitTree, kid, treeMap, treeNode, treeValue, type TreeNode } from "./field-tree.ts";
import { FieldSet, fieldToken, fieldsOf, valueAt, type FieldPath } from "./field-set.ts";
import { fieldStrategy, rootType } from "./merge-keys.ts";
import { isObject, type JsonObject } from "./json-value.ts";

export type Operation = "Apply" | "Update";

/** An entry with its field set decoded. */
export interface Owner {
  entry: ManagedFieldsEntry;
  fields: FieldSet;
}

// Identity and system fields belong to no manager (fieldmanager's stripmeta).
const TOP_LEVEL = new Set(["f:apiVersion", "f:kind"]);
const SYSTEM_METADATA = new Set([
  "f:name",
  "f:namespace",
  "f:uid",
  "f:resourceVersion",
  "f:generation",
  "f:creationTimestamp",
  "f:selfLink",
  "f:managedFields",
]);

/** The same fields by name, for the walk that skips them (no "f:" prefix made per field). */
const TOP_LEVEL_NAMES = new Set([...TOP_LEVEL].map((t) => t.slice(2)));
const SYSTEM_METADATA_NAMES = new Set([...SYSTEM_METADATA].map((t) => t.slice(2)));
const keepMetadata = (name: string) => !SYSTEM_METADATA_NAMES.has(name);
const keepMain = (name: string) => !TOP_LEVEL_NAMES.has(name) && name !== "status";
const keepStatus = (name: string) => name === "status";

/**
 * Which paths a write through the main resource (or the status subresource) can own: the main
 * resource never owns status, the status subresource owns nothing else.
 */
export function inScope(subresource: string | undefined): (path: FieldPath) => boolean {
  return (path) => {
    if (TOP_LEVEL.has(path[0]!) || (path[0] === "f:metadata" && SYSTEM_METADATA.has(path[1]!))) return false;
    return subresource === "status" ? path[0] === "f:status" : path[0] !== "f:status";
  };
}

/** The fields of an object of a kind that a write in this scope can own. */
export function ownableFields(obj: KubeObject, kind: string, subresource?: string): FieldSet {
  return fieldsOf(obj, rootType(kind)).filter(inScope(subresource));
}

/**
 * The ownable fields a write set anew or to another value, and those it dropped: one walk over
 * both objects (field-diff.ts); the plain definition on full field sets where that walk can't
 * tell list items apart.
 */
export function changedFields(old: KubeObject | undefined, updated: KubeObject, kind: string, subresource?: string): FieldDiff {
  const scope = inScope(subresource);
  try {
    const diff = diffFields(old, updated, kind, subresource === "status" ? keepStatus : keepMain, keepMetadata);
    return { changed: inScopeOnly(diff.changed, scope), removed: inScopeOnly(diff.removed, scope) };
  } catch (err) {
    if (!(err instanceof DuplicateListKeys)) throw err;
    return changedFieldsBySets(old, updated, kind, subresource);
  }
}

/**
 * The set's paths in scope. The walk above enters only the parts in scope, so this is almost
 * always the whole set, which is then kept as it is rather than copied.
 */
function inScopeOnly(set: FieldSet, scope: (path: FieldPath) => boolean): FieldSet {
  for (const p of set) if (!scope(p)) return set.filter(scope);
  return set;
}

/** changedFields by its definition: both objects' full field sets compared path by path. */
export function changedFieldsBySets(old: KubeObject | undefined, updated: KubeObject, kind: string, subresource?: string): FieldDiff {
  const before = old ? ownableFields(old, kind, subresource) : new FieldSet();
  const after = ownableFields(updated, kind, subresource);
  const changed = after.filter(
    (p) => !before.has(p) || (!isMembership(p) && !deepEqual(valueAt(old, p).value, valueAt(updated, p).value)),
  );
  return { changed, removed: before.minus(after) };
}

/** A path that names a list item or set value: its presence is its whole value. */
export const isMembership = (path: FieldPath) => /^[kv]:/.test(path[path.length - 1] ?? "");

export function readOwners(entries: readonly ManagedFieldsEntry[] | undefined): Owner[] {
  return (entries ?? []).map((entry) => ({ entry: { ...entry }, fields: FieldSet.fromFieldsV1(entry.fieldsV1 ?? {}) }));
}

/** Encodes owners back into managedFields, dropping managers left with no fields. */
export function writeOwners(owners: readonly Owner[]): ManagedFieldsEntry[] {
  return owners
    .filter((o) => o.fields.size > 0)
    .map(({ entry, fields }) => ({
      manager: entry.manager,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      time: entry.time,
      fieldsType: "FieldsV1",
      fieldsV1: fields.toFieldsV1(),
      ...(entry.subresource ? { subresource: entry.subresource } : {}),
    }));
}

/** Managers are told apart by name, operation, subresource and (for updates) apiVersion. */
export function isManager(entry: ManagedFieldsEntry, manager: string, operation: Operation, apiVersion: string, subresource?: string): boolean {
  return (
    entry.manager === manager &&
    entry.operation === operation &&
    (entry.subresource ?? "") === (subresource ?? "") &&
    (operation === "Apply" || entry.apiVersion === apiVersion)
  );
}

/**
 * Records a create (old undefined), update or classic patch by `manager` in updated's
 * managedFields and returns the result (updated itself is not mutated). When the request body
 * carried no managedFields, the live object's are carried over, as the apiserver does.
 */
export function updateManagedFields(
  old: KubeObject | undefined,
  updated: KubeObject,
  manager: string,
  operation: "Update",
  now: string,
  subresource?: string,
): KubeObject {
  // Only metadata.managedFields changes: a shallow copy keeps `updated` untouched.
  const result: KubeObject = { ...updated, metadata: { ...updated.metadata } };
  const kind = updated.kind ?? old?.kind ?? "";
  const apiVersion = updated.apiVersion ?? old?.apiVersion ?? "";
  const sent = updated.metadata.managedFields;
  if (old === undefined && subresource === undefined && !(sent && sent.length > 0)) {
    // A create with no managedFields of its own: the manager is the only one and owns every
    // ownable field, written as its FieldsV1 tree in one walk (what the general path below
    // makes of it through a field set: the same entry, byte for byte).
    const fieldsV1 = createdFieldsV1(updated, kind);
    if (fieldsV1) result.metadata.managedFields = [{ manager, operation, apiVersion, time: now, fieldsType: "FieldsV1", fieldsV1 }];
    else delete result.metadata.managedFields;
    return result;
  }
  const owners = readOwners(sent && sent.length > 0 ? sent : old?.metadata.managedFields);
  let mine = owners.find((o) => isManager(o.entry, manager, operation, apiVersion, subresource));
  if (!mine) {
    const entries = newManagerEntries(old, updated, kind, owners, { manager, operation, apiVersion, now, subresource });
    if (entries !== undefined) {
      if (entries.length > 0) result.metadata.managedFields = entries;
      else delete result.metadata.managedFields;
      return result;
    }
  }
  return recordByFieldSets(result, old, updated, kind, owners, mine, { manager, operation, apiVersion, now, subresource });
}

interface Writer {
  manager: string;
  operation: "Update";
  apiVersion: string;
  now: string;
  subresource: string | undefined;
}

/**
 * What updateManagedFields writes for a manager new on the object (a kubelet's first status
 * write, a scheduler's binding), by the general path below when the write takes a field from no
 * other manager: every other set as it was (none loses a field), and the new manager's set
 * exactly what the write changed, built as its FieldsV1 tree in the diff's own walk (diffTrees)
 * — no path per field, no FieldSet, no toFieldsV1. Undefined when that does not hold or the walk
 * cannot tell (duplicate list keys, metadata a map on one side only): the caller takes the
 * general path.
 */
function newManagerEntries(old: KubeObject | undefined, updated: KubeObject, kind: string, owners: Owner[], w: Writer): ManagedFieldsEntry[] | undefined {
  let diff;
  try {
    diff = diffTrees(old, updated, kind, w.subresource === "status" ? keepStatus : keepMain, keepMetadata);
  } catch (err) {
    if (err instanceof DuplicateListKeys || err instanceof NotTreeable) return undefined;
    throw err;
  }
  for (const owner of owners) if (sharesMember(owner.entry.fieldsV1, diff.changed) || sharesMember(owner.entry.fieldsV1, diff.removed)) return undefined;
  const entries = writeOwners(owners);
  const fieldsV1 = emitTree(diff.changed);
  if (fieldsV1 !== undefined) {
    entries.push({
      manager: w.manager,
      operation: w.operation,
      apiVersion: w.apiVersion,
      time: w.now,
      fieldsType: "FieldsV1",
      fieldsV1,
      ...(w.subresource ? { subresource: w.subresource } : {}),
    });
  }
  return entries;
}

/**
 * Whether a FieldsV1 tree (a manager's, as stored or sent) has a member that the tree being
 * built marks as one: FieldSet.has's answer (memberOf, field-set.ts) for every member below `node`.
 */
function sharesMember(tree: unknown, node: TreeNode): boolean {
  if (!isObject(tree)) return false;
  const { tokens, kids } = node;
  for (let i = 0; i < tokens.length; i++) {
    const theirs = Object.hasOwn(tree, tokens[i]!) ? tree[tokens[i]!] : undefined;
    if (!isObject(theirs)) continue;
    const mine = kids[i]!;
    if (mine.member && (Object.hasOwn(theirs, ".") || Object.keys(theirs).length === 0)) return true;
    if (sharesMember(theirs, mine)) return true;
  }
  return false;
}

/**
 * The new manager's path alone (for the tests): the entries it writes, or undefined where
 * updateManagedFields takes the general path (the manager has an entry, or the write takes a field
 * from another manager, or the walk cannot tell).
 */
export function newManagerPath(old: KubeObject | undefined, updated: KubeObject, manager: string, now: string, subresource?: string): ManagedFieldsEntry[] | undefined {
  const kind = updated.kind ?? old?.kind ?? "";
  const apiVersion = updated.apiVersion ?? old?.apiVersion ?? "";
  const sent = updated.metadata.managedFields;
  const owners = readOwners(sent && sent.length > 0 ? sent : old?.metadata.managedFields);
  if (owners.some((o) => isManager(o.entry, manager, "Update", apiVersion, subresource))) return undefined;
  return newManagerEntries(old, updated, kind, owners, { manager, operation: "Update", apiVersion, now, subresource });
}

/** updateManagedFields by field sets: every case (exported for the tests that compare the paths). */
export function updateByFieldSets(old: KubeObject | undefined, updated: KubeObject, manager: string, operation: "Update", now: string, subresource?: string): KubeObject {
  const result: KubeObject = { ...updated, metadata: { ...updated.metadata } };
  const kind = updated.kind ?? old?.kind ?? "";
  const apiVersion = updated.apiVersion ?? old?.apiVersion ?? "";
  const sent = updated.metadata.managedFields;
  const owners = readOwners(sent && sent.length > 0 ? sent : old?.metadata.managedFields);
  const mine = owners.find((o) => isManager(o.entry, manager, operation, apiVersion, subresource));
  return recordByFieldSets(result, old, updated, kind, owners, mine, { manager, operation, apiVersion, now, subresource });
}

function recordByFieldSets(result: KubeObject, old: KubeObject | undefined, updated: KubeObject, kind: string, owners: Owner[], mine: Owner | undefined, w: Writer): KubeObject {
  const { manager, operation, apiVersion, now, subresource } = w;
  const { changed, removed } = changedFields(old, updated, kind, subresource);
  // A new manager's set is exactly what it changed (removing from an empty set does nothing):
  // the changed set itself, not its paths keyed again one by one (a kubelet's first status write).
  const fresh = !mine;
  if (!mine) {
    mine = { entry: { manager, operation, apiVersion, ...(subresource ? { subresource } : {}) }, fields: changed };
    owners.push(mine);
  }
  for (const owner of owners) {
    if (owner === mine) continue;
    for (const p of changed) owner.fields.delete(p);
    for (const p of removed) owner.fields.delete(p);
  }
  if (!fresh) {
    for (const p of removed) mine.fields.delete(p);
    for (const p of changed) mine.fields.add(p);
  }
  if (changed.size > 0 || removed.size > 0) mine.entry.time = now;

  const entries = writeOwners(owners);
  if (entries.length > 0) result.metadata.managedFields = entries;
  else delete result.metadata.managedFields;
  return result;
}

/**
 * The FieldsV1 set of everything a create through the main resource can own — what
 * changedFields(undefined, obj) finds, in toFieldsV1's form — built in one walk without a path
 * per field; undefined when the object sets no ownable field.
 */
export function createdFieldsV1(obj: KubeObject, kind: string): JsonObject | undefined {
  const root = treeNode();
  const type = rootType(kind);
  const o = obj as unknown as JsonObject;
  for (const name of Object.keys(o)) {
    if (!keepMain(name)) continue;
    const value = o[name];
    const field = fieldStrategy(type, name);
    // As diffFields enters new metadata: its system fields passed over (a metadata that is not
    // a map is a field like any other).
    if (name === "metadata" && isObject(value) && Object.keys(value).length > 0 && !field.atomic) treeMap(value, kid(root, "f:metadata"), field.type, keepMetadata);
    else treeValue(value, kid(root, fieldToken(name)), field);
  }
  return emitTree(root);
}
