// Server-side apply (application/apply-patch+yaml), simplified but honest.
//
// What it does, as Kubernetes does: the applied configuration is merged into the live object
// with the strategic-merge rules of merge-keys.ts; the manager comes to own exactly the fields
// its configuration sets (recorded as an Apply entry in metadata.managedFields, FieldsV1);
// fields it owned before and now omits are removed unless another manager owns them (or
// something below them); setting a field to a value other than the live one while another
// manager owns it is a 409 Conflict unless force, which moves the ownership. An object with no
// managedFields is first attributed to "before-first-apply", so the first apply can conflict.
//
// What is simplified: no OpenAPI schema — lists not in merge-keys.ts are atomic and maps are
// granular unless merge-keys.ts marks them atomic (label selectors); list items keep the strategic-merge order rather
// than structured-merge-diff's; nulls in the configuration delete fields (as in a strategic
// merge patch) instead of being owned; maps emptied by a removal stay as {}; no version
// conversion of managed fields; status is applied only through the status subresource.
import { badRequest, fieldRequired, invalid, StatusError } from "../../apis/errors.ts";
import type { KubeObject, ManagedFieldsEntry, StatusCause } from "../../apis/meta.ts";
import { deepEqual } from "./json-value.ts";
import { pathString, removeAt, valueAt, type FieldPath } from "./field-set.ts";
import { isManager, isMembership, ownableFields, readOwners, writeOwners, type Owner } from "./managed-fields.ts";
import { strategicMerge } from "./strategic-merge.ts";
import { jsonCopy } from "../json-copy.ts";
import { compareStrings } from "../../apis/compare.ts";

export interface ApplyOptions {
  /** fieldManager query parameter (kubectl: "kubectl"). */
  manager: string;
  /** force query parameter: take ownership of conflicting fields. */
  force: boolean;
  kind: string;
  /** RFC 3339 time stamped on the manager's entry. */
  now: string;
  /** "status" when applying to the status subresource: then only status is applied and owned. */
  subresource?: string;
}

/** The manager an object without managedFields is attributed to before its first apply. */
export const BEFORE_FIRST_APPLY = "before-first-apply";

export function serverSideApply(live: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions): KubeObject {
  if (!opts.manager) {
    throw invalid("PatchOptions", "", [fieldRequired("fieldManager", "Required value: is required for apply patch")], "meta.k8s.io");
  }
  if (applied.metadata?.managedFields !== undefined) throw badRequest("metadata.managedFields must be nil");
  const { subresource } = opts;
  const config = scoped(applied, subresource);
  const apiVersion = applied.apiVersion ?? live?.apiVersion ?? "";
  const mine = ownableFields(config, opts.kind, subresource);

  const owners = live ? readOwners(live.metadata.managedFields) : [];
  if (live && owners.length === 0) {
    owners.push({
      entry: { manager: BEFORE_FIRST_APPLY, operation: "Update", apiVersion: live.apiVersion, time: opts.now },
      fields: ownableFields(live, opts.kind, subresource),
    });
  }
  const self = owners.find((o) => isManager(o.entry, opts.manager, "Apply", apiVersion, subresource));
  const others = owners.filter((o) => o !== self);

  const conflicts = findConflicts(live, config, mine, others);
  if (conflicts.length > 0) {
    if (!opts.force) throw conflictError(conflicts);
    for (const c of conflicts) c.owner.fields.delete(c.path);
  }

  // Remove what this manager applied before and dropped now, if nobody else holds it. Shallow
  // paths go first: a dropped list item goes whole, before its key fields could be removed.
  const result: KubeObject = live ? jsonCopy(live) : { metadata: {} };
  const dropped = [...(self?.fields.minus(mine) ?? [])].sort((a, b) => a.length - b.length);
  for (const path of dropped) {
    if (isKeyField(path) || mine.hasAtOrBelow(path) || others.some((o) => o.fields.hasAtOrBelow(path))) continue;
    removeAt(result, path);
  }

  const merged = strategicMerge(result, config, opts.kind) as KubeObject;
  const entry: ManagedFieldsEntry = { manager: opts.manager, operation: "Apply", apiVersion, time: opts.now, ...(subresource ? { subresource } : {}) };
  const next: Owner[] = self
    ? owners.map((o) => (o === self ? { entry, fields: mine } : o))
    : [...owners, { entry, fields: mine }];
  const entries = writeOwners(next);
  if (entries.length > 0) merged.metadata.managedFields = entries;
  else delete merged.metadata.managedFields;
  return merged;
}

/**
 * The part of the configuration a write through this endpoint may change: everything but status
 * for the main resource, only status for the status subresource (the apiserver resets the rest).
 */
function scoped(applied: KubeObject, subresource: string | undefined): KubeObject {
  const config = jsonCopy(applied);
  if (subresource !== "status") {
    delete config.status;
    return config;
  }
  const { name, namespace } = config.metadata ?? {};
  return { apiVersion: config.apiVersion, kind: config.kind, metadata: { name, namespace }, status: config.status };
}

/** A field that identifies its list item (name in k:{"name":...}); it goes only with the item. */
function isKeyField(path: FieldPath): boolean {
  const item = path[path.length - 2];
  const field = path[path.length - 1];
  return !!item?.startsWith("k:") && !!field?.startsWith("f:") && Object.hasOwn(JSON.parse(item.slice(2)), field.slice(2));
}

interface Conflict {
  owner: Owner;
  path: FieldPath;
}

/** Fields the configuration sets to a new value while another manager owns them. */
function findConflicts(live: KubeObject | undefined, config: KubeObject, mine: Iterable<FieldPath>, others: Owner[]): Conflict[] {
  if (!live) return [];
  const conflicts: Conflict[] = [];
  for (const path of mine) {
    if (isMembership(path)) continue;
    const before = valueAt(live, path);
    if (before.found && deepEqual(before.value, valueAt(config, path).value)) continue;
    for (const owner of others) if (owner.fields.has(path)) conflicts.push({ owner, path });
  }
  return conflicts.sort(
    (a, b) => compareStrings(a.owner.entry.manager ?? "", b.owner.entry.manager ?? "") || compareStrings(pathString(a.path), pathString(b.path)),
  );
}

/** How the apiserver names a manager in conflict messages. */
function printManager(entry: ManagedFieldsEntry): string {
  let name = JSON.stringify(entry.manager ?? "");
  if (entry.subresource) name += ` with subresource ${JSON.stringify(entry.subresource)}`;
  return entry.operation === "Update" ? `${name} using ${entry.apiVersion ?? ""}` : name;
}

function conflictError(conflicts: Conflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: "FieldManagerConflict",
    message: `conflict with ${printManager(c.owner.entry)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.owner.entry)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const lines: string[] = [];
    let current: Owner | undefined;
    for (const c of conflicts) {
      if (c.owner !== current) lines.push(`conflicts with ${printManager(c.owner.entry)}:`);
      current = c.owner;
      lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: "Conflict",
    details: { causes },
    code: 409,
  });
}
