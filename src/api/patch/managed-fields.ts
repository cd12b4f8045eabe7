// metadata.managedFields bookkeeping shared by server-side apply and by ordinary writes
// (create, update, the classic patches), after the apiserver's fieldmanager.
//
// Simplified: an Update manager owns the leaf fields (and new list items) whose value it
// changed; writes take those fields away from every other manager, as in Kubernetes. Entries
// are not merged across apiVersions (kubun serves one version per group).
import type { KubeObject, ManagedFieldsEntry } from "../../apis/meta.ts";
import { deepEqual, isObject } from "./json-value.ts";
import { DuplicateListKeys, diffFields, type FieldDiff } from "./field-diff.ts";
import { FieldSet, fieldsOf, valueAt, type FieldPath } from "./field-set.ts";
import { rootType } from "./merge-keys.ts";

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
    return { changed: diff.changed.filter(scope), removed: diff.removed.filter(scope) };
  } catch (err) {
    if (!(err instanceof DuplicateListKeys)) throw err;
    return changedFieldsBySets(old, updated, kind, subresource);
  }
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
  return owners.filter((o) => o.fields.size > 0).map(({ entry, fields }) => encodeEntry(entry, fields.toFieldsV1()));
}

function encodeEntry(entry: ManagedFieldsEntry, fieldsV1: Record<string, unknown>): ManagedFieldsEntry {
  return {
    manager: entry.manager,
    operation: entry.operation,
    apiVersion: entry.apiVersion,
    time: entry.time,
    fieldsType: "FieldsV1",
    fieldsV1,
    ...(entry.subresource ? { subresource: entry.subresource } : {}),
  };
}

/** Whether `path` is a member of the FieldsV1 tree (what FieldSet.fromFieldsV1(tree).has(path) says, without decoding it). */
function treeHas(tree: unknown, path: FieldPath): boolean {
  let node = tree;
  for (const token of path) {
    if (!isObject(node) || !Object.hasOwn(node, token)) return false;
    node = node[token];
  }
  // A member is a leaf ({}) or a node marked "." beside its children.
  return isObject(node) && (Object.hasOwn(node, ".") || Object.keys(node).length === 0);
}

/**
 * Whether a FieldsV1 tree is already what FieldSet.toFieldsV1 makes of it (its members sorted,
 * "." first and only beside children, every value an object) and not empty: such a tree is
 * written back as it is when a write leaves its owner's fields alone.
 */
function canonicalTree(tree: unknown, root = true): boolean {
  if (!isObject(tree)) return false;
  const keys = Object.keys(tree);
  if (keys.length === 0) return !root;
  let i = 0;
  if (keys[0] === ".") {
    const dot = tree["."];
    if (keys.length === 1 || !isObject(dot) || Object.keys(dot).length > 0) return false;
    i = 1;
  }
  for (let prev = ""; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === "." || (prev !== "" && !(prev < k)) || !canonicalTree(tree[k], false)) return false;
    prev = k;
  }
  return true;
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
  const { changed, removed } = changedFields(old, updated, kind, subresource);

  const sent = updated.metadata.managedFields;
  const given = sent && sent.length > 0 ? sent : (old?.metadata.managedFields ?? []);
  // Another manager none of whose fields this write touches keeps its field set as it is, when
  // that is already in the form writeOwners would give it: no decoding and encoding it again on
  // every write (a pod's status writes leave its creator's and the scheduler's sets alone).
  const touches = (e: ManagedFieldsEntry) => {
    for (const p of changed) if (treeHas(e.fieldsV1, p)) return true;
    for (const p of removed) if (treeHas(e.fieldsV1, p)) return true;
    return false;
  };
  // The given entries in their order, each kept as it is or decoded; a new owner comes last.
  const slots: (ManagedFieldsEntry | Owner)[] = [];
  const owners: Owner[] = [];
  let mine: Owner | undefined;
  for (const entry of given) {
    const isMine = !mine && isManager(entry, manager, operation, apiVersion, subresource);
    if (!isMine && !touches(entry) && canonicalTree(entry.fieldsV1)) {
      slots.push(encodeEntry(entry, entry.fieldsV1!));
      continue;
    }
    const owner = readOwners([entry])[0]!;
    owners.push(owner);
    slots.push(owner);
    if (isMine) mine = owner;
  }
  if (!mine) {
    mine = { entry: { manager, operation, apiVersion, ...(subresource ? { subresource } : {}) }, fields: new FieldSet() };
    owners.push(mine);
    slots.push(mine);
  }
  for (const owner of owners) {
    if (owner === mine) continue;
    for (const p of changed) owner.fields.delete(p);
    for (const p of removed) owner.fields.delete(p);
  }
  for (const p of removed) mine.fields.delete(p);
  for (const p of changed) mine.fields.add(p);
  if (changed.size > 0 || removed.size > 0) mine.entry.time = now;

  const entries = slots.flatMap((s) => ("fields" in s ? writeOwners([s]) : [s]));
  if (entries.length > 0) result.metadata.managedFields = entries;
  else delete result.metadata.managedFields;
  return result;
}
