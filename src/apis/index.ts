// The public surface of src/apis: the API object types, and what the API server applies to
// every write (defaults, validation) and every `kubectl get` (Table printing).
import { fieldInvalid } from "./errors.ts";
import { type Causes, isObject } from "./field.ts";
import type { KubeObject, StatusCause } from "./meta.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "./metadata.ts";
import type { ResourceInfo } from "./registry.ts";
import { strategyFor } from "./strategies.ts";
import { type Table, type TableOptions, buildTable, defaultPrinter } from "./table.ts";

/** Fills in the fields Kubernetes defaults (SetDefaults_* and defaulting admission). Mutates `obj`. */
export function applyDefaults(r: ResourceInfo, obj: KubeObject): void {
  if (!isObject(obj)) return;
  strategyFor(r).defaults?.(obj);
}

/**
 * Validates an object for create, or for update when `old` is given (then also what may not
 * change). Never throws: malformed input comes back as causes, which the caller turns into
 * `invalid(kind, name, causes, group)`.
 */
export function validateObject(r: ResourceInfo, obj: KubeObject, old?: KubeObject): StatusCause[] {
  if (!isObject(obj)) return [fieldInvalid("", obj, "must be an object")];
  const s = strategyFor(r);
  const errs: Causes = [];
  validateObjectMeta(errs, { namespaced: r.namespaced, name: s.name }, obj.metadata);
  s.validate?.(errs, obj);
  if (old && isObject(old)) {
    validateObjectMetaUpdate(errs, obj.metadata, old.metadata);
    s.validateUpdate?.(errs, obj, old);
  }
  return errs;
}

/** Validates a write to the status subresource (the spec is the stored one). */
export function validateStatusUpdate(r: ResourceInfo, obj: KubeObject, old: KubeObject): StatusCause[] {
  if (!isObject(obj)) return [fieldInvalid("", obj, "must be an object")];
  const s = strategyFor(r);
  const errs: Causes = [];
  validateObjectMeta(errs, { namespaced: r.namespaced, name: s.name }, obj.metadata);
  if (isObject(old)) {
    validateObjectMetaUpdate(errs, obj.metadata, old.metadata);
    s.validateStatus?.(errs, obj, old);
  }
  return errs;
}

/** The meta.k8s.io/v1 Table `kubectl get` asks for, with kube-apiserver's columns for the kind. */
export function toTable(r: ResourceInfo, objs: KubeObject[], opts: TableOptions): Table {
  return buildTable(strategyFor(r).printer ?? defaultPrinter, objs, opts);
}

export type { Strategy } from "./strategies.ts";
export type * from "./table.ts";
export { asPartialObjectMetadata } from "./table.ts";
export * from "./quantity.ts";
export * from "./selector.ts";
export { humanDuration, timestampSince } from "./duration.ts";
export * from "./validation.ts";

export type * from "./core/container.ts";
export type * from "./core/volume.ts";
export type * from "./core/scheduling.ts";
export { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE } from "./core/scheduling.ts";
export * from "./core/pod.ts";
export { qosClass, imageTag } from "./core/pod-defaults.ts";
export { summarizePod } from "./core/pod-table.ts";
export type { Service, ServiceSpec, ServicePort, ServiceStatus, ServiceType, IPFamily, LoadBalancerIngress } from "./core/service.ts";
export { DEFAULT_CLIENT_IP_AFFINITY_SECONDS, formatServicePorts } from "./core/service.ts";
export { NODE_PORT_RANGE } from "./core/service-validation.ts";
export { retainAllocatedServiceFields } from "./strategies/service.ts";
export type { Node, NodeSpec, NodeStatus, NodeCondition, NodeAddress, NodeSystemInfo } from "./core/node.ts";
export { nodeRoles } from "./core/node.ts";
export type { Namespace } from "./core/namespace.ts";
export { NAMESPACE_NAME_LABEL, FINALIZER_KUBERNETES } from "./core/namespace.ts";
export type { ConfigMap } from "./core/configmap.ts";
export type { Secret } from "./core/secret.ts";
export { SERVICE_ACCOUNT_NAME_ANNOTATION } from "./core/secret.ts";
export type { ServiceAccount } from "./core/serviceaccount.ts";
export type { Endpoints, EndpointSubset, EndpointAddress, EndpointPort } from "./core/endpoints.ts";
export { formatEndpoints } from "./core/endpoints.ts";
export type { Event, EventSource } from "./core/event.ts";
export type * from "./apps/deployment.ts";
export type * from "./apps/replicaset.ts";
export { validateScale } from "./apps/validation.ts";
export type { Scale } from "./autoscaling/scale.ts";
export type { Lease, LeaseSpec } from "./coordination/lease.ts";
export type { EndpointSlice, Endpoint, EndpointConditions, EndpointSlicePort, AddressType } from "./discovery/endpointslice.ts";
export { SERVICE_NAME_LABEL, MANAGED_BY_LABEL } from "./discovery/endpointslice.ts";
export type { PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus, Eviction, MetaCondition } from "./policy/poddisruptionbudget.ts";
export { DISRUPTION_ALLOWED, SUFFICIENT_PODS, INSUFFICIENT_PODS, SYNC_FAILED } from "./policy/poddisruptionbudget.ts";
export * from "./policy/disruption.ts";
