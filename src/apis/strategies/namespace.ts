// The Namespace strategy: a namespace starts Active; a delete turns it Terminating and it stays
// until the namespace controller has emptied it and cleared spec.finalizers through /finalize
// (ShouldDeleteNamespaceDuringUpdate).
import { defaultNamespace, namespacePrinter, validateNamespace } from "../core/namespace.ts";
import type { KubeObject } from "../meta.ts";
import { nameIsDNSLabel } from "../validation.ts";
import type { Strategy } from "./strategy.ts";

type Obj = Record<string, any>;

export const namespaceStrategy: Strategy = {
  name: nameIsDNSLabel,
  defaults: defaultNamespace,
  validate: validateNamespace,
  validateStatus: validateNamespace,
  printer: namespacePrinter,
  prepareForCreate(obj: KubeObject) {
    (obj as Obj).status = { phase: "Active" };
  },
  mainResourceWritesStatus: true,
  specFinalizers: (obj: KubeObject) => (obj as Obj).spec?.finalizers ?? [],
  markDeleting(obj: KubeObject) {
    const ns = obj as Obj;
    ns.status = { ...ns.status, phase: "Terminating" };
  },
};
