// core/v1 Namespace: defaulting (the "kubernetes" finalizer the namespace controller removes,
// the kubernetes.io/metadata.name label), validation and printing.
import { fieldNotSupported } from "../errors.ts";
import { type Causes, type JsonObject, objOf, objectAt, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { validateFinalizers } from "../metadata.ts";
import { type Printer, age, column } from "../table.ts";

export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
export const FINALIZER_KUBERNETES = "kubernetes";
/** The namespaces the cluster itself lives in: NamespaceLifecycle refuses to delete them. */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

export interface Namespace extends KubeObject {
  apiVersion?: "v1";
  kind?: "Namespace";
  spec?: { finalizers?: string[] };
  status?: {
    phase?: "Active" | "Terminating";
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
  };
}

export function defaultNamespace(ns: Namespace): void {
  // The name label lets namespace selectors pick namespaces by name.
  const garbled = ns.metadata?.labels !== undefined && !objOf(ns.metadata.labels);
  if (typeof ns.metadata?.name === "string" && ns.metadata.name && !garbled) {
    const labels = objOf(ns.metadata.labels) ?? {};
    labels[NAMESPACE_NAME_LABEL] = ns.metadata.name;
    ns.metadata.labels = labels as Record<string, string>;
  }
  const spec = objOf(ns.spec) ?? {};
  if (spec.finalizers === undefined) spec.finalizers = [FINALIZER_KUBERNETES];
  ns.spec = spec;
  const status = objOf(ns.status) ?? {};
  status.phase ||= "Active";
  ns.status = status;
}

export function validateNamespace(errs: Causes, ns: JsonObject): void {
  const spec = objectAt(errs, "spec", ns.spec);
  validateFinalizers(errs, "spec.finalizers", spec?.finalizers);
  const status = objectAt(errs, "status", ns.status);
  const phase = stringAt(errs, "status.phase", status?.phase);
  if (phase && phase !== "Active" && phase !== "Terminating") errs.push(fieldNotSupported("status.phase", phase, ["Active", "Terminating"]));
}

export const namespacePrinter: Printer<Namespace> = {
  columns: [column("Name"), column("Status", "The status of the namespace"), column("Age")],
  cells: (ns, now) => [ns.metadata.name ?? "", ns.status?.phase ?? "", age(ns, now)],
};
