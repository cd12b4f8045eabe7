// apps/v1 ControllerRevision: an immutable snapshot of a controller's pod template (as the patch
// that restores it), numbered by `revision`; DaemonSets (and StatefulSets) keep their history in
// them and `kubectl rollout history|undo` reads them.
import { fieldInvalid, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, fieldImmutable, jsonEqual, nonNegative } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";

export const CONTROLLER_REVISION_HASH = "controller-revision-hash";

export interface ControllerRevision extends KubeObject {
  apiVersion?: "apps/v1";
  kind?: "ControllerRevision";
  data?: unknown;
  revision: number;
}

export function validateControllerRevision(errs: Causes, cr: JsonObject): void {
  if (cr.revision === undefined || cr.revision === null) errs.push(fieldRequired("revision"));
  nonNegative(errs, "revision", cr.revision);
  if (cr.data !== undefined && cr.data !== null && (typeof cr.data !== "object" || Array.isArray(cr.data))) errs.push(fieldInvalid("data", cr.data, "must be an object"));
}

/** The data is the snapshot: only the revision number may move (a rollback renumbers it). */
export function validateControllerRevisionUpdate(errs: Causes, cr: JsonObject, old: JsonObject): void {
  if (!jsonEqual(cr.data, old.data)) errs.push(fieldImmutable("data", cr.data ?? null));
}

export const controllerRevisionPrinter: Printer<ControllerRevision> = {
  columns: [
    column("Name"),
    column("Controller", "Controller of the object"),
    column("Revision", "Revision indicates the revision of the state represented by Data.", { type: "integer" }),
    column("Age"),
  ],
  cells: (cr, now) => {
    const ref = cr.metadata.ownerReferences?.find((r) => r.controller);
    const group = ref?.apiVersion.includes("/") ? `.${ref.apiVersion.split("/")[0]}` : "";
    return [cr.metadata.name ?? "", ref ? `${ref.kind.toLowerCase()}${group}/${ref.name}` : "<none>", cr.revision ?? 0, age(cr, now)];
  },
};
