// The strategy of CustomResourceDefinition itself (apiextensions-apiserver's
// customresourcedefinition strategy): defaults and validation from crd-validation.ts, a status
// the API server's CRD registrar fills (conditions, accepted names, stored versions), the
// customresourcecleanup finalizer on delete, and `kubectl get crd`'s NAME / CREATED AT.
import type { Causes, JsonObject } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { column, type Printer } from "../table.ts";
import type { Strategy } from "../strategies/strategy.ts";
import { nameIsDNSSubdomain } from "../validation.ts";
import { defaultCRD, validateCRD, validateCRDUpdate, validateStoredVersions } from "./crd-validation.ts";
import { CLEANUP_FINALIZER, type CustomResourceDefinition, storageVersionOf } from "./types.ts";

const crdPrinter: Printer = {
  columns: [column("Name"), { ...column("Created At", "", { type: "date" }), format: "date-time" }],
  cells: (obj) => [obj.metadata?.name ?? "", obj.metadata?.creationTimestamp ?? ""],
};

export const crdStrategy: Strategy = {
  name: nameIsDNSSubdomain,
  defaults: defaultCRD,
  validate: (errs: Causes, obj: JsonObject) => validateCRD(errs, obj),
  validateUpdate: validateCRDUpdate,
  validateStatus: (errs: Causes, obj: JsonObject) => validateStoredVersions(errs, obj),
  printer: crdPrinter,
  prepareForCreate(obj: KubeObject) {
    const crd = obj as CustomResourceDefinition;
    const storage = Array.isArray(crd.spec?.versions) ? storageVersionOf(crd) : undefined;
    crd.status = { conditions: [], acceptedNames: { plural: "", kind: "" }, storedVersions: storage ? [storage.name] : [] };
  },
  finalizersOnDelete: () => [CLEANUP_FINALIZER],
};
