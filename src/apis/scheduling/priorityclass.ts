// scheduling.k8s.io/v1 PriorityClass: types, defaults, validation and `kubectl get pc` columns,
// plus the two system classes every cluster starts with. A pod's spec.priorityClassName is
// resolved into spec.priority (and spec.preemptionPolicy) by the Priority admission step
// (src/api/priority-admission.ts); the scheduler orders its queue and preempts by that number.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, absent, boolAt, intAt, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { type Printer, age, column } from "../table.ts";

export type PreemptionPolicy = "PreemptLowerPriority" | "Never";
export const PREEMPTION_POLICIES: PreemptionPolicy[] = ["PreemptLowerPriority", "Never"];

export interface PriorityClass extends KubeObject {
  apiVersion?: "scheduling.k8s.io/v1";
  kind?: "PriorityClass";
  value: number;
  globalDefault?: boolean;
  description?: string;
  preemptionPolicy?: PreemptionPolicy;
}

/** kube's scheduling.HighestUserDefinablePriority: values above are for the system classes. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
export const SYSTEM_PRIORITY_CLASS_PREFIX = "system-";
export const SYSTEM_CLUSTER_CRITICAL = "system-cluster-critical";
export const SYSTEM_NODE_CRITICAL = "system-node-critical";

/** The classes kube-apiserver creates at start (scheduling.SystemPriorityClasses()). */
export const SYSTEM_PRIORITY_CLASSES: PriorityClass[] = [
  {
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name: SYSTEM_NODE_CRITICAL },
    value: SYSTEM_CRITICAL_PRIORITY + 1000,
    description: "Used for system critical pods that must not be moved from their current node.",
  },
  {
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name: SYSTEM_CLUSTER_CRITICAL },
    value: SYSTEM_CRITICAL_PRIORITY,
    description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
  },
];

export const isSystemPriorityClass = (name: string) => SYSTEM_PRIORITY_CLASSES.some((c) => c.metadata.name === name);

export function defaultPriorityClass(pc: PriorityClass): void {
  pc.preemptionPolicy ??= "PreemptLowerPriority";
}

function knownSystemClass(pc: JsonObject, name: string): string | undefined {
  const sys = SYSTEM_PRIORITY_CLASSES.find((c) => c.metadata.name === name);
  if (!sys) return `${name} is not a known system priority class`;
  if (pc.value !== sys.value) return `value of ${name} PriorityClass must be ${sys.value}`;
  if (pc.globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function validatePriorityClass(errs: Causes, pc: JsonObject): void {
  const name = String((pc.metadata as JsonObject | undefined)?.name ?? "");
  const value = intAt(errs, "value", pc.value);
  if (absent(pc.value)) errs.push(fieldRequired("value"));
  else if (value !== undefined && (value < -2147483648 || value > 2147483647)) errs.push(fieldInvalid("value", value, "must be a 32-bit integer"));
  boolAt(errs, "globalDefault", pc.globalDefault);
  stringAt(errs, "description", pc.description);
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const why = knownSystemClass(pc, name);
    if (why) errs.push(fieldForbidden("metadata.name", `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if (value !== undefined && value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(fieldForbidden("value", `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (!absent(pc.preemptionPolicy) && !PREEMPTION_POLICIES.includes(pc.preemptionPolicy as PreemptionPolicy)) {
    errs.push(fieldNotSupported("preemptionPolicy", pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
}

export function validatePriorityClassUpdate(errs: Causes, pc: JsonObject, old: JsonObject): void {
  if (pc.value !== old.value) errs.push(fieldForbidden("value", "may not be changed in an update."));
  if (pc.preemptionPolicy !== old.preemptionPolicy) errs.push(fieldInvalid("preemptionPolicy", pc.preemptionPolicy ?? null, "field is immutable"));
}

export const priorityClassPrinter: Printer<PriorityClass> = {
  columns: [
    column("Name"),
    column("Value", "value is the integer value of this priority class.", { type: "integer" }),
    column("Global-Default", "globalDefault specifies whether this PriorityClass should be considered as the default priority.", { type: "boolean" }),
    column("Age"),
    column("PreemptionPolicy", "preemptionPolicy is the Policy for preempting pods with lower priority.", { priority: 1 }),
  ],
  cells(pc, now) {
    return [pc.metadata.name ?? "", pc.value, pc.globalDefault ?? false, age(pc, now), pc.preemptionPolicy ?? "PreemptLowerPriority"];
  },
};
