// core/v1 ServiceAccount: the identity pods run as; kubun only stores and prints it.
import { fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, boolAt, objectsAt, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";
import type { LocalObjectReference, ObjectReference } from "./pod.ts";

export interface ServiceAccount extends KubeObject {
  apiVersion?: "v1";
  kind?: "ServiceAccount";
  secrets?: ObjectReference[];
  imagePullSecrets?: LocalObjectReference[];
  automountServiceAccountToken?: boolean;
}

export function validateServiceAccount(errs: Causes, sa: JsonObject): void {
  boolAt(errs, "automountServiceAccountToken", sa.automountServiceAccountToken);
  for (const [ref, p] of objectsAt(errs, "secrets", sa.secrets)) stringAt(errs, `${p}.name`, ref.name);
  for (const [ref, p] of objectsAt(errs, "imagePullSecrets", sa.imagePullSecrets)) {
    if (!stringAt(errs, `${p}.name`, ref.name)) errs.push(fieldRequired(`${p}.name`));
  }
}

export const serviceAccountPrinter: Printer<ServiceAccount> = {
  columns: [column("Name"), column("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", { type: "integer" }), column("Age")],
  cells: (sa, now) => [sa.metadata.name ?? "", sa.secrets?.length ?? 0, age(sa, now)],
};
