// The strategy of every kind the API server serves, by "group/Kind" (after kube-apiserver's
// registry strategies): the one place that decides a kind's names, defaults, validation,
// printer and its steps around writes (the Strategy interface: strategies/strategy.ts). A kind
// with rules of its own around writes has a file in strategies/ (pod.ts, service.ts,
// namespace.ts); the others are an entry here. Adding a kind is adding its entry (or file) to
// STRATEGIES. The API server reaches them only through src/apis/index.ts and src/api/rest.ts.
import { validateDeployment, validateReplicaSet, validateReplicaStatus, validateSelectorUpdate, DEPLOYMENT_STATUS_COUNTS, REPLICASET_STATUS_COUNTS } from "./apps/validation.ts";
import { defaultDeployment, deploymentPrinter } from "./apps/deployment.ts";
import { defaultReplicaSet, replicaSetPrinter } from "./apps/replicaset.ts";
import { defaultJob, jobPrinter } from "./batch/job.ts";
import { validateJob, validateJobStatus, validateJobUpdate } from "./batch/job-validation.ts";
import { daemonSetPrinter, defaultDaemonSet, validateDaemonSet, validateDaemonSetStatus } from "./apps/daemonset.ts";
import { controllerRevisionPrinter, validateControllerRevision, validateControllerRevisionUpdate } from "./apps/controllerrevision.ts";
import { cronJobPrinter, defaultCronJob, validateCronJob } from "./batch/cronjob.ts";
import { STATEFULSET_STATUS_COUNTS } from "./apps/validation.ts";
import { defaultStatefulSet, statefulSetPrinter } from "./apps/statefulset.ts";
import { validateStatefulSet, validateStatefulSetUpdate } from "./apps/statefulset-validation.ts";
import { leasePrinter, validateLease } from "./coordination/lease.ts";
import { configMapPrinter, validateConfigMap, validateImmutableData } from "./core/configmap.ts";
import { defaultEndpoints, endpointsPrinter, validateEndpoints } from "./core/endpoints.ts";
import { eventPrinter, validateEvent } from "./core/event.ts";
import { defaultNode, nodePrinter, validateNode, validateNodeUpdate } from "./core/node.ts";
import { defaultSecret, secretPrinter, validateSecret, validateSecretUpdate } from "./core/secret.ts";
import { serviceAccountPrinter, validateServiceAccount } from "./core/serviceaccount.ts";
import { defaultEndpointSlice, endpointSlicePrinter, validateEndpointSlice, validateEndpointSliceUpdate } from "./discovery/endpointslice.ts";
import { defaultBinding, roleBindingPrinter, rolePrinter, validateBindingUpdate, validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from "./rbac/rbac.ts";
import { isValidPathSegmentName, type NameValidator, nameIsDNSSubdomain } from "./validation.ts";
import { namespaceStrategy } from "./strategies/namespace.ts";
import { podStrategy } from "./strategies/pod.ts";
import { serviceStrategy } from "./strategies/service.ts";
import { emptyStatus, GENERIC, pendingPhase, type Strategy } from "./strategies/strategy.ts";
import { defaultPersistentVolume, defaultPersistentVolumeClaim, persistentVolumeClaimPrinter, persistentVolumePrinter } from "./core/persistentvolume.ts";
import {
  validatePersistentVolume, validatePersistentVolumeClaim, validatePersistentVolumeClaimStatus, validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeStatus, validatePersistentVolumeUpdate,
} from "./core/persistentvolume-validation.ts";
import { defaultStorageClass, storageClassPrinter, validateStorageClass, validateStorageClassUpdate } from "./storage/storageclass.ts";
import { defaultPriorityClass, priorityClassPrinter, validatePriorityClass, validatePriorityClassUpdate } from "./scheduling/priorityclass.ts";
import { resourceQuotaPrinter, validateResourceQuota } from "./core/resourcequota.ts";
import { crdStrategy } from "./apiextensions/crd.ts";
import type { CustomResourceInfo } from "./registry.ts";
import { defaultLimitRange, limitRangePrinter, validateLimitRange } from "./core/limitrange.ts";
import { defaultNetworkPolicy, networkPolicyPrinter, validateNetworkPolicy } from "./networking/networkpolicy.ts";
import { emptyPdbStatus, podDisruptionBudgetPrinter, validatePodDisruptionBudget, validatePodDisruptionBudgetStatus } from "./policy/poddisruptionbudget.ts";
import { defaultWebhookConfiguration, webhookConfigurationPrinter, type WebhookConfiguration } from "./admissionregistration/webhook.ts";
import { validateMutatingWebhookConfiguration, validateValidatingWebhookConfiguration } from "./admissionregistration/validation.ts";
import { bindingPrinter as policyBindingPrinter, defaultBinding as defaultPolicyBinding, defaultPolicy, policyPrinter, type ValidatingAdmissionPolicy, type ValidatingAdmissionPolicyBinding } from "./admissionregistration/policy.ts";
import { validateBinding as validatePolicyBinding, validatePolicy } from "./admissionregistration/policy-validation.ts";

import { defaultHorizontalPodAutoscaler, horizontalPodAutoscalerPrinter } from "./autoscaling/hpa.ts";
import { validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerStatus } from "./autoscaling/hpa-validation.ts";

export type { Strategy } from "./strategies/strategy.ts";

const STRATEGIES: Record<string, Strategy> = {
  "/Pod": podStrategy,
  "/Service": serviceStrategy,
  "/Namespace": namespaceStrategy,
  "/Node": {
    name: nameIsDNSSubdomain,
    defaults: defaultNode,
    validate: validateNode,
    validateUpdate: validateNodeUpdate,
    validateStatus: validateNode,
    printer: nodePrinter,
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
    prepareForCreate: emptyStatus,
  },
  "apps/ReplicaSet": {
    name: nameIsDNSSubdomain,
    defaults: defaultReplicaSet,
    validate: validateReplicaSet,
    validateUpdate: validateSelectorUpdate,
    validateStatus: (errs, rs) => validateReplicaStatus(errs, rs, REPLICASET_STATUS_COUNTS),
    printer: replicaSetPrinter,
    prepareForCreate: emptyStatus,
  },
  "apps/DaemonSet": {
    name: nameIsDNSSubdomain,
    defaults: defaultDaemonSet,
    validate: validateDaemonSet,
    validateUpdate: validateSelectorUpdate,
    validateStatus: validateDaemonSetStatus,
    printer: daemonSetPrinter,
    prepareForCreate: (obj) => {
      (obj as { status?: object }).status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    },
  },
  "apps/ControllerRevision": {
    name: nameIsDNSSubdomain,
    validate: validateControllerRevision,
    validateUpdate: validateControllerRevisionUpdate,
    printer: controllerRevisionPrinter,
  },
  "batch/Job": {
    name: nameIsDNSSubdomain,
    defaults: defaultJob,
    validate: validateJob,
    validateUpdate: validateJobUpdate,
    validateStatus: validateJobStatus,
    printer: jobPrinter,
    prepareForCreate: emptyStatus,
  },
  "batch/CronJob": { name: nameIsDNSSubdomain, defaults: defaultCronJob, validate: validateCronJob, printer: cronJobPrinter, prepareForCreate: emptyStatus },
  "/PersistentVolume": {
    name: nameIsDNSSubdomain,
    defaults: defaultPersistentVolume,
    validate: validatePersistentVolume,
    validateUpdate: validatePersistentVolumeUpdate,
    validateStatus: validatePersistentVolumeStatus,
    printer: persistentVolumePrinter,
    prepareForCreate: pendingPhase,
  },
  "/PersistentVolumeClaim": {
    name: nameIsDNSSubdomain,
    defaults: defaultPersistentVolumeClaim,
    validate: validatePersistentVolumeClaim,
    validateUpdate: validatePersistentVolumeClaimUpdate,
    validateStatus: validatePersistentVolumeClaimStatus,
    printer: persistentVolumeClaimPrinter,
    prepareForCreate: pendingPhase,
  },
  "storage.k8s.io/StorageClass": {
    name: nameIsDNSSubdomain,
    defaults: defaultStorageClass,
    validate: validateStorageClass,
    validateUpdate: validateStorageClassUpdate,
    printer: storageClassPrinter,
  },
  "scheduling.k8s.io/PriorityClass": {
    name: nameIsDNSSubdomain,
    defaults: defaultPriorityClass,
    validate: validatePriorityClass,
    validateUpdate: validatePriorityClassUpdate,
    printer: priorityClassPrinter,
  },
  "apps/StatefulSet": {
    name: nameIsDNSSubdomain,
    defaults: defaultStatefulSet,
    validate: validateStatefulSet,
    validateUpdate: validateStatefulSetUpdate,
    validateStatus: (errs, sts) => validateReplicaStatus(errs, sts, STATEFULSET_STATUS_COUNTS),
    printer: statefulSetPrinter,
    prepareForCreate: emptyStatus,
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
  // The quota controller fills status.hard and status.used.
  prepareForCreate: emptyStatus,
};

STRATEGIES["/LimitRange"] = { name: nameIsDNSSubdomain, defaults: defaultLimitRange, validate: validateLimitRange, printer: limitRangePrinter };

STRATEGIES["networking.k8s.io/NetworkPolicy"] = {
  name: nameIsDNSSubdomain,
  defaults: defaultNetworkPolicy,
  validate: validateNetworkPolicy,
  printer: networkPolicyPrinter,
};

STRATEGIES["policy/PodDisruptionBudget"] = {
  name: nameIsDNSSubdomain,
  validate: validatePodDisruptionBudget,
  validateStatus: validatePodDisruptionBudgetStatus,
  printer: podDisruptionBudgetPrinter as Strategy["printer"],
  // The disruption controller fills the status; until it has, no disruption is allowed.
  prepareForCreate: emptyPdbStatus,
};

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

STRATEGIES["autoscaling/HorizontalPodAutoscaler"] = {
  name: nameIsDNSSubdomain,
  defaults: defaultHorizontalPodAutoscaler,
  validate: validateHorizontalPodAutoscaler,
  validateStatus: validateHorizontalPodAutoscalerStatus,
  printer: horizontalPodAutoscalerPrinter,
  prepareForCreate: emptyStatus,
};

STRATEGIES["admissionregistration.k8s.io/ValidatingWebhookConfiguration"] = {
  name: nameIsDNSSubdomain,
  defaults: (cfg) => defaultWebhookConfiguration(cfg as WebhookConfiguration, false),
  validate: validateValidatingWebhookConfiguration,
  printer: webhookConfigurationPrinter,
};
STRATEGIES["admissionregistration.k8s.io/MutatingWebhookConfiguration"] = {
  name: nameIsDNSSubdomain,
  defaults: (cfg) => defaultWebhookConfiguration(cfg as WebhookConfiguration, true),
  validate: validateMutatingWebhookConfiguration,
  printer: webhookConfigurationPrinter,
};

STRATEGIES["admissionregistration.k8s.io/ValidatingAdmissionPolicy"] = {
  name: nameIsDNSSubdomain,
  defaults: (p) => defaultPolicy(p as ValidatingAdmissionPolicy),
  validate: validatePolicy,
  printer: policyPrinter,
  prepareForCreate: emptyStatus,
};
STRATEGIES["admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding"] = {
  name: nameIsDNSSubdomain,
  defaults: (b) => defaultPolicyBinding(b as ValidatingAdmissionPolicyBinding),
  validate: validatePolicyBinding,
  printer: policyBindingPrinter,
};
STRATEGIES["apiextensions.k8s.io/CustomResourceDefinition"] = crdStrategy;

/**
 * A built-in kind's strategy by its resource object: a write asks four or five times (prepare,
 * unknown fields, defaults, validation), and each look-up by "group/Kind" made and hashed a new
 * string. STRATEGIES is complete once this module has run, so an answer never goes stale.
 */
const strategyOf = new WeakMap<object, Strategy>();

export function strategyFor(r: { group: string; kind: string; custom?: CustomResourceInfo }): Strategy {
  if (r.custom) return r.custom.strategy as Strategy;
  let s = strategyOf.get(r);
  if (s === undefined) strategyOf.set(r, (s = STRATEGIES[`${r.group}/${r.kind}`] ?? GENERIC));
  return s;
}
