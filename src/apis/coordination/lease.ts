// coordination.k8s.io/v1 Lease: the agent's node heartbeat and leader election's lock.
import { fieldForbidden, fieldInvalid, fieldNotSupported } from "../errors.ts";
import { type Causes, type JsonObject, intAt, objectAt, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string; // MicroTime, RFC 3339 with microseconds
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}

export interface Lease extends KubeObject {
  apiVersion?: "coordination.k8s.io/v1";
  kind?: "Lease";
  spec?: LeaseSpec;
}

export function validateLease(errs: Causes, lease: JsonObject): void {
  const spec = objectAt(errs, "spec", lease.spec);
  if (!spec) return;
  stringAt(errs, "spec.holderIdentity", spec.holderIdentity);
  stringAt(errs, "spec.acquireTime", spec.acquireTime);
  stringAt(errs, "spec.renewTime", spec.renewTime);
  const duration = intAt(errs, "spec.leaseDurationSeconds", spec.leaseDurationSeconds);
  if (duration !== undefined && duration <= 0) errs.push(fieldInvalid("spec.leaseDurationSeconds", duration, "must be greater than 0"));
  const transitions = intAt(errs, "spec.leaseTransitions", spec.leaseTransitions);
  if (transitions !== undefined && transitions < 0) errs.push(fieldInvalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"));
  const strategy = stringAt(errs, "spec.strategy", spec.strategy);
  if (strategy && strategy !== "OldestEmulationVersion") errs.push(fieldNotSupported("spec.strategy", strategy, ["OldestEmulationVersion"]));
  const preferred = stringAt(errs, "spec.preferredHolder", spec.preferredHolder);
  if (preferred && !strategy) errs.push(fieldForbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
}

export const leasePrinter: Printer<Lease> = {
  columns: [column("Name"), column("Holder", "holderIdentity contains the identity of the holder of a current lease."), column("Age")],
  cells: (lease, now) => [lease.metadata.name ?? "", lease.spec?.holderIdentity ?? "", age(lease, now)],
};
