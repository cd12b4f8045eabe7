// One strategy per kind, after the registry strategies of kube-apiserver: how its name is
// checked, its defaults, its create/update/status validation and its `kubectl get` printer.
// The API server reaches them only through index.ts.
import type { Causes, JsonObject } from "./field.ts";
import type { KubeObject } from "./meta.ts";
import type { Printer } from "./table.ts";
import { type NameValidator, nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain } from "./validation.ts";
import { validateDeployment, validateReplicaSet, validateReplicaStatus, validateSelectorUpdate, DEPLOYMENT_STATUS_COUNTS, REPLICASET_STATUS_COUNTS } from "./apps/validation.ts";
import { defaultDeployment, deploymentPrinter } from "./apps/deployment.ts";
import { defaultReplicaSet, replicaSetPrinter } from "./apps/replicaset.ts";
import { leasePrinter, validateLease } from "./coordination/lease.ts";
import { configMapPrinter, validateConfigMap, validateImmutableData } from "./core/configmap.ts";
import { defaultEndpoints, endpointsPrinter, validateEndpoints } from "./core/endpoints.ts";
import { eventPrinter, validateEvent } from "./core/event.ts";
import { defaultNamespace, namespacePrinter, validateNamespace } from "./core/namespace.ts";
import { defaultNode, nodePrinter, validateNode, validateNodeUpdate } from "./core/node.ts";
import { defaultPod } from "./core/pod-defaults.ts";
import { podPrinter } from "./core/pod-table.ts";
import { validatePodSpecUpdate, validatePodStatusUpdate } from "./core/pod-update.ts";
import { validatePod } from "./core/pod-validation.ts";
import { defaultSecret, secretPrinter, validateSecret, validateSecretUpdate } from "./core/secret.ts";
import { serviceAccountPrinter, validateServiceAccount } from "./core/serviceaccount.ts";
import { defaultService, servicePrinter } from "./core/service.ts";
import { validateService, validateServiceUpdate } from "./core/service-validation.ts";
import { defaultEndpointSlice, endpointSlicePrinter, validateEndpointSlice, validateEndpointSliceUpdate } from "./discovery/endpointslice.ts";
import { defaultBinding, roleBindingPrinter, rolePrinter, validateBindingUpdate, validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from "./rbac/rbac.ts";
import { resourceQuotaPrinter, validateResourceQuota } from "./core/resourcequota.ts";
import { defaultLimitRange, limitRangePrinter, validateLimitRange } from "./core/limitrange.ts";
import { fieldInvalid } from "./errors.ts";
import { objectsAt, objOf, stringAt } from "./field.ts";
import { isValidIP, isValidPathSegmentName } from "./validation.ts";

export interface Strategy {
  /** The rule metadata.name (and generateName) must follow. */
  name: NameValidator;
  defaults?(obj: KubeObject): void;
  validate?(errs: Causes, obj: JsonObject): void;
  /** Rules about what may change, on top of validating the new object in full. */
  validateUpdate?(errs: Causes, obj: JsonObject, old: JsonObject): void;
  /** Rules for writes to the status subresource. */
  validateStatus?(errs: Causes, obj: JsonObject, old: JsonObject): void;
  printer?: Printer;
}

function validateServiceStatus(errs: Causes, svc: JsonObject): void {
  const lb = objOf(objOf(svc.status)?.loadBalancer);
  for (const [ing, p] of objectsAt(errs, "status.loadBalancer.ingress", lb?.ingress)) {
    const ip = stringAt(errs, `${p}.ip`, ing.ip);
    if (ip) for (const msg of isValidIP(ip)) errs.push(fieldInvalid(`${p}.ip`, ip, msg));
  }
}

const STRATEGIES: Record<string, Strategy> = {
  "/Pod": {
    name: nameIsDNSSubdomain,
    defaults: defaultPod,
    validate: validatePod,
    validateUpdate: validatePodSpecUpdate,
    validateStatus: validatePodStatusUpdate,
    printer: podPrinter,
  },
  "/Service": {
    name: nameIsDNS1035Label,
    defaults: defaultService,
    validate: validateService,
    validateUpdate: validateServiceUpdate,
    validateStatus: validateServiceStatus,
    printer: servicePrinter,
  },
  "/Node": {
    name: nameIsDNSSubdomain,
    defaults: defaultNode,
    validate: validateNode,
    validateUpdate: validateNodeUpdate,
    validateStatus: validateNode,
    printer: nodePrinter,
  },
  "/Namespace": {
    name: nameIsDNSLabel,
    defaults: defaultNamespace,
    validate: validateNamespace,
    validateStatus: validateNamespace,
    printer: namespacePrinter,
  },
  "/ConfigMap": {
    name: nameIsDNSSubdomain,
    validate: validateConfigMap,
    validateUpdate: (errs, cm, old) => validateImmutableData(errs, cm, old, ["data", "binaryData"]),
    printer: configMapPrinter,
  },
  "/Secret": {
    name: nameIsDNSSubdomain,
    defaults: defaultSecret,
    validate: validateSecret,
    validateUpdate: (errs, s, old) => {
      validateSecretUpdate(errs, s, old);
      validateImmutableData(errs, s, old, ["data"]);
    },
    printer: secretPrinter,
  },
  "/ServiceAccount": { name: nameIsDNSSubdomain, validate: validateServiceAccount, printer: serviceAccountPrinter },
  "/Endpoints": { name: nameIsDNSSubdomain, defaults: defaultEndpoints, validate: validateEndpoints, printer: endpointsPrinter },
  "/Event": { name: nameIsDNSSubdomain, validate: validateEvent, printer: eventPrinter },
  "apps/Deployment": {
    name: nameIsDNSSubdomain,
    defaults: defaultDeployment,
    validate: validateDeployment,
    validateUpdate: validateSelectorUpdate,
    validateStatus: (errs, d) => validateReplicaStatus(errs, d, DEPLOYMENT_STATUS_COUNTS),
    printer: deploymentPrinter,
  },
  "apps/ReplicaSet": {
    name: nameIsDNSSubdomain,
    defaults: defaultReplicaSet,
    validate: validateReplicaSet,
    validateUpdate: validateSelectorUpdate,
    validateStatus: (errs, rs) => validateReplicaStatus(errs, rs, REPLICASET_STATUS_COUNTS),
    printer: replicaSetPrinter,
  },
  "coordination.k8s.io/Lease": { name: nameIsDNSSubdomain, validate: validateLease, printer: leasePrinter },
  "discovery.k8s.io/EndpointSlice": {
    name: nameIsDNSSubdomain,
    defaults: defaultEndpointSlice,
    validate: validateEndpointSlice,
    validateUpdate: validateEndpointSliceUpdate,
    printer: endpointSlicePrinter,
  },
};

STRATEGIES["/ResourceQuota"] = {
  name: nameIsDNSSubdomain,
  validate: validateResourceQuota,
  validateStatus: validateResourceQuota,
  printer: resourceQuotaPrinter,
};

STRATEGIES["/LimitRange"] = { name: nameIsDNSSubdomain, defaults: defaultLimitRange, validate: validateLimitRange, printer: limitRangePrinter };

const GENERIC: Strategy = { name: nameIsDNSSubdomain };

// RBAC names are path segments ("system:masters"), as kube's ValidateRBACName allows.
const rbacName: NameValidator = (name) => isValidPathSegmentName(name);
STRATEGIES["rbac.authorization.k8s.io/Role"] = { name: rbacName, validate: validateRole, printer: rolePrinter };
STRATEGIES["rbac.authorization.k8s.io/ClusterRole"] = { name: rbacName, validate: validateClusterRole, printer: rolePrinter };
STRATEGIES["rbac.authorization.k8s.io/RoleBinding"] = {
  name: rbacName,
  defaults: defaultBinding,
  validate: validateRoleBinding,
  validateUpdate: validateBindingUpdate,
  printer: roleBindingPrinter,
};
STRATEGIES["rbac.authorization.k8s.io/ClusterRoleBinding"] = {
  name: rbacName,
  defaults: defaultBinding,
  validate: validateClusterRoleBinding,
  validateUpdate: validateBindingUpdate,
  printer: roleBindingPrinter,
};

export function strategyFor(r: { group: string; kind: string }): Strategy {
  return STRATEGIES[`${r.group}/${r.kind}`] ?? GENERIC;
}
